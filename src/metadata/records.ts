// The metadata records (proto/metadata.proto) as TypeScript values, and their codec: one record is
// the data of one raft entry.
//
// `decodeRecord` checks the shape of a record (ids in range, UUIDs 16 bytes, enums known, one body)
// and throws RecordDecodeError otherwise; whether the record fits the current state is the delta's
// job (delta.ts). Unknown fields are skipped so later versions can add fields.
import '../raft/proto-config.js'; // before the generated code: see proto-config.ts
import { flotilla } from '../gen/metadata.js';
import {
  INT32_MAX,
  NO_LEADER,
  incarnationId,
  isValidTopicId,
  uuidFromBytes,
  uuidToBytes,
  type BrokerEpoch,
  type BrokerId,
  type IncarnationId,
  type LeaderEpoch,
  type PartitionEpoch,
  type PartitionIndex,
  type TopicId,
} from './types.js';

import pb = flotilla.metadata;

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type ConfigResourceType = 'topic' | 'broker';

export interface Endpoint {
  readonly listener: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: SecurityProtocol;
}

export interface RegisterBrokerRecord {
  readonly type: 'register-broker';
  readonly brokerId: BrokerId;
  readonly incarnationId: IncarnationId;
  readonly brokerEpoch: BrokerEpoch;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface FenceBrokerRecord {
  readonly type: 'fence-broker';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
}

export interface UnfenceBrokerRecord {
  readonly type: 'unfence-broker';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
}

export interface TopicRecord {
  readonly type: 'topic';
  readonly name: string;
  readonly topicId: TopicId;
}

export interface PartitionRecord {
  readonly type: 'partition';
  readonly topicId: TopicId;
  readonly partition: PartitionIndex;
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
  /** NO_LEADER when offline. */
  readonly leader: BrokerId;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
}

/** An absent field is unchanged. Replay bumps the epochs (see proto/metadata.proto). */
export interface PartitionChangeRecord {
  readonly type: 'partition-change';
  readonly topicId: TopicId;
  readonly partition: PartitionIndex;
  readonly leader?: BrokerId;
  readonly isr?: readonly BrokerId[];
  readonly replicas?: readonly BrokerId[];
}

export interface RemoveTopicRecord {
  readonly type: 'remove-topic';
  readonly topicId: TopicId;
}

export interface ConfigRecord {
  readonly type: 'config';
  readonly resourceType: ConfigResourceType;
  readonly resourceName: string;
  readonly key: string;
  /** null deletes the key. */
  readonly value: string | null;
}

export interface ProducerIdsRecord {
  readonly type: 'producer-ids';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  readonly blockStart: number;
  readonly blockSize: number;
}

export interface NoOpRecord {
  readonly type: 'no-op';
}

export type MetadataRecord =
  | RegisterBrokerRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord
  | NoOpRecord;

export type MetadataRecordType = MetadataRecord['type'];

/** Bytes that are not a well-formed record. `reason` says which field failed. */
export class RecordDecodeError extends Error {
  override readonly name = 'RecordDecodeError';
  readonly code = 'RECORD_DECODE';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`malformed metadata record: ${reason}`, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding. Records come from our own controller, so a record that does not encode faithfully
// (say, a non-UUID topic id) is a bug and throws.

export function encodeRecord(record: MetadataRecord): Uint8Array {
  return pb.MetadataRecord.encode(toWire(record)).finish();
}

/** The data of one raft entry: the records of one command, applied all or none. */
export function encodeBatch(records: readonly MetadataRecord[]): Uint8Array {
  return pb.MetadataRecordBatch.encode({ records: records.map(toWire) }).finish();
}

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** The protobuf form of a record, also used to frame records inside a snapshot. */
export function toWire(record: MetadataRecord): pb.MetadataRecord.$Properties {
  switch (record.type) {
    case 'register-broker': return { registerBroker: registerToWire(record) };
    case 'fence-broker': return { fenceBroker: { brokerId: record.brokerId, brokerEpoch: record.brokerEpoch } };
    case 'unfence-broker': return { unfenceBroker: { brokerId: record.brokerId, brokerEpoch: record.brokerEpoch } };
    case 'topic': return { topic: { name: record.name, topicId: uuidToBytes(record.topicId) } };
    case 'partition': return { partition: { ...record, topicId: uuidToBytes(record.topicId), replicas: [...record.replicas], isr: [...record.isr] } };
    case 'partition-change': return { partitionChange: changeToWire(record) };
    case 'remove-topic': return { removeTopic: { topicId: uuidToBytes(record.topicId) } };
    case 'config': return { config: configToWire(record) };
    case 'producer-ids': return { producerIds: { brokerId: record.brokerId, brokerEpoch: record.brokerEpoch, blockStart: record.blockStart, blockSize: record.blockSize } };
    case 'no-op': return { noOp: {} };
  }
}

function registerToWire(r: RegisterBrokerRecord): pb.RegisterBroker.$Properties {
  const endpoints = r.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port, securityProtocol: PROTOCOLS.indexOf(e.securityProtocol) }));
  const wire: pb.RegisterBroker.$Properties = { brokerId: r.brokerId, incarnationId: uuidToBytes(r.incarnationId), brokerEpoch: r.brokerEpoch, endpoints, fenced: r.fenced };
  if (r.rack !== null) wire.rack = r.rack;
  return wire;
}

function changeToWire(r: PartitionChangeRecord): pb.PartitionChange.$Properties {
  const wire: pb.PartitionChange.$Properties = { topicId: uuidToBytes(r.topicId), partition: r.partition };
  if (r.leader !== undefined) wire.leader = r.leader;
  if (r.isr !== undefined) wire.isr = { ids: [...r.isr] };
  if (r.replicas !== undefined) wire.replicas = { ids: [...r.replicas] };
  return wire;
}

function configToWire(r: ConfigRecord): pb.Config.$Properties {
  const resourceType = r.resourceType === 'topic' ? pb.ConfigResourceType.CONFIG_RESOURCE_TOPIC : pb.ConfigResourceType.CONFIG_RESOURCE_BROKER;
  const wire: pb.Config.$Properties = { resourceType, resourceName: r.resourceName, key: r.key };
  if (r.value !== null) wire.value = r.value;
  return wire;
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/** Decodes one record; throws RecordDecodeError if the bytes are not a well-formed record. */
export function decodeRecord(data: Uint8Array): MetadataRecord {
  let wire: pb.MetadataRecord;
  try {
    wire = pb.MetadataRecord.decode(data);
  } catch (cause) {
    throw new RecordDecodeError(`not a MetadataRecord protobuf (${(cause as Error).message})`, { cause });
  }
  return fromWire(wire);
}

/** Decodes the records of one raft entry; throws RecordDecodeError naming the bad record's position. */
export function decodeBatch(data: Uint8Array): MetadataRecord[] {
  let wire: pb.MetadataRecordBatch;
  try {
    wire = pb.MetadataRecordBatch.decode(data);
  } catch (cause) {
    throw new RecordDecodeError(`not a MetadataRecordBatch protobuf (${(cause as Error).message})`, { cause });
  }
  const records = wire.records ?? [];
  if (records.length === 0) throw new RecordDecodeError('empty record batch');
  return records.map((r, i) => {
    try {
      return fromWire(r instanceof pb.MetadataRecord ? r : pb.MetadataRecord.create(r));
    } catch (e) {
      if (e instanceof RecordDecodeError) throw new RecordDecodeError(`record ${i} of the batch: ${e.reason}`, { cause: e });
      throw e;
    }
  });
}

/** Converts a decoded protobuf record, checking every field. */
export function fromWire(wire: pb.MetadataRecord): MetadataRecord {
  switch (wire.record) {
    case 'registerBroker': return registerFromWire(wire.registerBroker!);
    case 'fenceBroker': return { type: 'fence-broker', ...brokerAndEpoch(wire.fenceBroker!, 'FenceBroker') };
    case 'unfenceBroker': return { type: 'unfence-broker', ...brokerAndEpoch(wire.unfenceBroker!, 'UnfenceBroker') };
    case 'topic': return { type: 'topic', name: wire.topic!.name ?? '', topicId: wireTopicId(wire.topic!.topicId, 'Topic') };
    case 'partition': return partitionFromWire(wire.partition!);
    case 'partitionChange': return changeFromWire(wire.partitionChange!);
    case 'removeTopic': return { type: 'remove-topic', topicId: wireTopicId(wire.removeTopic!.topicId, 'RemoveTopic') };
    case 'config': return configFromWire(wire.config!);
    case 'producerIds': return producerIdsFromWire(wire.producerIds!);
    case 'noOp': return { type: 'no-op' };
    case undefined: throw new RecordDecodeError('no record body (unknown or missing record type)');
  }
}

function registerFromWire(w: pb.IRegisterBroker): RegisterBrokerRecord {
  const id = uuidFromBytes(w.incarnationId ?? new Uint8Array(0));
  if (id === undefined) throw new RecordDecodeError('RegisterBroker.incarnation_id is not 16 bytes');
  return {
    type: 'register-broker',
    ...brokerAndEpoch(w, 'RegisterBroker'),
    incarnationId: incarnationId(id),
    endpoints: (w.endpoints ?? []).map(endpointFromWire),
    rack: w.rack ?? null,
    fenced: w.fenced ?? true,
  };
}

function endpointFromWire(w: pb.IEndpoint): Endpoint {
  const port = w.port ?? 0;
  if (port > 0xffff) throw new RecordDecodeError(`Endpoint.port ${port} is not a TCP port`);
  const securityProtocol = PROTOCOLS[w.securityProtocol ?? 0];
  if (securityProtocol === undefined) throw new RecordDecodeError(`Endpoint.security_protocol ${w.securityProtocol} is unknown`);
  return { listener: w.listener ?? '', host: w.host ?? '', port, securityProtocol };
}

function partitionFromWire(w: pb.IPartition): PartitionRecord {
  return {
    type: 'partition',
    topicId: wireTopicId(w.topicId, 'Partition'),
    partition: nonNegative(w.partition, 'Partition.partition') as PartitionIndex,
    replicas: brokerIds(w.replicas, 'Partition.replicas'),
    isr: brokerIds(w.isr, 'Partition.isr'),
    leader: leaderId(w.leader ?? 0, 'Partition.leader'),
    leaderEpoch: nonNegative(w.leaderEpoch, 'Partition.leader_epoch') as LeaderEpoch,
    partitionEpoch: nonNegative(w.partitionEpoch, 'Partition.partition_epoch') as PartitionEpoch,
  };
}

function changeFromWire(w: pb.IPartitionChange): PartitionChangeRecord {
  // Spread only present fields: an absent field must stay absent, not become `undefined`.
  return {
    type: 'partition-change',
    topicId: wireTopicId(w.topicId, 'PartitionChange'),
    partition: nonNegative(w.partition, 'PartitionChange.partition') as PartitionIndex,
    ...(w.leader != null ? { leader: leaderId(w.leader, 'PartitionChange.leader') } : {}),
    ...(w.isr != null ? { isr: brokerIds(w.isr.ids, 'PartitionChange.isr') } : {}),
    ...(w.replicas != null ? { replicas: brokerIds(w.replicas.ids, 'PartitionChange.replicas') } : {}),
  };
}

function configFromWire(w: pb.IConfig): ConfigRecord {
  let resourceType: ConfigResourceType;
  if (w.resourceType === pb.ConfigResourceType.CONFIG_RESOURCE_TOPIC) resourceType = 'topic';
  else if (w.resourceType === pb.ConfigResourceType.CONFIG_RESOURCE_BROKER) resourceType = 'broker';
  else throw new RecordDecodeError(`Config.resource_type ${w.resourceType ?? 0} is neither TOPIC nor BROKER`);
  return { type: 'config', resourceType, resourceName: w.resourceName ?? '', key: w.key ?? '', value: w.value ?? null };
}

function producerIdsFromWire(w: pb.IProducerIds): ProducerIdsRecord {
  return {
    type: 'producer-ids',
    ...brokerAndEpoch(w, 'ProducerIds'),
    blockStart: safeNonNegative(w.blockStart, 'ProducerIds.block_start'),
    blockSize: nonNegative(w.blockSize, 'ProducerIds.block_size'),
  };
}

function brokerAndEpoch(w: { brokerId?: number | null; brokerEpoch?: number | null }, what: string): { brokerId: BrokerId; brokerEpoch: BrokerEpoch } {
  return {
    brokerId: nonNegative(w.brokerId, `${what}.broker_id`) as BrokerId,
    brokerEpoch: safeNonNegative(w.brokerEpoch, `${what}.broker_epoch`) as BrokerEpoch,
  };
}

function wireTopicId(bytes: Uint8Array | null | undefined, what: string): TopicId {
  const id = uuidFromBytes(bytes ?? new Uint8Array(0));
  if (id === undefined || !isValidTopicId(id)) throw new RecordDecodeError(`${what}.topic_id is not a 16-byte non-zero UUID`);
  return id as TopicId;
}

function brokerIds(ids: readonly number[] | null | undefined, what: string): BrokerId[] {
  return (ids ?? []).map((id, i) => nonNegative(id, `${what}[${i}]`) as BrokerId);
}

function leaderId(id: number, what: string): BrokerId {
  return id === NO_LEADER ? NO_LEADER : (nonNegative(id, what) as BrokerId);
}

function nonNegative(n: number | null | undefined, what: string): number {
  const v = n ?? 0;
  if (!Number.isInteger(v) || v < 0 || v > INT32_MAX) throw new RecordDecodeError(`${what} ${v} is not in [0, ${INT32_MAX}]`);
  return v;
}

/** int64 fields decode as numbers (proto-config.ts); values past 2^53 would have lost precision. */
function safeNonNegative(n: number | null | undefined, what: string): number {
  const v = n ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new RecordDecodeError(`${what} ${v} is not a safe non-negative integer`);
  return v;
}
