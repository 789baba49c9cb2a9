// OffsetForLeaderEpoch (key 23), versions 0-4; flexible from 4. Summarised from apache/kafka
// clients/src/main/resources/common/message/OffsetForLeaderEpoch{Request,Response}.json:
//
//   OffsetForLeaderEpochRequest v0-1 => topics:[topic:STRING partitions:[partition:INT32 leader_epoch:INT32]]
//   OffsetForLeaderEpochRequest v2   => v0 + partitions.current_leader_epoch:INT32 (after partition)
//   OffsetForLeaderEpochRequest v3   => replica_id:INT32 (first; default -2, a debug consumer) + v2
//   OffsetForLeaderEpochRequest v4   => v3, flexible
//
//   OffsetForLeaderEpochResponse v0   => topics:[topic:STRING partitions:[error_code:INT16 partition:INT32
//                                                                        end_offset:INT64]]
//   OffsetForLeaderEpochResponse v1   => v0 + partitions.leader_epoch:INT32 (before end_offset)
//   OffsetForLeaderEpochResponse v2-3 => throttle_time_ms:INT32 (first) + v1
//   OffsetForLeaderEpochResponse v4   => v2, flexible
//
// Followers ask it after a leader change to find where their log diverges (KIP-101/279).
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readInt64Number, writeInt64Number } from './fields.js';

export const OFFSET_FOR_LEADER_EPOCH_FLEXIBLE_FROM = 4;
/** The replica id before v3 (Kafka's default): a debug consumer, which may see past the HW. */
export const OFFSET_FOR_LEADER_EPOCH_DEBUG_REPLICA_ID = -2;

export interface OffsetForLeaderEpochRequestPartition {
  readonly partition: number;
  /** For fencing stale callers; decoded default before v2: -1 (no fencing). */
  readonly currentLeaderEpoch: number;
  /** The epoch whose end offset is asked for. */
  readonly leaderEpoch: number;
}

export interface OffsetForLeaderEpochRequestTopic {
  readonly topic: string;
  readonly partitions: readonly OffsetForLeaderEpochRequestPartition[];
}

export interface OffsetForLeaderEpochRequest {
  /** Decoded default before v3: OFFSET_FOR_LEADER_EPOCH_DEBUG_REPLICA_ID. */
  readonly replicaId: number;
  readonly topics: readonly OffsetForLeaderEpochRequestTopic[];
}

export interface OffsetForLeaderEpochResponsePartition {
  readonly errorCode: number;
  readonly partition: number;
  /** The largest epoch not above the one asked for; decoded default in v0: -1. */
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

export interface OffsetForLeaderEpochResponseTopic {
  readonly topic: string;
  readonly partitions: readonly OffsetForLeaderEpochResponsePartition[];
}

export interface OffsetForLeaderEpochResponse {
  /** Decoded default before v2: 0. */
  readonly throttleTimeMs: number;
  readonly topics: readonly OffsetForLeaderEpochResponseTopic[];
}

const flexible = (version: number) => version >= OFFSET_FOR_LEADER_EPOCH_FLEXIBLE_FROM;

// ---- request ----

export function decodeOffsetForLeaderEpochRequest(r: Reader, version: number): OffsetForLeaderEpochRequest {
  const f = flexible(version);
  const replicaId = version >= 3 ? r.int32() : OFFSET_FOR_LEADER_EPOCH_DEBUG_REPLICA_ID;
  const topics = r.versionedArray(f, (inner) => {
    const topic = inner.versionedString(f);
    const partitions = inner.versionedArray(f, (p) => readRequestPartition(p, version));
    if (f) inner.skipTaggedFields();
    return { topic, partitions };
  });
  if (f) r.skipTaggedFields();
  return { replicaId, topics };
}

function readRequestPartition(r: Reader, version: number): OffsetForLeaderEpochRequestPartition {
  const partition = r.int32();
  const currentLeaderEpoch = version >= 2 ? r.int32() : -1;
  const leaderEpoch = r.int32();
  if (flexible(version)) r.skipTaggedFields();
  return { partition, currentLeaderEpoch, leaderEpoch };
}

export function encodeOffsetForLeaderEpochRequest(w: Writer, version: number, request: OffsetForLeaderEpochRequest): void {
  const f = flexible(version);
  if (version >= 3) w.int32(request.replicaId);
  w.versionedArray(f, request.topics, (out, t) => {
    out.versionedString(f, t.topic);
    out.versionedArray(f, t.partitions, (inner, p) => {
      inner.int32(p.partition);
      if (version >= 2) inner.int32(p.currentLeaderEpoch);
      inner.int32(p.leaderEpoch);
      if (f) inner.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeOffsetForLeaderEpochResponse(w: Writer, version: number, response: OffsetForLeaderEpochResponse): void {
  const f = flexible(version);
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.topics, (out, t) => {
    out.versionedString(f, t.topic);
    out.versionedArray(f, t.partitions, (inner, p) => {
      inner.int16(p.errorCode).int32(p.partition);
      if (version >= 1) inner.int32(p.leaderEpoch);
      writeInt64Number(inner, p.endOffset);
      if (f) inner.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

export function decodeOffsetForLeaderEpochResponse(r: Reader, version: number): OffsetForLeaderEpochResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.versionedArray(f, (inner) => {
    const topic = inner.versionedString(f);
    const partitions = inner.versionedArray(f, (p) => readResponsePartition(p, version));
    if (f) inner.skipTaggedFields();
    return { topic, partitions };
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, topics };
}

function readResponsePartition(r: Reader, version: number): OffsetForLeaderEpochResponsePartition {
  const errorCode = r.int16();
  const partition = r.int32();
  const leaderEpoch = version >= 1 ? r.int32() : -1;
  const endOffset = readInt64Number(r, 'end offset');
  if (flexible(version)) r.skipTaggedFields();
  return { errorCode, partition, leaderEpoch, endOffset };
}
