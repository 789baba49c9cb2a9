// What a Kafka request handler sees: the one metadata image it reads for its whole life (taken
// once per request, STYLE.md point 6) and facts about the node and the listener it came in on.
import type { MetadataImage } from '../../metadata/image.js';
import type { DataPlane } from './data-plane.js';

export interface BrokerView {
  readonly clusterId: string;
  /** The node's current image; the listener calls this once per request. */
  image(): MetadataImage;
  /** The active controller as this node knows it (the raft leader), -1 when unknown. */
  controllerId(): number;
  /** The replica manager and producer ids; absent on listeners built for the listener's own tests. */
  readonly data?: DataPlane | undefined;
}

export interface RequestContext {
  readonly image: MetadataImage;
  readonly clusterId: string;
  readonly controllerId: number;
  /** The listener name the request arrived on (brokers answer with endpoints of that name). */
  readonly listenerName: string;
  readonly data?: DataPlane | undefined;
}
