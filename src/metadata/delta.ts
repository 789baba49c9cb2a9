// A MetadataDelta replays committed records on top of a base image and then applies them as one new
// image, as Kafka's MetadataDelta does. `replay` is the one place metadata state changes: startup
// (snapshot, then log) and live operation go through it alike.
//
// Each replay validates the record against the state as of the records before it (base plus what
// this delta replayed) and either records the whole effect or throws MetadataReplayError having
// changed nothing. `apply` builds the new image: a broker, topic, partition map or config map that
// no record touched is the very object of the base image, so publishers can compare by identity.
import { EMPTY_IMAGE, partitionViolation, type BrokerRegistration, type MetadataImage, type PartitionRegistration, type ProducerIdsImage, type TopicImage } from './image.js';
import type {
  ConfigRecord,
  ConfigResourceType,
  FenceBrokerRecord,
  MetadataRecord,
  PartitionChangeRecord,
  PartitionRecord,
  ProducerIdsRecord,
  RegisterBrokerRecord,
  RemoveTopicRecord,
  TopicRecord,
  UnfenceBrokerRecord,
} from './records.js';
import { INT32_MAX, type BrokerId, type LeaderEpoch, type LogIndex, type PartitionEpoch, type PartitionIndex, type TopicId } from './types.js';

/** A record that does not fit the state it is replayed on. The image is unchanged. */
export class MetadataReplayError extends Error {
  override readonly name = 'MetadataReplayError';
  readonly code = 'INVALID_RECORD';
  constructor(readonly index: LogIndex, readonly record: MetadataRecord, readonly reason: string) {
    super(`metadata record at index ${index} (${record.type}) refused: ${reason}`);
  }
}

/** What a delta changed, for publishers (replica manager, caches). */
export interface MetadataChanges {
  /** Registered, re-registered, fenced or unfenced. */
  readonly brokers: ReadonlySet<BrokerId>;
  readonly createdTopics: ReadonlySet<TopicId>;
  /** Topics of the base image that are gone (or were replaced under the same id). */
  readonly deletedTopics: ReadonlySet<TopicId>;
  /** Created or changed partitions of topics that exist in the new image. */
  readonly partitions: ReadonlyMap<TopicId, ReadonlySet<PartitionIndex>>;
  /** Resource names whose configs changed, by resource type. */
  readonly configs: Readonly<Record<ConfigResourceType, ReadonlySet<string>>>;
  readonly producerIds: boolean;
}

export interface AppliedDelta {
  readonly image: MetadataImage;
  readonly changes: MetadataChanges;
}

/** A topic created or changed in this delta; `partitions` holds only new or changed ones unless `created`. */
interface TopicChange {
  readonly name: string;
  readonly id: TopicId;
  readonly created: boolean;
  readonly partitions: Map<PartitionIndex, PartitionRegistration>;
  partitionCount: number;
}

/** Changes to one config resource; `cleared` drops the base keys first (topic deleted). */
interface ConfigChange {
  cleared: boolean;
  readonly values: Map<string, string | null>;
}

/** Thrown by the validators; replay turns it into a MetadataReplayError naming the record. */
class Refusal extends Error {}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

export class MetadataDelta {
  private readonly brokers = new Map<BrokerId, BrokerRegistration>();
  /** null: removed in this delta. */
  private readonly topics = new Map<TopicId, TopicChange | null>();
  private readonly names = new Map<string, TopicId | null>();
  private readonly configs: Record<ConfigResourceType, Map<string, ConfigChange>> = { topic: new Map(), broker: new Map() };
  private producerIds: ProducerIdsImage | undefined;
  private lastIndex: LogIndex;

  constructor(readonly base: MetadataImage = EMPTY_IMAGE) {
    this.lastIndex = base.offset;
  }

  /**
   * Replays one committed record at raft index `index`. Indices must exceed the base image's offset
   * and never decrease (records of a snapshot all sit at its offset). Throws MetadataReplayError and
   * changes nothing if the record does not fit.
   */
  replay(record: MetadataRecord, index: LogIndex): void {
    try {
      if (index <= this.base.offset || index < this.lastIndex) refuse(`index goes backwards (last ${this.lastIndex}, base image at ${this.base.offset})`);
      this.replayValid(record);
    } catch (e) {
      if (e instanceof Refusal) throw new MetadataReplayError(index, record, e.message);
      throw e;
    }
    this.lastIndex = index;
  }

  private replayValid(record: MetadataRecord): void {
    switch (record.type) {
      case 'register-broker': return this.registerBroker(record);
      case 'fence-broker': return this.setFenced(record, true);
      case 'unfence-broker': return this.setFenced(record, false);
      case 'topic': return this.createTopic(record);
      case 'partition': return this.putPartition(record);
      case 'partition-change': return this.changePartition(record);
      case 'remove-topic': return this.removeTopic(record);
      case 'config': return this.setConfig(record);
      case 'producer-ids': return this.allocateProducerIds(record);
      case 'no-op': return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // The state as of the records replayed so far.

  broker(id: BrokerId): BrokerRegistration | undefined {
    return this.brokers.get(id) ?? this.base.brokers.get(id);
  }

  topicIdOf(name: string): TopicId | undefined {
    return this.names.has(name) ? (this.names.get(name) ?? undefined) : this.base.topicsByName.get(name)?.id;
  }

  partition(topic: TopicId, index: PartitionIndex): PartitionRegistration | undefined {
    const change = this.topics.get(topic);
    if (change === null) return undefined;
    const p = change?.partitions.get(index);
    if (p !== undefined || change?.created === true) return p;
    return this.base.topicsById.get(topic)?.partitions.get(index);
  }

  private partitionCount(id: TopicId): number {
    return this.topics.get(id)?.partitionCount ?? this.base.topicsById.get(id)?.partitions.size ?? 0;
  }

  private topicExists(id: TopicId): boolean {
    const change = this.topics.get(id);
    return change !== undefined ? change !== null : this.base.topicsById.has(id);
  }

  /** The topic's change entry, created on first touch. */
  private topicChange(id: TopicId): TopicChange {
    const existing = this.topics.get(id);
    if (existing) return existing;
    const base = this.base.topicsById.get(id);
    if (base === undefined) refuse(`unknown topic id ${id}`);
    const change: TopicChange = { name: base.name, id, created: false, partitions: new Map(), partitionCount: base.partitions.size };
    this.topics.set(id, change);
    return change;
  }

  // -------------------------------------------------------------------------------------------
  // Brokers.

  private registerBroker(r: RegisterBrokerRecord): void {
    if (r.endpoints.length === 0) refuse(`broker ${r.brokerId} registers no endpoint`);
    const listeners = new Set(r.endpoints.map((e) => e.listener));
    if (listeners.size !== r.endpoints.length || listeners.has('')) refuse(`broker ${r.brokerId} listener names must be distinct and non-empty`);
    const existing = this.broker(r.brokerId);
    if (existing !== undefined && r.brokerEpoch <= existing.epoch) refuse(`broker ${r.brokerId} epoch ${r.brokerEpoch} does not exceed its current ${existing.epoch}`);
    const { brokerId: id, incarnationId, brokerEpoch: epoch, rack, fenced } = r;
    const endpoints = Object.freeze(r.endpoints.map((e) => Object.freeze({ ...e })));
    this.brokers.set(id, Object.freeze({ id, incarnationId, epoch, endpoints, rack, fenced }));
  }

  private setFenced(r: FenceBrokerRecord | UnfenceBrokerRecord, fenced: boolean): void {
    const existing = this.broker(r.brokerId);
    if (existing === undefined) refuse(`unknown broker ${r.brokerId}`);
    // Kafka checks the epoch too: a record meant for an older registration must not touch a newer one.
    if (existing.epoch !== r.brokerEpoch) refuse(`broker ${r.brokerId} epoch ${r.brokerEpoch} is not its current ${existing.epoch}`);
    this.brokers.set(r.brokerId, Object.freeze({ ...existing, fenced }));
  }

  // -------------------------------------------------------------------------------------------
  // Topics and partitions.

  private createTopic(r: TopicRecord): void {
    const invalid = topicNameViolation(r.name);
    if (invalid !== undefined) refuse(`topic name ${JSON.stringify(r.name)} ${invalid}`);
    if (this.topicIdOf(r.name) !== undefined) refuse(`topic ${r.name} already exists`);
    if (this.topicExists(r.topicId)) refuse(`topic id ${r.topicId} is already in use`);
    this.topics.set(r.topicId, { name: r.name, id: r.topicId, created: true, partitions: new Map(), partitionCount: 0 });
    this.names.set(r.name, r.topicId);
  }

  private putPartition(r: PartitionRecord): void {
    if (!this.topicExists(r.topicId)) refuse(`unknown topic id ${r.topicId}`);
    const old = this.partition(r.topicId, r.partition);
    const count = this.partitionCount(r.topicId);
    if (old === undefined && r.partition !== count) refuse(`partition ${r.partition} would leave a gap after ${count} partitions`);
    if (old !== undefined) checkEpochsForward(old, r);
    const next = freezePartition(r.replicas, r.isr, r.leader, r.leaderEpoch, r.partitionEpoch);
    this.checkPartition(next);
    const change = this.topicChange(r.topicId);
    change.partitions.set(r.partition, next);
    if (old === undefined) change.partitionCount++;
  }

  private changePartition(r: PartitionChangeRecord): void {
    const old = this.partition(r.topicId, r.partition);
    if (old === undefined) refuse(`unknown partition ${r.topicId}-${r.partition}`);
    // As Kafka's PartitionRegistration.merge: every change bumps the partition epoch, and a record
    // naming a leader (even the same one) bumps the leader epoch.
    const leaderEpoch = (r.leader !== undefined ? old.leaderEpoch + 1 : old.leaderEpoch) as LeaderEpoch;
    const partitionEpoch = (old.partitionEpoch + 1) as PartitionEpoch;
    if (leaderEpoch > INT32_MAX || partitionEpoch > INT32_MAX) refuse('epoch overflows int32');
    const next = freezePartition(r.replicas ?? old.replicas, r.isr ?? old.isr, r.leader ?? old.leader, leaderEpoch, partitionEpoch);
    this.checkPartition(next);
    this.topicChange(r.topicId).partitions.set(r.partition, next);
  }

  private checkPartition(p: PartitionRegistration): void {
    const reason = partitionViolation(p, { has: (id) => this.broker(id) !== undefined });
    if (reason !== undefined) refuse(reason);
  }

  private removeTopic(r: RemoveTopicRecord): void {
    const name = this.topicName(r.topicId);
    if (name === undefined) refuse(`unknown topic id ${r.topicId}`);
    this.topics.set(r.topicId, null);
    this.names.set(name, null);
    // Kafka drops a deleted topic's configs with it (ReplicationControlManager replays RemoveTopic so).
    this.configs.topic.set(name, { cleared: true, values: new Map() });
  }

  private topicName(id: TopicId): string | undefined {
    const change = this.topics.get(id);
    return change !== undefined ? change?.name : this.base.topicsById.get(id)?.name;
  }

  // -------------------------------------------------------------------------------------------
  // Configs and producer ids.

  private setConfig(r: ConfigRecord): void {
    if (r.key === '') refuse('empty config key');
    if (r.resourceType === 'topic' && this.topicIdOf(r.resourceName) === undefined) refuse(`unknown topic ${r.resourceName}`);
    // A broker resource is a broker id, or '' for the cluster-wide default; the broker need not be registered yet.
    if (r.resourceType === 'broker' && r.resourceName !== '' && !/^(0|[1-9][0-9]{0,9})$/.test(r.resourceName)) refuse(`broker resource ${JSON.stringify(r.resourceName)} is not a broker id`);
    const changes = this.configs[r.resourceType];
    let change = changes.get(r.resourceName);
    if (change === undefined) changes.set(r.resourceName, (change = { cleared: false, values: new Map() }));
    change.values.set(r.key, r.value);
  }

  private allocateProducerIds(r: ProducerIdsRecord): void {
    const current = this.producerIds ?? this.base.producerIds;
    if (r.blockSize <= 0) refuse(`empty producer id block`);
    if (r.blockStart < current.nextProducerId) refuse(`block start ${r.blockStart} goes back below the next producer id ${current.nextProducerId}`);
    const nextProducerId = r.blockStart + r.blockSize;
    if (!Number.isSafeInteger(nextProducerId)) refuse('producer ids exhausted');
    const { brokerId, brokerEpoch, blockStart, blockSize } = r;
    this.producerIds = Object.freeze({ nextProducerId, lastBlock: Object.freeze({ brokerId, brokerEpoch, blockStart, blockSize }) });
  }

  // -------------------------------------------------------------------------------------------
  // The new image.

  /** The image with every replayed record applied, and what changed. Leaves this delta as it is. */
  apply(): AppliedDelta {
    const image: MetadataImage = Object.freeze({
      offset: this.lastIndex,
      brokers: this.brokers.size === 0 ? this.base.brokers : new Map([...this.base.brokers, ...this.brokers]),
      ...this.applyTopics(),
      configs: Object.freeze({ topic: this.applyConfigs('topic'), broker: this.applyConfigs('broker') }),
      producerIds: this.producerIds ?? this.base.producerIds,
    });
    return { image, changes: this.changes() };
  }

  private applyTopics(): Pick<MetadataImage, 'topicsById' | 'topicsByName'> {
    if (this.topics.size === 0) return { topicsById: this.base.topicsById, topicsByName: this.base.topicsByName };
    const byId = new Map(this.base.topicsById);
    const byName = new Map(this.base.topicsByName);
    // Removals first, so a name freed by one topic can be taken by another in the same delta.
    for (const [id, change] of this.topics) {
      const old = byId.get(id);
      if (old !== undefined && (change === null || change.created)) {
        byId.delete(id);
        byName.delete(old.name);
      }
    }
    for (const [id, change] of this.topics) {
      if (change === null) continue;
      const topic = this.applyTopic(change, change.created ? undefined : byId.get(id));
      byId.set(id, topic);
      byName.set(topic.name, topic);
    }
    return { topicsById: byId, topicsByName: byName };
  }

  private applyTopic(change: TopicChange, old: TopicImage | undefined): TopicImage {
    if (old !== undefined && change.partitions.size === 0) return old;
    const partitions = old === undefined ? new Map(change.partitions) : new Map([...old.partitions, ...change.partitions]);
    return Object.freeze({ name: change.name, id: change.id, partitions });
  }

  private applyConfigs(type: ConfigResourceType): MetadataImage['configs'][ConfigResourceType] {
    const changes = this.configs[type];
    const base = this.base.configs[type];
    if (changes.size === 0) return base;
    const resources = new Map(base);
    for (const [name, change] of changes) {
      const values = new Map(change.cleared ? [] : base.get(name));
      for (const [key, value] of change.values) {
        if (value === null) values.delete(key);
        else values.set(key, value);
      }
      // No empty resources, so an image and its snapshot's replay are equal.
      if (values.size === 0) resources.delete(name);
      else resources.set(name, values);
    }
    return resources;
  }

  private changes(): MetadataChanges {
    const created = new Set<TopicId>();
    const deleted = new Set<TopicId>();
    const partitions = new Map<TopicId, ReadonlySet<PartitionIndex>>();
    for (const [id, change] of this.topics) {
      const inBase = this.base.topicsById.has(id);
      if (inBase && (change === null || change.created)) deleted.add(id);
      if (change === null) continue;
      if (change.created) created.add(id);
      if (change.partitions.size > 0) partitions.set(id, new Set(change.partitions.keys()));
    }
    return {
      brokers: new Set(this.brokers.keys()),
      createdTopics: created,
      deletedTopics: deleted,
      partitions,
      configs: { topic: new Set(this.configs.topic.keys()), broker: new Set(this.configs.broker.keys()) },
      producerIds: this.producerIds !== undefined,
    };
  }
}

/** A Partition record replacing an existing partition must not take its epochs back. */
function checkEpochsForward(old: PartitionRegistration, r: PartitionRecord): void {
  if (r.leaderEpoch < old.leaderEpoch) refuse(`leader epoch goes back from ${old.leaderEpoch} to ${r.leaderEpoch}`);
  if (r.leader !== old.leader && r.leaderEpoch === old.leaderEpoch) refuse(`leader changes from ${old.leader} to ${r.leader} without a new leader epoch`);
  if (r.partitionEpoch <= old.partitionEpoch) refuse(`partition epoch ${r.partitionEpoch} does not exceed ${old.partitionEpoch}`);
}

function freezePartition(replicas: readonly BrokerId[], isr: readonly BrokerId[], leader: BrokerId, leaderEpoch: LeaderEpoch, partitionEpoch: PartitionEpoch): PartitionRegistration {
  return Object.freeze({ replicas: Object.freeze([...replicas]), isr: Object.freeze([...isr]), leader, leaderEpoch, partitionEpoch });
}

/** Kafka's topic name rule (org.apache.kafka.common.internals.Topic.validate), or undefined if valid. */
export function topicNameViolation(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return 'cannot be "." or ".."';
  if (name.length > 249) return 'is longer than 249 characters';
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return 'may contain only ASCII alphanumerics, ".", "_" and "-"';
  return undefined;
}
