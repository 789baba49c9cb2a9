// Topic commands, as Kafka's ReplicationControlManager (create, delete, add partitions) and
// ConfigurationControlManager (incremental alter configs). Each request names several resources;
// each gets its own result, and one resource's error neither stops the others nor leaves records
// of its own (Kafka's per-topic / per-resource semantics).
import { configKeyViolation, validateBrokerConfig, validateTopicConfig } from '../configs.js';
import { topicNameViolation } from '../delta.js';
import { apiError, type ApiError } from '../errors.js';
import { configValue, type MetadataImage, type TopicImage } from '../image.js';
import { PARTITIONS_PER_REQUEST_MAX, loadOf, placeReplicas, type BrokerLoad, type PlacementBroker } from '../placement.js';
import type { ConfigRecord, ConfigResourceType, MetadataRecord, PartitionRecord } from '../records.js';
import { INT32_MAX, isValidTopicId, leaderEpoch, partitionEpoch, partitionIndex, type BrokerId, type TopicId } from '../types.js';
import { isUnfenced } from './partitions.js';
import { controllerResult, type ControllerResult } from './result.js';

/** How often createTopics asks for a fresh topic id when the one it got is taken (a UUID collision: never, short of a bug). */
export const TOPIC_ID_ATTEMPTS_MAX = 8;

export interface CreateTopicRequest {
  readonly name: string;
  /** -1: the cluster default. */
  readonly numPartitions: number;
  /** -1: the cluster default. */
  readonly replicationFactor: number;
  /** Explicit replica lists, index = partition; then both counts must be -1. */
  readonly assignments: readonly (readonly BrokerId[])[] | null;
  readonly configs: ReadonlyMap<string, string>;
}

export interface CreateTopicResult {
  readonly name: string;
  readonly topicId?: TopicId;
  readonly error?: ApiError;
  /** The resolved counts (-1 on error). */
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface TopicDefaults {
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

export interface CreateTopicsContext {
  readonly defaults: TopicDefaults;
  /** The driver passes crypto.randomUUID; tests pass a counter. */
  readonly newTopicId: () => TopicId;
  readonly validateOnly: boolean;
}

/** The state one request builds up as it goes: later topics see the earlier ones' names, ids and load. */
interface Batch {
  readonly image: MetadataImage;
  readonly brokers: readonly PlacementBroker[];
  readonly names: Map<string, string>; // collision key -> name, existing and created so far
  readonly ids: Set<string>;
  assignments: (readonly BrokerId[])[];
}

function newBatch(image: MetadataImage): Batch {
  const brokers = [...image.brokers.values()].filter((b) => !b.fenced).map((b) => ({ id: b.id, rack: b.rack ?? undefined }));
  const names = new Map([...image.topicsByName.keys()].map((n) => [collisionKey(n), n]));
  const assignments = [...image.topicsById.values()].flatMap((t) => [...t.partitions.values()].map((p) => p.replicas));
  return { image, brokers, names, ids: new Set(), assignments };
}

const batchLoad = (batch: Batch): BrokerLoad => loadOf(batch.assignments);

/** Kafka refuses names that differ only in '.' versus '_': both map to the same metric names. */
const collisionKey = (name: string): string => name.replaceAll('.', '_');

/** One result per requested topic, in order. Records: Topic, Partition per partition (epochs 0), Config per key. */
export function createTopics(image: MetadataImage, reqs: readonly CreateTopicRequest[], ctx: CreateTopicsContext): ControllerResult<CreateTopicResult[]> {
  const duplicates = duplicateNames(reqs.map((r) => r.name));
  const overLimit = requestedPartitions(reqs, ctx.defaults) > PARTITIONS_PER_REQUEST_MAX;
  const batch = newBatch(image);
  const records: MetadataRecord[] = [];
  const results = reqs.map((req): CreateTopicResult => {
    const fail = (code: ApiError['code'], message: string) => ({ name: req.name, error: apiError(code, message), numPartitions: -1, replicationFactor: -1 });
    if (duplicates.has(req.name)) return fail('INVALID_REQUEST', `topic ${req.name} is named more than once in the request`);
    if (overLimit) return fail('POLICY_VIOLATION', `the request creates more than ${PARTITIONS_PER_REQUEST_MAX} partitions`);
    const planned = planTopic(batch, req, ctx.defaults);
    if ('error' in planned) return { name: req.name, error: planned.error, numPartitions: -1, replicationFactor: -1 };
    const counts = { name: req.name, numPartitions: planned.assignments.length, replicationFactor: planned.assignments[0]?.length ?? 0 };
    batch.names.set(collisionKey(req.name), req.name);
    batch.assignments.push(...planned.assignments);
    if (ctx.validateOnly) return counts;
    const topicId = freshTopicId(batch, ctx.newTopicId);
    if (topicId === undefined) return fail('UNKNOWN_SERVER_ERROR', `no unused topic id after ${TOPIC_ID_ATTEMPTS_MAX} attempts for topic ${req.name}`);
    records.push({ type: 'topic', name: req.name, topicId }, ...partitionRecords(image, topicId, 0, planned.assignments), ...topicConfigRecords(req));
    return { ...counts, topicId };
  });
  return controllerResult(records, results);
}

function duplicateNames(names: readonly string[]): Set<string> {
  const seen = new Set<string>();
  return new Set(names.filter((n) => seen.has(n) || !seen.add(n)));
}

function requestedPartitions(reqs: readonly CreateTopicRequest[], defaults: TopicDefaults): number {
  return reqs.reduce((sum, r) => sum + Math.max(0, r.assignments?.length ?? (r.numPartitions === -1 ? defaults.numPartitions : r.numPartitions)), 0);
}

type Plan = { readonly assignments: readonly (readonly BrokerId[])[] } | { readonly error: ApiError };

/** Name, configs and replica assignment of one new topic, or the first reason it cannot be created. */
function planTopic(batch: Batch, req: CreateTopicRequest, defaults: TopicDefaults): Plan {
  const nameError = topicNameError(batch, req.name);
  if (nameError !== undefined) return { error: nameError };
  for (const [key, value] of req.configs) {
    const reason = validateTopicConfig(key, value);
    if (reason !== undefined) return { error: apiError('INVALID_CONFIG', `topic ${req.name}: ${reason}`) };
  }
  if (req.assignments !== null) return explicitPlan(batch, req);
  const partitions = req.numPartitions === -1 ? defaults.numPartitions : req.numPartitions;
  const replicationFactor = req.replicationFactor === -1 ? defaults.replicationFactor : req.replicationFactor;
  return placed(batch, req.name, partitions, replicationFactor);
}

function topicNameError(batch: Batch, name: string): ApiError | undefined {
  const invalid = topicNameViolation(name);
  if (invalid !== undefined) return apiError('INVALID_TOPIC_EXCEPTION', `topic name ${JSON.stringify(name)} ${invalid}`);
  if (batch.image.topicsByName.has(name) || batch.names.get(collisionKey(name)) === name) return apiError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`);
  const rival = batch.names.get(collisionKey(name));
  if (rival !== undefined) return apiError('INVALID_TOPIC_EXCEPTION', `topic ${name} collides with existing topic ${rival} ('.' and '_' are interchangeable in metric names)`);
  return undefined;
}

function explicitPlan(batch: Batch, req: CreateTopicRequest): Plan {
  const assignments = req.assignments ?? [];
  if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
    return { error: apiError('INVALID_REQUEST', `topic ${req.name}: give either replica assignments or numPartitions/replicationFactor, not both`) };
  }
  const reason = assignmentViolation(batch.image, assignments, undefined);
  return reason === undefined ? { assignments } : { error: apiError('INVALID_REPLICA_ASSIGNMENT', `topic ${req.name}: ${reason}`) };
}

/** Placement over the unfenced brokers, counting every existing and just-planned partition as load. */
function placed(batch: Batch, name: string, partitions: number, replicationFactor: number): Plan {
  const result = placeReplicas(batch.brokers, partitions, replicationFactor, batchLoad(batch));
  if (!result.ok) return { error: apiError(result.error.code, `topic ${name}: ${result.error.message}`) };
  return { assignments: result.assignments.map((replicas) => replicas as BrokerId[]) };
}

/** Why explicit replica lists cannot be used, or undefined. `replicationFactor` is required when given. */
function assignmentViolation(image: MetadataImage, assignments: readonly (readonly BrokerId[])[], replicationFactor: number | undefined): string | undefined {
  if (assignments.length === 0) return 'the assignment lists no partitions';
  const expected = replicationFactor ?? assignments[0]?.length ?? 0;
  for (const [i, replicas] of assignments.entries()) {
    if (replicas.length === 0) return `partition ${i} has no replicas`;
    if (replicas.length !== expected) return `partition ${i} has ${replicas.length} replicas where the others have ${expected}`;
    if (new Set(replicas).size !== replicas.length) return `partition ${i} lists a broker twice: [${replicas.join(',')}]`;
    const unknown = replicas.find((r) => !image.brokers.has(r));
    if (unknown !== undefined) return `broker ${unknown} of partition ${i} is not registered`;
    if (!replicas.some((r) => isUnfenced(image, r))) return `every replica of partition ${i} [${replicas.join(',')}] is fenced`;
  }
  return undefined;
}

/** Partition records for new partitions from `first` on: ISR = unfenced replicas, leader = the first of them. */
function partitionRecords(image: MetadataImage, topicId: TopicId, first: number, assignments: readonly (readonly BrokerId[])[]): PartitionRecord[] {
  return assignments.map((replicas, i) => {
    const isr = replicas.filter((r) => isUnfenced(image, r));
    const leader = isr[0];
    // Placement uses unfenced brokers and explicit assignments need one unfenced replica.
    if (leader === undefined) throw new Error(`new partition ${first + i} of ${topicId} has no unfenced replica (validated before, so this is a bug)`);
    return { type: 'partition', topicId, partition: partitionIndex(first + i), replicas: [...replicas], isr, leader, leaderEpoch: leaderEpoch(0), partitionEpoch: partitionEpoch(0) };
  });
}

function topicConfigRecords(req: CreateTopicRequest): ConfigRecord[] {
  return [...req.configs].map(([key, value]) => ({ type: 'config', resourceType: 'topic', resourceName: req.name, key, value }));
}

function freshTopicId(batch: Batch, newTopicId: () => TopicId): TopicId | undefined {
  for (let attempt = 0; attempt < TOPIC_ID_ATTEMPTS_MAX; attempt++) {
    const id = newTopicId();
    if (isValidTopicId(id) && !batch.image.topicsById.has(id) && !batch.ids.has(id)) {
      batch.ids.add(id);
      return id;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Deleting topics and adding partitions.

export interface DeleteTopicResult {
  readonly name: string;
  readonly topicId?: TopicId;
  readonly error?: ApiError;
}

/** One RemoveTopic per existing topic; replay drops its partitions and configs with it. */
export function deleteTopics(image: MetadataImage, names: readonly string[]): ControllerResult<DeleteTopicResult[]> {
  const duplicates = duplicateNames(names);
  const records: MetadataRecord[] = [];
  const results = names.map((name): DeleteTopicResult => {
    if (duplicates.has(name)) return { name, error: apiError('INVALID_REQUEST', `topic ${name} is named more than once in the request`) };
    const topic = image.topicsByName.get(name);
    if (topic === undefined) return { name, error: apiError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`) };
    records.push({ type: 'remove-topic', topicId: topic.id });
    return { name, topicId: topic.id };
  });
  return controllerResult(records, results);
}

export interface CreatePartitionsRequest {
  readonly name: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replica lists of the added partitions only, or null to place them. */
  readonly assignments: readonly (readonly BrokerId[])[] | null;
}

export interface CreatePartitionsResult {
  readonly name: string;
  readonly error?: ApiError;
}

/** Grows topics to `count` partitions; new partitions keep the replication factor of partition 0. */
export function createPartitions(image: MetadataImage, reqs: readonly CreatePartitionsRequest[], ctx: { readonly validateOnly: boolean }): ControllerResult<CreatePartitionsResult[]> {
  const duplicates = duplicateNames(reqs.map((r) => r.name));
  const added = reqs.reduce((sum, r) => sum + Math.max(0, r.count - (image.topicsByName.get(r.name)?.partitions.size ?? r.count)), 0);
  const batch = newBatch(image);
  const records: MetadataRecord[] = [];
  const results = reqs.map((req): CreatePartitionsResult => {
    const fail = (code: ApiError['code'], message: string) => ({ name: req.name, error: apiError(code, message) });
    if (duplicates.has(req.name)) return fail('INVALID_REQUEST', `topic ${req.name} is named more than once in the request`);
    if (added > PARTITIONS_PER_REQUEST_MAX) return fail('POLICY_VIOLATION', `the request adds more than ${PARTITIONS_PER_REQUEST_MAX} partitions`);
    const topic = image.topicsByName.get(req.name);
    if (topic === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION', `topic ${req.name} does not exist`);
    const planned = planPartitions(batch, topic, req);
    if ('error' in planned) return { name: req.name, error: planned.error };
    batch.assignments.push(...planned.assignments);
    if (!ctx.validateOnly) records.push(...partitionRecords(image, topic.id, topic.partitions.size, planned.assignments));
    return { name: req.name };
  });
  return controllerResult(records, results);
}

function planPartitions(batch: Batch, topic: TopicImage, req: CreatePartitionsRequest): Plan {
  const current = topic.partitions.size;
  if (!Number.isInteger(req.count) || req.count <= current || req.count > INT32_MAX) {
    return { error: apiError('INVALID_PARTITIONS', `topic ${topic.name} has ${current} partitions; ${req.count} is not more`) };
  }
  const replicationFactor = topic.partitions.get(partitionIndex(0))?.replicas.length ?? 0;
  if (req.assignments === null) return placed(batch, topic.name, req.count - current, replicationFactor);
  if (req.assignments.length !== req.count - current) {
    return { error: apiError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: adding ${req.count - current} partitions but ${req.assignments.length} assignments were given`) };
  }
  const reason = assignmentViolation(batch.image, req.assignments, replicationFactor);
  return reason === undefined ? { assignments: req.assignments } : { error: apiError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: ${reason}`) };
}

// ---------------------------------------------------------------------------------------------
// Incremental alter configs.

export interface AlterConfigOp {
  readonly resourceType: ConfigResourceType;
  readonly resourceName: string;
  readonly key: string;
  readonly op: 'set' | 'delete';
  /** Ignored for 'delete'. */
  readonly value: string;
}

export interface AlterConfigResult {
  readonly resourceType: ConfigResourceType;
  readonly resourceName: string;
  readonly error?: ApiError;
}

/** A broker resource: '' (the cluster default) or a broker id. */
const BROKER_RESOURCE = /^(|0|[1-9][0-9]{0,9})$/;

/**
 * Kafka's IncrementalAlterConfigs: ops are grouped per resource (in first-seen order), one bad op
 * fails its whole resource and changes nothing of it. Records only for keys whose value changes.
 */
export function alterConfigs(image: MetadataImage, ops: readonly AlterConfigOp[], ctx: { readonly validateOnly: boolean }): ControllerResult<AlterConfigResult[]> {
  const records: MetadataRecord[] = [];
  const results = groupByResource(ops).map((group): AlterConfigResult => {
    const first = group[0]!;
    const resource = { resourceType: first.resourceType, resourceName: first.resourceName };
    const error = resourceError(image, first) ?? group.map((op) => opError(op, group)).find((e) => e !== undefined);
    if (error !== undefined) return { ...resource, error };
    if (!ctx.validateOnly) records.push(...configChanges(image, group));
    return resource;
  });
  return controllerResult(records, results);
}

/** Ops grouped per resource, resources in first-seen order. */
function groupByResource(ops: readonly AlterConfigOp[]): AlterConfigOp[][] {
  const groups = new Map<string, AlterConfigOp[]>();
  for (const op of ops) {
    const key = `${op.resourceType}\u0000${op.resourceName}`;
    const group = groups.get(key) ?? [];
    if (group.length === 0) groups.set(key, group);
    group.push(op);
  }
  return [...groups.values()];
}

function resourceError(image: MetadataImage, op: AlterConfigOp): ApiError | undefined {
  if (op.resourceType === 'topic' && !image.topicsByName.has(op.resourceName)) return apiError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${op.resourceName} does not exist`);
  if (op.resourceType === 'broker' && (!BROKER_RESOURCE.test(op.resourceName) || Number(op.resourceName) > INT32_MAX)) {
    return apiError('INVALID_REQUEST', `broker resource ${JSON.stringify(op.resourceName)} is neither '' (cluster default) nor a broker id`);
  }
  return undefined;
}

function opError(op: AlterConfigOp, group: readonly AlterConfigOp[]): ApiError | undefined {
  const where = `${op.resourceType} ${JSON.stringify(op.resourceName)}`;
  if (group.filter((o) => o.key === op.key).length > 1) return apiError('INVALID_REQUEST', `${where}: config ${op.key} is altered more than once`);
  if (op.op !== 'set' && op.op !== 'delete') return apiError('INVALID_REQUEST', `${where}: unknown operation ${JSON.stringify(op.op)} on ${op.key}`);
  const validate = op.resourceType === 'topic' ? validateTopicConfig : validateBrokerConfig;
  const reason = op.op === 'set' ? validate(op.key, op.value) : configKeyViolation(op.resourceType, op.key);
  return reason === undefined ? undefined : apiError('INVALID_CONFIG', `${where}: ${reason}`);
}

function configChanges(image: MetadataImage, group: readonly AlterConfigOp[]): ConfigRecord[] {
  return group.flatMap((op): ConfigRecord[] => {
    const current = configValue(image, op.resourceType, op.resourceName, op.key);
    const value = op.op === 'set' ? op.value : null;
    if ((current ?? null) === value) return [];
    return [{ type: 'config', resourceType: op.resourceType, resourceName: op.resourceName, key: op.key, value }];
  });
}
