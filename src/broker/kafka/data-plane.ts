// What the data-path handlers (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, InitProducerId)
// need beyond the request's image: the broker's replica manager and its source of producer ids.
import type { ReplicaManager } from '../replica/replica-manager.js';
import type { KafkaErrorName } from '../../metadata/errors.js';

/** Hands out producer ids from blocks the controller allocates through the metadata log. */
export interface ProducerIdSource {
  /** The next producer id, or the Kafka error that kept us from getting one. */
  next(): Promise<{ readonly producerId: number } | { readonly error: KafkaErrorName }>;
}

export interface DataPlane {
  readonly replicas: ReplicaManager;
  readonly producerIds: ProducerIdSource;
}
