// Produce (key 0), versions 3-9; flexible from 9. Summarised from apache/kafka
// clients/src/main/resources/common/message/Produce{Request,Response}.json:
//
//   ProduceRequest v3-8 => transactional_id:NULLABLE_STRING acks:INT16 timeout_ms:INT32
//                          topic_data:[name:STRING partition_data:[index:INT32 records:NULLABLE_RECORDS]]
//   ProduceRequest v9   => v8, flexible (compact strings/arrays/records, TAG_BUFFER per struct and at the end)
//   (v0-2 have no transactional_id; we do not serve them: record batch v2 needs v3.)
//
//   ProduceResponse     => responses:[name:STRING
//                                     partition_responses:[index:INT32 error_code:INT16 base_offset:INT64
//                                                          log_append_time_ms:INT64 (v2+, default -1)
//                                                          log_start_offset:INT64 (v5+, default -1)
//                                                          record_errors:[batch_index:INT32
//                                                                         batch_index_error_message:NULLABLE_STRING] (v8+)
//                                                          error_message:NULLABLE_STRING (v8+, default null)]]
//                          throttle_time_ms:INT32 (v1+, default 0)
//   ProduceResponse v9  => v8, flexible. (v10+ add tagged CurrentLeader/NodeEndpoints; not served.)
//
// The records stay raw bytes: a view into the request frame, never copied or parsed here, since the
// broker validates each batch itself.
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readInt64Number, writeInt64Number } from './fields.js';

export const PRODUCE_FLEXIBLE_FROM = 9;

export interface ProducePartitionData {
  readonly index: number;
  /** The record batches as sent: a view into the request frame; null when the wire says null. */
  readonly records: Buffer | null;
}

export interface ProduceTopicData {
  readonly name: string;
  readonly partitionData: readonly ProducePartitionData[];
}

export interface ProduceRequest {
  /** null for a non-transactional producer (and the decoded default before v3). */
  readonly transactionalId: string | null;
  /** 0, 1 or -1 (all in-sync replicas). */
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topicData: readonly ProduceTopicData[];
}

export interface ProduceRecordError {
  /** The index of the record within the batch that made the broker drop the batch. */
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string | null;
}

export interface ProducePartitionResponse {
  readonly index: number;
  readonly errorCode: number;
  readonly baseOffset: number;
  /** -1 unless the topic uses LogAppendTime (and the decoded default before v2). */
  readonly logAppendTimeMs: number;
  /** Decoded default before v5: -1. */
  readonly logStartOffset: number;
  /** Decoded default before v8: []. */
  readonly recordErrors: readonly ProduceRecordError[];
  /** Decoded default before v8: null. */
  readonly errorMessage: string | null;
}

export interface ProduceTopicResponse {
  readonly name: string;
  readonly partitionResponses: readonly ProducePartitionResponse[];
}

export interface ProduceResponse {
  readonly responses: readonly ProduceTopicResponse[];
  /** Decoded default before v1: 0. */
  readonly throttleTimeMs: number;
}

const flexible = (version: number) => version >= PRODUCE_FLEXIBLE_FROM;

// ---- request ----

export function decodeProduceRequest(r: Reader, version: number): ProduceRequest {
  const f = flexible(version);
  const transactionalId = version >= 3 ? r.versionedNullableString(f) : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicData = r.versionedArray(f, (inner) => readTopicData(inner, f));
  if (f) r.skipTaggedFields();
  return { transactionalId, acks, timeoutMs, topicData };
}

function readTopicData(r: Reader, f: boolean): ProduceTopicData {
  const name = r.versionedString(f);
  const partitionData = r.versionedArray(f, (inner) => readPartitionData(inner, f));
  if (f) r.skipTaggedFields();
  return { name, partitionData };
}

function readPartitionData(r: Reader, f: boolean): ProducePartitionData {
  const index = r.int32();
  const records = f ? r.compactNullableBytes() : r.nullableBytes();
  if (f) r.skipTaggedFields();
  return { index, records };
}

export function encodeProduceRequest(w: Writer, version: number, request: ProduceRequest): void {
  const f = flexible(version);
  if (version >= 3) w.versionedString(f, request.transactionalId);
  w.int16(request.acks).int32(request.timeoutMs);
  w.versionedArray(f, request.topicData, (out, t) => {
    out.versionedString(f, t.name);
    out.versionedArray(f, t.partitionData, (inner, p) => {
      inner.int32(p.index);
      if (f) inner.compactNullableBytes(p.records).emptyTaggedFields();
      else inner.nullableBytes(p.records);
    });
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeProduceResponse(w: Writer, version: number, response: ProduceResponse): void {
  const f = flexible(version);
  w.versionedArray(f, response.responses, (out, t) => {
    out.versionedString(f, t.name);
    out.versionedArray(f, t.partitionResponses, (inner, p) => writePartitionResponse(inner, version, p));
    if (f) out.emptyTaggedFields();
  });
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (f) w.emptyTaggedFields();
}

function writePartitionResponse(w: Writer, version: number, p: ProducePartitionResponse): void {
  const f = flexible(version);
  w.int32(p.index).int16(p.errorCode);
  writeInt64Number(w, p.baseOffset);
  if (version >= 2) writeInt64Number(w, p.logAppendTimeMs);
  if (version >= 5) writeInt64Number(w, p.logStartOffset);
  if (version >= 8) {
    w.versionedArray(f, p.recordErrors, (out, e) => {
      out.int32(e.batchIndex).versionedString(f, e.batchIndexErrorMessage);
      if (f) out.emptyTaggedFields();
    });
    w.versionedString(f, p.errorMessage);
  }
  if (f) w.emptyTaggedFields();
}

export function decodeProduceResponse(r: Reader, version: number): ProduceResponse {
  const f = flexible(version);
  const responses = r.versionedArray(f, (inner) => {
    const name = inner.versionedString(f);
    const partitionResponses = inner.versionedArray(f, (p) => readPartitionResponse(p, version));
    if (f) inner.skipTaggedFields();
    return { name, partitionResponses };
  });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  if (f) r.skipTaggedFields();
  return { responses, throttleTimeMs };
}

function readPartitionResponse(r: Reader, version: number): ProducePartitionResponse {
  const f = flexible(version);
  const index = r.int32();
  const errorCode = r.int16();
  const baseOffset = readInt64Number(r, 'base offset');
  const logAppendTimeMs = version >= 2 ? readInt64Number(r, 'log append time') : -1;
  const logStartOffset = version >= 5 ? readInt64Number(r, 'log start offset') : -1;
  const recordErrors = version >= 8 ? r.versionedArray(f, (inner) => readRecordError(inner, f)) : [];
  const errorMessage = version >= 8 ? r.versionedNullableString(f) : null;
  if (f) r.skipTaggedFields();
  return { index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, recordErrors, errorMessage };
}

function readRecordError(r: Reader, f: boolean): ProduceRecordError {
  const batchIndex = r.int32();
  const batchIndexErrorMessage = r.versionedNullableString(f);
  if (f) r.skipTaggedFields();
  return { batchIndex, batchIndexErrorMessage };
}
