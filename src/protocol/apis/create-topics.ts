// CreateTopics (key 19), versions 0-7; flexible from 5. Summarised from apache/kafka
// clients/src/main/resources/common/message/CreateTopics{Request,Response}.json:
//
//   CreateTopicsRequest v0   => topics:[name:STRING num_partitions:INT32 replication_factor:INT16
//                                       assignments:[partition_index:INT32 broker_ids:[INT32]]
//                                       configs:[name:STRING value:NULLABLE_STRING]]
//                               timeout_ms:INT32
//   CreateTopicsRequest v1-3 => v0 + validate_only:BOOL
//   CreateTopicsRequest v4   => v1 (num_partitions/replication_factor may be -1 without assignments, KIP-464)
//   CreateTopicsRequest v5-7 => v4, flexible (compact arrays/strings, TAG_BUFFER per struct and at the end)
//
//   CreateTopicsResponse v0   => topics:[name:STRING error_code:INT16]
//   CreateTopicsResponse v1   => topics:[name error_code error_message:NULLABLE_STRING]
//   CreateTopicsResponse v2-4 => throttle_time_ms:INT32 + the v1 topics
//   CreateTopicsResponse v5-6 => throttle_time_ms
//                                topics:[name error_code error_message num_partitions:INT32 replication_factor:INT16
//                                        configs:[name value:NULLABLE_STRING read_only:BOOL config_source:INT8
//                                                 is_sensitive:BOOL] (nullable)
//                                        TAG_BUFFER (tag 0: topic_config_error_code:INT16)]
//                                (flexible; configs are KIP-525's "the topic's configs as created")
//   CreateTopicsResponse v7   => v5 with topic_id:UUID after name
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { ZERO_UUID, readTaggedFields, readTopicId, writeTopicId } from './fields.js';

export const CREATE_TOPICS_FLEXIBLE_FROM = 5;

export interface CreatableReplicaAssignment {
  readonly partitionIndex: number;
  readonly brokerIds: readonly number[];
}

export interface CreatableTopicConfig {
  readonly name: string;
  readonly value: string | null;
}

export interface CreatableTopic {
  readonly name: string;
  /** -1: the cluster default (or given by `assignments`). */
  readonly numPartitions: number;
  /** -1: the cluster default (or given by `assignments`). */
  readonly replicationFactor: number;
  /** Empty: place replicas automatically. */
  readonly assignments: readonly CreatableReplicaAssignment[];
  readonly configs: readonly CreatableTopicConfig[];
}

export interface CreateTopicsRequest {
  readonly topics: readonly CreatableTopic[];
  readonly timeoutMs: number;
  readonly validateOnly: boolean;
}

export interface CreatableTopicConfigs {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** DescribeConfigs' ConfigSource numbering (describe-configs.ts CONFIG_SOURCE). */
  readonly configSource: number;
  readonly isSensitive: boolean;
}

export interface CreatableTopicResult {
  readonly name: string;
  /** ZERO_UUID on error, for validateOnly, and before v7. */
  readonly topicId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** Tagged (v5+): why `configs` is missing; 0 when it is not. */
  readonly topicConfigErrorCode: number;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: readonly CreatableTopicConfigs[] | null;
}

export interface CreateTopicsResponse {
  readonly throttleTimeMs: number;
  readonly topics: readonly CreatableTopicResult[];
}

const flexible = (version: number) => version >= CREATE_TOPICS_FLEXIBLE_FROM;
const TOPIC_CONFIG_ERROR_CODE_TAG = 0;

// ---- request ----

export function decodeCreateTopicsRequest(r: Reader, version: number): CreateTopicsRequest {
  const f = flexible(version);
  const topics = r.versionedArray(f, (inner) => readTopic(inner, f));
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.bool() : false;
  if (f) r.skipTaggedFields();
  return { topics, timeoutMs, validateOnly };
}

function readTopic(r: Reader, f: boolean): CreatableTopic {
  const name = r.versionedString(f);
  const numPartitions = r.int32();
  const replicationFactor = r.int16();
  const assignments = r.versionedArray(f, (inner) => {
    const assignment = { partitionIndex: inner.int32(), brokerIds: inner.versionedArray(f, (x) => x.int32()) };
    if (f) inner.skipTaggedFields();
    return assignment;
  });
  const configs = r.versionedArray(f, (inner) => {
    const config = { name: inner.versionedString(f), value: inner.versionedNullableString(f) };
    if (f) inner.skipTaggedFields();
    return config;
  });
  if (f) r.skipTaggedFields();
  return { name, numPartitions, replicationFactor, assignments, configs };
}

export function encodeCreateTopicsRequest(w: Writer, version: number, request: CreateTopicsRequest): void {
  const f = flexible(version);
  w.versionedArray(f, request.topics, (out, t) => {
    out.versionedString(f, t.name).int32(t.numPartitions).int16(t.replicationFactor);
    out.versionedArray(f, t.assignments, (a, x) => {
      a.int32(x.partitionIndex).versionedArray(f, x.brokerIds, (b, id) => void b.int32(id));
      if (f) a.emptyTaggedFields();
    });
    out.versionedArray(f, t.configs, (c, x) => {
      c.versionedString(f, x.name).versionedString(f, x.value);
      if (f) c.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  w.int32(request.timeoutMs);
  if (version >= 1) w.bool(request.validateOnly);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeCreateTopicsResponse(w: Writer, version: number, response: CreateTopicsResponse): void {
  const f = flexible(version);
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.topics, (out, t) => writeResult(out, version, t));
  if (f) w.emptyTaggedFields();
}

function writeResult(w: Writer, version: number, t: CreatableTopicResult): void {
  const f = flexible(version);
  w.versionedString(f, t.name);
  if (version >= 7) writeTopicId(w, t.topicId);
  w.int16(t.errorCode);
  if (version >= 1) w.versionedString(f, t.errorMessage);
  if (version >= 5) {
    w.int32(t.numPartitions).int16(t.replicationFactor);
    w.versionedArray(f, t.configs, (out, c) => {
      out.versionedString(f, c.name).versionedString(f, c.value).bool(c.readOnly).int8(c.configSource).bool(c.isSensitive);
      out.emptyTaggedFields();
    });
  }
  if (f) writeTopicTags(w, t.topicConfigErrorCode);
}

/** Kafka writes a tagged field only when it differs from its default (0 here). */
function writeTopicTags(w: Writer, topicConfigErrorCode: number): void {
  if (topicConfigErrorCode === 0) return void w.emptyTaggedFields();
  w.unsignedVarint(1).unsignedVarint(TOPIC_CONFIG_ERROR_CODE_TAG).unsignedVarint(2).int16(topicConfigErrorCode);
}

export function decodeCreateTopicsResponse(r: Reader, version: number): CreateTopicsResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.versionedArray(f, (inner) => readResult(inner, version));
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, topics };
}

function readResult(r: Reader, version: number): CreatableTopicResult {
  const f = flexible(version);
  const name = r.versionedString(f);
  const topicId = version >= 7 ? readTopicId(r) : ZERO_UUID;
  const errorCode = r.int16();
  const errorMessage = version >= 1 ? r.versionedNullableString(f) : null;
  const numPartitions = version >= 5 ? r.int32() : -1;
  const replicationFactor = version >= 5 ? r.int16() : -1;
  const configs = version >= 5 ? r.versionedNullableArray(f, readConfig) : null;
  let topicConfigErrorCode = 0;
  if (f) {
    readTaggedFields(r, (tag) => {
      if (tag !== TOPIC_CONFIG_ERROR_CODE_TAG) return false;
      topicConfigErrorCode = r.int16();
      return true;
    });
  }
  return { name, topicId, errorCode, errorMessage, topicConfigErrorCode, numPartitions, replicationFactor, configs };
}

function readConfig(r: Reader): CreatableTopicConfigs {
  // Only flexible versions carry configs.
  const name = r.compactString();
  const value = r.compactNullableString();
  const config = { name, value, readOnly: r.bool(), configSource: r.int8(), isSensitive: r.bool() };
  r.skipTaggedFields();
  return config;
}

