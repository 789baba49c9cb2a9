// ListOffsets (key 2), versions 0-7; flexible from 6. Summarised from apache/kafka
// clients/src/main/resources/common/message/ListOffsets{Request,Response}.json:
//
//   ListOffsetsRequest v0   => replica_id:INT32
//                              topics:[name:STRING partitions:[partition_index:INT32 timestamp:INT64
//                                                              max_num_offsets:INT32]]
//   ListOffsetsRequest v1   => v0 without max_num_offsets (one offset per partition from here on)
//   ListOffsetsRequest v2-3 => v1 + isolation_level:INT8 (after replica_id)
//   ListOffsetsRequest v4-5 => v2 + partitions.current_leader_epoch:INT32 (after partition_index)
//   ListOffsetsRequest v6-7 => v4, flexible (v7 adds timestamp -3, max timestamp, KIP-734)
//
//   ListOffsetsResponse v0   => topics:[name:STRING partitions:[partition_index:INT32 error_code:INT16
//                                                               old_style_offsets:[INT64]]]
//   ListOffsetsResponse v1   => topics:[name partitions:[partition_index error_code timestamp:INT64 offset:INT64]]
//   ListOffsetsResponse v2-3 => throttle_time_ms:INT32 + v1
//   ListOffsetsResponse v4-5 => v2 + partitions.leader_epoch:INT32 (after offset)
//   ListOffsetsResponse v6-7 => v4, flexible
//
// The timestamp asked for may be a real time or a sentinel (LIST_OFFSETS_TIMESTAMP).
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readInt64Number, writeInt64Number } from './fields.js';

export const LIST_OFFSETS_FLEXIBLE_FROM = 6;

/** The sentinel timestamps a request may ask for instead of a time. */
export const LIST_OFFSETS_TIMESTAMP = {
  latest: -1,
  earliest: -2,
  /** v7+: the offset of the record with the largest timestamp. */
  maxTimestamp: -3,
} as const;

export interface ListOffsetsRequestPartition {
  readonly partitionIndex: number;
  /** Decoded default before v4: -1 (no fencing). */
  readonly currentLeaderEpoch: number;
  readonly timestamp: number;
  /** v0 only; decoded default from v1: 1. */
  readonly maxNumOffsets: number;
}

export interface ListOffsetsRequestTopic {
  readonly name: string;
  readonly partitions: readonly ListOffsetsRequestPartition[];
}

export interface ListOffsetsRequest {
  /** The asking broker, or -1 for a consumer. */
  readonly replicaId: number;
  /** 0 read uncommitted, 1 read committed; decoded default before v2: 0. */
  readonly isolationLevel: number;
  readonly topics: readonly ListOffsetsRequestTopic[];
}

export interface ListOffsetsResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
  /** v0 only, newest first; decoded default from v1: []. */
  readonly oldStyleOffsets: readonly number[];
  /** Decoded default in v0: -1. */
  readonly timestamp: number;
  /** Decoded default in v0: -1. */
  readonly offset: number;
  /** Decoded default before v4: -1. */
  readonly leaderEpoch: number;
}

export interface ListOffsetsResponseTopic {
  readonly name: string;
  readonly partitions: readonly ListOffsetsResponsePartition[];
}

export interface ListOffsetsResponse {
  /** Decoded default before v2: 0. */
  readonly throttleTimeMs: number;
  readonly topics: readonly ListOffsetsResponseTopic[];
}

const flexible = (version: number) => version >= LIST_OFFSETS_FLEXIBLE_FROM;

// ---- request ----

export function decodeListOffsetsRequest(r: Reader, version: number): ListOffsetsRequest {
  const f = flexible(version);
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.versionedArray(f, (inner) => {
    const name = inner.versionedString(f);
    const partitions = inner.versionedArray(f, (p) => readRequestPartition(p, version));
    if (f) inner.skipTaggedFields();
    return { name, partitions };
  });
  if (f) r.skipTaggedFields();
  return { replicaId, isolationLevel, topics };
}

function readRequestPartition(r: Reader, version: number): ListOffsetsRequestPartition {
  const partitionIndex = r.int32();
  const currentLeaderEpoch = version >= 4 ? r.int32() : -1;
  const timestamp = readInt64Number(r, 'timestamp');
  const maxNumOffsets = version === 0 ? r.int32() : 1;
  if (flexible(version)) r.skipTaggedFields();
  return { partitionIndex, currentLeaderEpoch, timestamp, maxNumOffsets };
}

export function encodeListOffsetsRequest(w: Writer, version: number, request: ListOffsetsRequest): void {
  const f = flexible(version);
  w.int32(request.replicaId);
  if (version >= 2) w.int8(request.isolationLevel);
  w.versionedArray(f, request.topics, (out, t) => {
    out.versionedString(f, t.name);
    out.versionedArray(f, t.partitions, (inner, p) => {
      inner.int32(p.partitionIndex);
      if (version >= 4) inner.int32(p.currentLeaderEpoch);
      writeInt64Number(inner, p.timestamp);
      if (version === 0) inner.int32(p.maxNumOffsets);
      if (f) inner.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeListOffsetsResponse(w: Writer, version: number, response: ListOffsetsResponse): void {
  const f = flexible(version);
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.topics, (out, t) => {
    out.versionedString(f, t.name);
    out.versionedArray(f, t.partitions, (inner, p) => writeResponsePartition(inner, version, p));
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

function writeResponsePartition(w: Writer, version: number, p: ListOffsetsResponsePartition): void {
  w.int32(p.partitionIndex).int16(p.errorCode);
  if (version === 0) w.array(p.oldStyleOffsets, (out, offset) => void writeInt64Number(out, offset));
  else writeInt64Number(writeInt64Number(w, p.timestamp), p.offset);
  if (version >= 4) w.int32(p.leaderEpoch);
  if (flexible(version)) w.emptyTaggedFields();
}

export function decodeListOffsetsResponse(r: Reader, version: number): ListOffsetsResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.versionedArray(f, (inner) => {
    const name = inner.versionedString(f);
    const partitions = inner.versionedArray(f, (p) => readResponsePartition(p, version));
    if (f) inner.skipTaggedFields();
    return { name, partitions };
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, topics };
}

function readResponsePartition(r: Reader, version: number): ListOffsetsResponsePartition {
  const partitionIndex = r.int32();
  const errorCode = r.int16();
  const oldStyleOffsets = version === 0 ? r.array((inner) => readInt64Number(inner, 'offset')) : [];
  const timestamp = version >= 1 ? readInt64Number(r, 'timestamp') : -1;
  const offset = version >= 1 ? readInt64Number(r, 'offset') : -1;
  const leaderEpoch = version >= 4 ? r.int32() : -1;
  if (flexible(version)) r.skipTaggedFields();
  return { partitionIndex, errorCode, oldStyleOffsets, timestamp, offset, leaderEpoch };
}
