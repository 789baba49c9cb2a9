// The metadata image: the cluster's state as of one offset of the metadata log, as Kafka's
// MetadataImage. It is immutable: a request handler reads one image for its whole life, and a new
// image comes only from MetadataDelta.apply (delta.ts), which shares every broker, topic, partition
// map and config map that did not change with the image before it.
//
// Readers get read-only types; the objects a delta builds are also frozen so that a stray write
// fails in tests instead of silently changing an image others share.
import type { ConfigResourceType, Endpoint } from './records.js';
import { NO_LEADER, type BrokerEpoch, type BrokerId, type IncarnationId, type LeaderEpoch, type LogIndex, type PartitionEpoch, type PartitionIndex, type TopicId } from './types.js';

export interface BrokerRegistration {
  readonly id: BrokerId;
  readonly incarnationId: IncarnationId;
  readonly epoch: BrokerEpoch;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface PartitionRegistration {
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
  /** NO_LEADER when offline. */
  readonly leader: BrokerId;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
}

export interface TopicImage {
  readonly name: string;
  readonly id: TopicId;
  /** Indices 0..n-1, always contiguous. */
  readonly partitions: ReadonlyMap<PartitionIndex, PartitionRegistration>;
}

/** Resource name -> key -> value. A resource with no keys has no entry. */
export type ConfigResources = ReadonlyMap<string, ReadonlyMap<string, string>>;
export type ConfigsImage = Readonly<Record<ConfigResourceType, ConfigResources>>;

export interface ProducerIdBlock {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  readonly blockStart: number;
  readonly blockSize: number;
}

export interface ProducerIdsImage {
  /** The first id not yet handed out. */
  readonly nextProducerId: number;
  /** The block handed out last (null before the first). */
  readonly lastBlock: ProducerIdBlock | null;
}

export interface MetadataImage {
  /** The raft index of the last record reflected (0: none). */
  readonly offset: LogIndex;
  readonly brokers: ReadonlyMap<BrokerId, BrokerRegistration>;
  readonly topicsById: ReadonlyMap<TopicId, TopicImage>;
  /** The same TopicImage objects as topicsById. */
  readonly topicsByName: ReadonlyMap<string, TopicImage>;
  readonly configs: ConfigsImage;
  readonly producerIds: ProducerIdsImage;
}

export const EMPTY_IMAGE: MetadataImage = Object.freeze({
  offset: 0 as LogIndex,
  brokers: new Map(),
  topicsById: new Map(),
  topicsByName: new Map(),
  configs: Object.freeze({ topic: new Map(), broker: new Map() }),
  producerIds: Object.freeze({ nextProducerId: 0, lastBlock: null }),
});

export function partitionOf(image: MetadataImage, topic: TopicId, partition: PartitionIndex): PartitionRegistration | undefined {
  return image.topicsById.get(topic)?.partitions.get(partition);
}

/** host:port of broker `id`'s endpoint on `listener`, if it registered one. */
export function endpointAddress(image: MetadataImage, id: BrokerId, listener: string): string | undefined {
  const e = image.brokers.get(id)?.endpoints.find((x) => x.listener === listener);
  return e === undefined ? undefined : `${e.host}:${e.port}`;
}

export function configValue(image: MetadataImage, type: ConfigResourceType, resource: string, key: string): string | undefined {
  return image.configs[type].get(resource)?.get(key);
}

/**
 * Every way `image` breaks the invariants replay maintains (empty when it is sound): name and id
 * indexes agree, partitions are contiguous, replicas are distinct registered brokers, ISR is a
 * subset of the replicas, and the leader is in the ISR. For tests and simulators.
 */
export function findImageViolations(image: MetadataImage): string[] {
  const violations: string[] = [];
  if (image.topicsById.size !== image.topicsByName.size) violations.push(`${image.topicsById.size} topic ids but ${image.topicsByName.size} names`);
  for (const [id, topic] of image.topicsById) {
    if (topic.id !== id) violations.push(`topic ${topic.name} filed under id ${id}`);
    if (image.topicsByName.get(topic.name) !== topic) violations.push(`topic ${topic.name} missing from the name index`);
    for (const [index, p] of topic.partitions) {
      if (index >= topic.partitions.size) violations.push(`${topic.name}-${index}: partitions not contiguous`);
      const reason = partitionViolation(p, image.brokers);
      if (reason !== undefined) violations.push(`${topic.name}-${index}: ${reason}`);
    }
  }
  for (const [name] of image.configs.topic) if (!image.topicsByName.has(name)) violations.push(`configs for unknown topic ${name}`);
  return violations;
}

/** Why a partition's state is impossible, or undefined if it is sound. Shared with replay. */
export function partitionViolation(p: PartitionRegistration, brokers: { has(id: BrokerId): boolean }): string | undefined {
  if (p.replicas.length === 0) return 'no replicas';
  if (new Set(p.replicas).size !== p.replicas.length) return `duplicate replicas [${p.replicas.join(',')}]`;
  const unknown = p.replicas.find((r) => !brokers.has(r));
  if (unknown !== undefined) return `replica ${unknown} is not a registered broker`;
  if (new Set(p.isr).size !== p.isr.length) return `duplicate ISR members [${p.isr.join(',')}]`;
  const outsider = p.isr.find((r) => !p.replicas.includes(r));
  if (outsider !== undefined) return `ISR member ${outsider} is not a replica`;
  if (p.leader !== NO_LEADER && !p.isr.includes(p.leader)) return `leader ${p.leader} is not in the ISR [${p.isr.join(',')}]`;
  return undefined;
}
