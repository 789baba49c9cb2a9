// What a Kafka request handler sees: the one metadata image it reads for its whole life (taken
// once per request, STYLE.md point 6) and facts about the node and the listener it came in on.
import type { RequestOf, ResponseOf } from '../../metadata/controller-service.js';
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
  /** What the admin APIs need; absent where nothing serves them (listener tests). */
  readonly admin?: AdminView | undefined;
}

export interface RequestContext {
  readonly image: MetadataImage;
  readonly clusterId: string;
  readonly controllerId: number;
  /** The listener name the request arrived on (brokers answer with endpoints of that name). */
  readonly listenerName: string;
  readonly data?: DataPlane | undefined;
  /** The BrokerView's admin view: absent, the admin APIs answer every resource with an error. */
  readonly admin?: AdminView | undefined;
}

/** The controller service methods a broker forwards admin requests to. */
export type AdminControllerMethod = 'createTopics' | 'deleteTopics' | 'createPartitions' | 'alterConfigs';

/** The active controller, as the broker's ControllerClient reaches it (a fake in unit tests). */
export interface AdminController {
  /** Rejects with ControllerUnavailableError when no active controller answers in time. */
  call<K extends AdminControllerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>>;
}

/**
 * What the admin APIs need beyond one image: the controller to forward changes to, a way to wait
 * until this node's own image shows a change (so a client's next request here sees it), and the
 * node's identity and static configs (DescribeConfigs of its broker resource).
 */
export interface AdminView {
  readonly controller: AdminController;
  /** Resolves true once `ready` holds for the node's image (now or later), false after `timeoutMs`. */
  awaitImage(ready: (image: MetadataImage) => boolean, timeoutMs: number): Promise<boolean>;
  readonly nodeId: number;
  /** auto.create.topics.enable: Metadata for an unknown topic creates it (with the cluster defaults). */
  readonly autoCreateTopics: boolean;
  /** Kafka config name -> value of what the node was started with (read-only, STATIC_BROKER_CONFIG). */
  readonly staticConfigs: ReadonlyMap<string, string>;
}
