// Partition leadership and ISR commands, and the election rule every command shares.
//
// Election follows Kafka's PartitionChangeBuilder: keep the current leader if it stays in the ISR
// and is acceptable; else the first replica, in replica order (so the preferred replica first),
// that is in the ISR and acceptable; else, only if the topic allows unclean election, the first
// acceptable replica, which then becomes the whole ISR (it may lack committed data). Acceptable
// means registered and unfenced, seen as of the change being made (a broker being fenced is not,
// one being unfenced is).
//
// A PartitionChange names `leader` only when the leader changes: replay bumps the leader epoch
// whenever the field is present, and a leader epoch bump makes followers truncate and refetch.
import { uncleanLeaderElection } from '../configs.js';
import { apiError, type ApiError } from '../errors.js';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../image.js';
import type { PartitionChangeRecord, ProducerIdsRecord } from '../records.js';
import { NO_LEADER, type BrokerEpoch, type BrokerId, type LeaderEpoch, type PartitionEpoch, type PartitionIndex, type TopicId } from '../types.js';
import { controllerResult, responseOnly, type ControllerResult } from './result.js';

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE: ids handed to a broker per request. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface PartitionTarget {
  readonly isr: readonly BrokerId[];
  readonly leader: BrokerId;
}

/** Whether a broker may lead or join an ISR: registered and unfenced. */
export function isUnfenced(image: MetadataImage, id: BrokerId): boolean {
  return image.brokers.get(id)?.fenced === false;
}

/** The leader and ISR after an election over `isr` (see the file header). */
export function electLeader(p: Pick<PartitionRegistration, 'replicas' | 'leader'>, isr: readonly BrokerId[], acceptable: (id: BrokerId) => boolean, unclean: boolean): PartitionTarget {
  if (p.leader !== NO_LEADER && isr.includes(p.leader) && acceptable(p.leader)) return { isr, leader: p.leader };
  const clean = p.replicas.find((r) => isr.includes(r) && acceptable(r));
  if (clean !== undefined) return { isr, leader: clean };
  const dirty = unclean ? p.replicas.find(acceptable) : undefined;
  return dirty !== undefined ? { isr: [dirty], leader: dirty } : { isr, leader: NO_LEADER };
}

const sameMembers = (a: readonly BrokerId[], b: readonly BrokerId[]): boolean => a.length === b.length && a.every((id) => b.includes(id));

/** The record taking `old` to `target`, or undefined if nothing changes. */
export function partitionChange(topicId: TopicId, partition: PartitionIndex, old: PartitionRegistration, target: PartitionTarget): PartitionChangeRecord | undefined {
  const leaderChanges = target.leader !== old.leader;
  const isrChanges = !sameMembers(target.isr, old.isr);
  if (!leaderChanges && !isrChanges) return undefined;
  return {
    type: 'partition-change',
    topicId,
    partition,
    ...(leaderChanges ? { leader: target.leader } : {}),
    ...(isrChanges ? { isr: [...target.isr] } : {}),
  };
}

/** Calls `visit` for every partition of every topic, in image order. */
function forEachPartition(image: MetadataImage, visit: (topic: TopicImage, index: PartitionIndex, p: PartitionRegistration) => void): void {
  for (const topic of image.topicsById.values()) for (const [index, p] of topic.partitions) visit(topic, index, p);
}

/**
 * The changes that take broker `id` out of service (fence, controlled shutdown, restart under a new
 * incarnation): it leaves every ISR it is in, except as the last member (Kafka keeps that one so
 * the partition can come back with it without data loss), and every partition it led elects anew
 * among the other unfenced brokers.
 */
export function isolationChanges(image: MetadataImage, id: BrokerId): PartitionChangeRecord[] {
  const acceptable = (r: BrokerId) => r !== id && isUnfenced(image, r);
  const changes: PartitionChangeRecord[] = [];
  forEachPartition(image, (topic, index, p) => {
    if (!p.isr.includes(id) && p.leader !== id) return;
    const isr = p.isr.length > 1 ? p.isr.filter((r) => r !== id) : p.isr;
    const target = electLeader(p, isr, acceptable, uncleanLeaderElection(image, topic.name));
    const change = partitionChange(topic.id, index, p, target);
    if (change !== undefined) changes.push(change);
  });
  return changes;
}

/** Elections for the offline partitions broker `id` can lead once it is unfenced. */
export function unfenceElections(image: MetadataImage, id: BrokerId): PartitionChangeRecord[] {
  const acceptable = (r: BrokerId) => r === id || isUnfenced(image, r);
  const changes: PartitionChangeRecord[] = [];
  forEachPartition(image, (topic, index, p) => {
    if (p.leader !== NO_LEADER || !p.replicas.includes(id)) return;
    const target = electLeader(p, p.isr, acceptable, uncleanLeaderElection(image, topic.name));
    const change = partitionChange(topic.id, index, p, target);
    if (change !== undefined) changes.push(change);
  });
  return changes;
}

/** Why the broker's epoch is not its current registration's, or undefined if it is (Kafka's checkBrokerEpoch). */
export function staleBrokerEpoch(image: MetadataImage, id: BrokerId, epoch: BrokerEpoch): ApiError | undefined {
  const broker = image.brokers.get(id);
  if (broker === undefined) return apiError('STALE_BROKER_EPOCH', `broker ${id} is not registered`);
  if (broker.epoch !== epoch) return apiError('STALE_BROKER_EPOCH', `broker ${id} sent epoch ${epoch} but its registration has epoch ${broker.epoch}`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// AlterPartition: a leader shrinks or expands its ISR.

export interface AlterPartitionRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  readonly topicId: TopicId;
  readonly partition: PartitionIndex;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly newIsr: readonly BrokerId[];
}

export interface AlterPartitionResponse {
  readonly error?: ApiError;
  /** The partition as it will be once the records are replayed (as it is, if there are none). */
  readonly partition?: PartitionRegistration;
}

/**
 * Checks in the order of Kafka's ReplicationControlManager.alterPartition: the broker epoch for the
 * whole request, the topic id and partition, then epochs newer than ours (NOT_CONTROLLER: this
 * controller is behind, the leader should find the current one), an older leader epoch, a requester
 * that is not the leader, an older partition epoch, the shape of the ISR, and its members' states.
 */
export function alterPartition(image: MetadataImage, req: AlterPartitionRequest): ControllerResult<AlterPartitionResponse> {
  const stale = staleBrokerEpoch(image, req.brokerId, req.brokerEpoch);
  if (stale !== undefined) return responseOnly({ error: stale });
  const topic = image.topicsById.get(req.topicId);
  if (topic === undefined) return refuse('UNKNOWN_TOPIC_ID', `no topic has id ${req.topicId}`);
  const p = topic.partitions.get(req.partition);
  const where = `${topic.name}-${req.partition}`;
  if (p === undefined) return refuse('UNKNOWN_TOPIC_OR_PARTITION', `partition ${where} does not exist (topic ${topic.name} has ${topic.partitions.size})`);
  const error = alterPartitionError(image, req, p, where);
  if (error !== undefined) return responseOnly({ error });
  const change = partitionChange(req.topicId, req.partition, p, { isr: req.newIsr, leader: p.leader });
  if (change === undefined) return responseOnly({ partition: p });
  const next: PartitionRegistration = { ...p, isr: [...req.newIsr], partitionEpoch: (p.partitionEpoch + 1) as PartitionEpoch };
  return controllerResult([change], { partition: next });
}

function alterPartitionError(image: MetadataImage, req: AlterPartitionRequest, p: PartitionRegistration, where: string): ApiError | undefined {
  if (req.leaderEpoch > p.leaderEpoch) return apiError('NOT_CONTROLLER', `${where}: leader epoch ${req.leaderEpoch} is newer than this controller's ${p.leaderEpoch}`);
  if (req.partitionEpoch > p.partitionEpoch) return apiError('NOT_CONTROLLER', `${where}: partition epoch ${req.partitionEpoch} is newer than this controller's ${p.partitionEpoch}`);
  if (req.leaderEpoch < p.leaderEpoch) return apiError('FENCED_LEADER_EPOCH', `${where}: leader epoch ${req.leaderEpoch} is older than the current ${p.leaderEpoch}`);
  if (req.brokerId !== p.leader) return apiError('INVALID_REQUEST', `${where}: broker ${req.brokerId} is not the leader (${p.leader})`);
  if (req.partitionEpoch < p.partitionEpoch) return apiError('INVALID_UPDATE_VERSION', `${where}: partition epoch ${req.partitionEpoch} is older than the current ${p.partitionEpoch}`);
  const shape = isrShapeViolation(req.newIsr, p);
  if (shape !== undefined) return apiError('INVALID_REQUEST', `${where}: ISR [${req.newIsr.join(',')}] ${shape}`);
  const ineligible = req.newIsr.find((r) => !isUnfenced(image, r));
  if (ineligible !== undefined) return apiError('INELIGIBLE_REPLICA', `${where}: ISR member ${ineligible} is fenced`);
  return undefined;
}

function isrShapeViolation(isr: readonly BrokerId[], p: PartitionRegistration): string | undefined {
  if (new Set(isr).size !== isr.length) return 'names a broker twice';
  const outsider = isr.find((r) => !p.replicas.includes(r));
  if (outsider !== undefined) return `names ${outsider}, which is not a replica [${p.replicas.join(',')}]`;
  if (!isr.includes(p.leader)) return `leaves out the leader ${p.leader}`;
  return undefined;
}

function refuse(code: ApiError['code'], message: string): ControllerResult<AlterPartitionResponse> {
  return responseOnly({ error: apiError(code, message) });
}

// ---------------------------------------------------------------------------------------------
// Preferred leaders and producer ids.

/**
 * Automatic preferred-leader rebalancing: moves leadership back to each partition's first replica
 * where that replica is unfenced and in the ISR. At most `limit` partitions move per call, so one
 * call's entry stays small; the driver calls again while the response is `limit`.
 */
export function electPreferredLeaders(image: MetadataImage, limit: number): ControllerResult<number> {
  const changes: PartitionChangeRecord[] = [];
  forEachPartition(image, (topic, index, p) => {
    const preferred = p.replicas[0];
    if (changes.length >= limit || preferred === undefined || preferred === p.leader) return;
    if (!p.isr.includes(preferred) || !isUnfenced(image, preferred)) return;
    changes.push({ type: 'partition-change', topicId: topic.id, partition: index, leader: preferred });
  });
  return controllerResult(changes, changes.length);
}

export interface AllocateProducerIdsRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
}

export interface AllocateProducerIdsResponse {
  readonly error?: ApiError;
  /** The first id of the block (-1 on error). */
  readonly start: number;
  readonly length: number;
}

/** Hands the broker the next `blockSize` producer ids, as Kafka's ProducerIdControlManager. */
export function allocateProducerIds(image: MetadataImage, req: AllocateProducerIdsRequest, blockSize = PRODUCER_ID_BLOCK_SIZE): ControllerResult<AllocateProducerIdsResponse> {
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0) throw new RangeError(`producer id block size must be a positive integer, got ${blockSize}`);
  const stale = staleBrokerEpoch(image, req.brokerId, req.brokerEpoch);
  if (stale !== undefined) return responseOnly({ error: stale, start: -1, length: 0 });
  const start = image.producerIds.nextProducerId;
  if (!Number.isSafeInteger(start + blockSize)) {
    return responseOnly({ error: apiError('UNKNOWN_SERVER_ERROR', `producer ids exhausted: next id ${start} plus ${blockSize} passes 2^53`), start: -1, length: 0 });
  }
  const record: ProducerIdsRecord = { type: 'producer-ids', brokerId: req.brokerId, brokerEpoch: req.brokerEpoch, blockStart: start, blockSize };
  return controllerResult([record], { start, length: blockSize });
}
