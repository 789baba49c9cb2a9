// Metadata (key 3), versions 0-12; flexible from 9. Summarised from apache/kafka
// clients/src/main/resources/common/message/Metadata{Request,Response}.json:
//
//   MetadataRequest v0    => topics:[name:STRING]                (empty array = all topics)
//   MetadataRequest v1-3  => topics:[name:STRING] nullable       (null = all, empty = none)
//   MetadataRequest v4-7  => v1 + allow_auto_topic_creation:BOOL
//   MetadataRequest v8    => v4 + include_cluster_authorized_operations:BOOL include_topic_authorized_operations:BOOL
//   MetadataRequest v9    => v8, flexible (compact array/strings, TAG_BUFFER per topic and at the end)
//   MetadataRequest v10   => topics:[topic_id:UUID name:COMPACT_NULLABLE_STRING] + the v9 fields
//   MetadataRequest v11-12=> v10 without include_cluster_authorized_operations (KIP-700)
//
//   MetadataResponse      => throttle_time_ms:INT32 (v3+)
//                            brokers:[node_id:INT32 host:STRING port:INT32 rack:NULLABLE_STRING (v1+)]
//                            cluster_id:NULLABLE_STRING (v2+) controller_id:INT32 (v1+)
//                            topics:[error_code:INT16 name:STRING (nullable v12+) topic_id:UUID (v10+)
//                                    is_internal:BOOL (v1+)
//                                    partitions:[error_code:INT16 partition_index:INT32 leader_id:INT32
//                                                leader_epoch:INT32 (v7+) replica_nodes:[INT32]
//                                                isr_nodes:[INT32] offline_replicas:[INT32] (v5+)]
//                                    topic_authorized_operations:INT32 (v8+)]
//                            cluster_authorized_operations:INT32 (v8-10)
//   flexible from v9: compact arrays and strings, a TAG_BUFFER after every struct and at the end.
import { readTopicId, writeTopicId, ZERO_UUID } from './fields.js';
import { MalformedRequestError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const METADATA_FLEXIBLE_FROM = 9;
export { ZERO_UUID };
/** Authorized operations we do not compute (Kafka's default: INT32_MIN). */
export const AUTHORIZED_OPERATIONS_UNKNOWN = -0x8000_0000;

export interface MetadataRequestTopic {
  /** ZERO_UUID when the client names the topic. */
  readonly topicId: string;
  readonly name: string | null;
}

export interface MetadataRequest {
  /** null: every topic (v0 sends an empty array for that; the decoder maps it to null). */
  readonly topics: readonly MetadataRequestTopic[] | null;
  readonly allowAutoTopicCreation: boolean;
  readonly includeClusterAuthorizedOperations: boolean;
  readonly includeTopicAuthorizedOperations: boolean;
}

export interface MetadataResponseBroker {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface MetadataResponsePartition {
  readonly errorCode: number;
  readonly partitionIndex: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicaNodes: readonly number[];
  readonly isrNodes: readonly number[];
  readonly offlineReplicas: readonly number[];
}

export interface MetadataResponseTopic {
  readonly errorCode: number;
  readonly name: string | null;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly MetadataResponsePartition[];
  readonly topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  readonly throttleTimeMs: number;
  readonly brokers: readonly MetadataResponseBroker[];
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly topics: readonly MetadataResponseTopic[];
  readonly clusterAuthorizedOperations: number;
}

const flexible = (version: number) => version >= METADATA_FLEXIBLE_FROM;

// ---- request ----

export function decodeMetadataRequest(r: Reader, version: number): MetadataRequest {
  const f = flexible(version);
  const topics = r.versionedNullableArray(f, (inner) => readRequestTopic(inner, version));
  if (version === 0 && topics === null) throw new MalformedRequestError('null topics in Metadata v0');
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  const includeClusterAuthorizedOperations = version >= 8 && version <= 10 ? r.bool() : false;
  const includeTopicAuthorizedOperations = version >= 8 ? r.bool() : false;
  if (f) r.skipTaggedFields();
  return {
    topics: version === 0 && topics?.length === 0 ? null : topics,
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations,
    includeTopicAuthorizedOperations,
  };
}

function readRequestTopic(r: Reader, version: number): MetadataRequestTopic {
  const topicId = version >= 10 ? readTopicId(r) : ZERO_UUID;
  const name = version >= 10 ? r.compactNullableString() : r.versionedString(flexible(version));
  if (flexible(version)) r.skipTaggedFields();
  return { topicId, name };
}

export function encodeMetadataRequest(w: Writer, version: number, request: MetadataRequest): void {
  const f = flexible(version);
  const topics = version === 0 ? (request.topics ?? []) : request.topics;
  w.versionedArray(f, topics, (out, t) => {
    if (version >= 10) writeTopicId(out, t.topicId);
    out.versionedString(f, t.name);
    if (f) out.emptyTaggedFields();
  });
  if (version >= 4) w.bool(request.allowAutoTopicCreation);
  if (version >= 8 && version <= 10) w.bool(request.includeClusterAuthorizedOperations);
  if (version >= 8) w.bool(request.includeTopicAuthorizedOperations);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeMetadataResponse(w: Writer, version: number, response: MetadataResponse): void {
  const f = flexible(version);
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.brokers, (out, b) => writeBroker(out, version, b));
  if (version >= 2) w.versionedString(f, response.clusterId);
  if (version >= 1) w.int32(response.controllerId);
  w.versionedArray(f, response.topics, (out, t) => writeTopic(out, version, t));
  if (version >= 8 && version <= 10) w.int32(response.clusterAuthorizedOperations);
  if (f) w.emptyTaggedFields();
}

function writeBroker(w: Writer, version: number, b: MetadataResponseBroker): void {
  const f = flexible(version);
  w.int32(b.nodeId).versionedString(f, b.host).int32(b.port);
  if (version >= 1) w.versionedString(f, b.rack);
  if (f) w.emptyTaggedFields();
}

function writeTopic(w: Writer, version: number, t: MetadataResponseTopic): void {
  const f = flexible(version);
  w.int16(t.errorCode).versionedString(f, t.name);
  if (version >= 10) writeTopicId(w, t.topicId);
  if (version >= 1) w.bool(t.isInternal);
  w.versionedArray(f, t.partitions, (out, p) => writePartition(out, version, p));
  if (version >= 8) w.int32(t.topicAuthorizedOperations);
  if (f) w.emptyTaggedFields();
}

function writePartition(w: Writer, version: number, p: MetadataResponsePartition): void {
  const f = flexible(version);
  const ints = (out: Writer, n: number) => void out.int32(n);
  w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
  if (version >= 7) w.int32(p.leaderEpoch);
  w.versionedArray(f, p.replicaNodes, ints).versionedArray(f, p.isrNodes, ints);
  if (version >= 5) w.versionedArray(f, p.offlineReplicas, ints);
  if (f) w.emptyTaggedFields();
}

export function decodeMetadataResponse(r: Reader, version: number): MetadataResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.versionedArray(f, (inner) => readBroker(inner, version));
  const clusterId = version >= 2 ? r.versionedNullableString(f) : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.versionedArray(f, (inner) => readTopic(inner, version));
  const clusterAuthorizedOperations = version >= 8 && version <= 10 ? r.int32() : AUTHORIZED_OPERATIONS_UNKNOWN;
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
}

function readBroker(r: Reader, version: number): MetadataResponseBroker {
  const f = flexible(version);
  const broker = { nodeId: r.int32(), host: r.versionedString(f), port: r.int32(), rack: version >= 1 ? r.versionedNullableString(f) : null };
  if (f) r.skipTaggedFields();
  return broker;
}

function readTopic(r: Reader, version: number): MetadataResponseTopic {
  const f = flexible(version);
  const errorCode = r.int16();
  const name = r.versionedNullableString(f);
  const topicId = version >= 10 ? readTopicId(r) : ZERO_UUID;
  const isInternal = version >= 1 ? r.bool() : false;
  const partitions = r.versionedArray(f, (inner) => readPartition(inner, version));
  const topicAuthorizedOperations = version >= 8 ? r.int32() : AUTHORIZED_OPERATIONS_UNKNOWN;
  if (f) r.skipTaggedFields();
  return { errorCode, name, topicId, isInternal, partitions, topicAuthorizedOperations };
}

function readPartition(r: Reader, version: number): MetadataResponsePartition {
  const f = flexible(version);
  const ints = (inner: Reader) => inner.int32();
  const errorCode = r.int16();
  const partitionIndex = r.int32();
  const leaderId = r.int32();
  const leaderEpoch = version >= 7 ? r.int32() : -1;
  const replicaNodes = r.versionedArray(f, ints);
  const isrNodes = r.versionedArray(f, ints);
  const offlineReplicas = version >= 5 ? r.versionedArray(f, ints) : [];
  if (f) r.skipTaggedFields();
  return { errorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas };
}
