// Fetch (key 1), versions 4-12; flexible from 12. Summarised from apache/kafka
// clients/src/main/resources/common/message/Fetch{Request,Response}.json:
//
//   FetchRequest v4  => replica_id:INT32 max_wait_ms:INT32 min_bytes:INT32 max_bytes:INT32 (v3+)
//                       isolation_level:INT8 (v4+)
//                       topics:[topic:STRING partitions:[partition:INT32 fetch_offset:INT64
//                                                        partition_max_bytes:INT32]]
//   FetchRequest v5-6 => v4 + partitions.log_start_offset:INT64 (after fetch_offset)
//   FetchRequest v7-8 => v5 + session_id:INT32 session_epoch:INT32 (after isolation_level)
//                        + forgotten_topics_data:[topic:STRING partitions:[INT32]] (after topics)
//   FetchRequest v9-10=> v7 + partitions.current_leader_epoch:INT32 (after partition)
//   FetchRequest v11 => v9 + rack_id:STRING (at the end)
//   FetchRequest v12 => v11 + partitions.last_fetched_epoch:INT32 (after fetch_offset), flexible;
//                       top-level tag 0: cluster_id:COMPACT_NULLABLE_STRING
//   (v13+ name topics by id; not served.)
//
//   FetchResponse v4  => throttle_time_ms:INT32 (v1+)
//                        responses:[topic:STRING
//                                   partitions:[partition_index:INT32 error_code:INT16 high_watermark:INT64
//                                               last_stable_offset:INT64 (v4+)
//                                               aborted_transactions:[producer_id:INT64 first_offset:INT64] nullable (v4+)
//                                               records:NULLABLE_RECORDS]]
//   FetchResponse v5-6  => v4 + partitions.log_start_offset:INT64 (after last_stable_offset)
//   FetchResponse v7-10 => v5 + error_code:INT16 session_id:INT32 (after throttle_time_ms)
//   FetchResponse v11   => v7 + partitions.preferred_read_replica:INT32 (before records)
//   FetchResponse v12   => v11, flexible; partition tags 0 diverging_epoch {epoch:INT32 end_offset:INT64},
//                          1 current_leader {leader_id:INT32 leader_epoch:INT32},
//                          2 snapshot_id {end_offset:INT64 epoch:INT32} (each struct ends in its own TAG_BUFFER)
//
// Records are served without copying: the response holds them as slices (of segment files, say)
// and the encoder appends each by reference (Writer.rawRef), so they reach the socket as they are.
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readInt64Number, readTaggedFields, writeInt64Number, writeTaggedFields, type TaggedField } from './fields.js';

export const FETCH_FLEXIBLE_FROM = 12;
/** The request's maxBytes before v3 (Kafka's default): no limit. */
export const FETCH_MAX_BYTES_DEFAULT = 0x7fff_ffff;

const REQUEST_TAG_CLUSTER_ID = 0;
const PARTITION_TAG_DIVERGING_EPOCH = 0;
const PARTITION_TAG_CURRENT_LEADER = 1;
const PARTITION_TAG_SNAPSHOT_ID = 2;

export interface FetchRequestPartition {
  readonly partition: number;
  /** Decoded default before v9: -1 (no fencing). */
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: number;
  /** Decoded default before v12: -1. */
  readonly lastFetchedEpoch: number;
  /** A follower's log start offset; decoded default before v5: -1. */
  readonly logStartOffset: number;
  readonly partitionMaxBytes: number;
}

export interface FetchRequestTopic {
  readonly topic: string;
  readonly partitions: readonly FetchRequestPartition[];
}

export interface FetchForgottenTopic {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface FetchRequest {
  /** Tag 0 of v12+; null when absent (and before v12). */
  readonly clusterId: string | null;
  /** The fetching broker, or -1 for a consumer. */
  readonly replicaId: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** Decoded default before v3: FETCH_MAX_BYTES_DEFAULT. */
  readonly maxBytes: number;
  /** 0 read uncommitted, 1 read committed; decoded default before v4: 0. */
  readonly isolationLevel: number;
  /** Decoded default before v7: 0 (no session). */
  readonly sessionId: number;
  /** Decoded default before v7: -1 (a full fetch outside sessions). */
  readonly sessionEpoch: number;
  readonly topics: readonly FetchRequestTopic[];
  /** Decoded default before v7: []. */
  readonly forgottenTopicsData: readonly FetchForgottenTopic[];
  /** Decoded default before v11: ''. */
  readonly rackId: string;
}

export interface FetchEpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface FetchLeaderIdAndEpoch {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export interface FetchSnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

export interface FetchAbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

export interface FetchResponsePartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  /** Decoded default before v4: -1. */
  readonly lastStableOffset: number;
  /** Decoded default before v5: -1. */
  readonly logStartOffset: number;
  /** v12+ tag 0, written only when set; absent when the wire lacks it. */
  readonly divergingEpoch?: FetchEpochEndOffset;
  /** v12+ tag 1, written only when set. */
  readonly currentLeader?: FetchLeaderIdAndEpoch;
  /** v12+ tag 2, written only when set. */
  readonly snapshotId?: FetchSnapshotId;
  /** Decoded default before v4: null. */
  readonly abortedTransactions: readonly FetchAbortedTransaction[] | null;
  /** Decoded default before v11: -1. */
  readonly preferredReadReplica: number;
  /**
   * The records field as slices whose concatenation is its bytes; null on the wire when null.
   * The encoder references large slices rather than copying them; the decoder returns one view.
   */
  readonly records: readonly Buffer[] | null;
}

export interface FetchResponseTopic {
  readonly topic: string;
  readonly partitions: readonly FetchResponsePartition[];
}

export interface FetchResponse {
  /** Decoded default before v1: 0. */
  readonly throttleTimeMs: number;
  /** Top-level error; decoded default before v7: 0. */
  readonly errorCode: number;
  /** Decoded default before v7: 0. */
  readonly sessionId: number;
  readonly responses: readonly FetchResponseTopic[];
}

const flexible = (version: number) => version >= FETCH_FLEXIBLE_FROM;
const ints = (r: Reader) => r.int32();
const putInt = (w: Writer, n: number) => void w.int32(n);

// ---- request ----

export function decodeFetchRequest(r: Reader, version: number): FetchRequest {
  const f = flexible(version);
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = version >= 3 ? r.int32() : FETCH_MAX_BYTES_DEFAULT;
  const isolationLevel = version >= 4 ? r.int8() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.versionedArray(f, (inner) => readRequestTopic(inner, version));
  const forgottenTopicsData = version >= 7 ? r.versionedArray(f, (inner) => readForgottenTopic(inner, f)) : [];
  const rackId = version >= 11 ? r.versionedString(f) : '';
  let clusterId: string | null = null;
  if (f) {
    readTaggedFields(r, (tag) => {
      if (tag !== REQUEST_TAG_CLUSTER_ID) return false;
      clusterId = r.compactNullableString();
      return true;
    });
  }
  return { clusterId, replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopicsData, rackId };
}

function readRequestTopic(r: Reader, version: number): FetchRequestTopic {
  const f = flexible(version);
  const topic = r.versionedString(f);
  const partitions = r.versionedArray(f, (inner) => readRequestPartition(inner, version));
  if (f) r.skipTaggedFields();
  return { topic, partitions };
}

function readRequestPartition(r: Reader, version: number): FetchRequestPartition {
  const partition = r.int32();
  const currentLeaderEpoch = version >= 9 ? r.int32() : -1;
  const fetchOffset = readInt64Number(r, 'fetch offset');
  const lastFetchedEpoch = version >= 12 ? r.int32() : -1;
  const logStartOffset = version >= 5 ? readInt64Number(r, 'log start offset') : -1;
  const partitionMaxBytes = r.int32();
  if (flexible(version)) r.skipTaggedFields();
  return { partition, currentLeaderEpoch, fetchOffset, lastFetchedEpoch, logStartOffset, partitionMaxBytes };
}

function readForgottenTopic(r: Reader, f: boolean): FetchForgottenTopic {
  const topic = r.versionedString(f);
  const partitions = r.versionedArray(f, ints);
  if (f) r.skipTaggedFields();
  return { topic, partitions };
}

export function encodeFetchRequest(w: Writer, version: number, request: FetchRequest): void {
  const f = flexible(version);
  w.int32(request.replicaId).int32(request.maxWaitMs).int32(request.minBytes);
  if (version >= 3) w.int32(request.maxBytes);
  if (version >= 4) w.int8(request.isolationLevel);
  if (version >= 7) w.int32(request.sessionId).int32(request.sessionEpoch);
  w.versionedArray(f, request.topics, (out, t) => writeRequestTopic(out, version, t));
  if (version >= 7) {
    w.versionedArray(f, request.forgottenTopicsData, (out, t) => {
      out.versionedString(f, t.topic).versionedArray(f, t.partitions, putInt);
      if (f) out.emptyTaggedFields();
    });
  }
  if (version >= 11) w.versionedString(f, request.rackId);
  if (f) {
    const clusterId = request.clusterId;
    writeTaggedFields(w, clusterId === null ? [] : [[REQUEST_TAG_CLUSTER_ID, (out) => void out.compactNullableString(clusterId)]]);
  }
}

function writeRequestTopic(w: Writer, version: number, t: FetchRequestTopic): void {
  const f = flexible(version);
  w.versionedString(f, t.topic);
  w.versionedArray(f, t.partitions, (out, p) => {
    out.int32(p.partition);
    if (version >= 9) out.int32(p.currentLeaderEpoch);
    writeInt64Number(out, p.fetchOffset);
    if (version >= 12) out.int32(p.lastFetchedEpoch);
    if (version >= 5) writeInt64Number(out, p.logStartOffset);
    out.int32(p.partitionMaxBytes);
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeFetchResponse(w: Writer, version: number, response: FetchResponse): void {
  const f = flexible(version);
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (version >= 7) w.int16(response.errorCode).int32(response.sessionId);
  w.versionedArray(f, response.responses, (out, t) => {
    out.versionedString(f, t.topic);
    out.versionedArray(f, t.partitions, (inner, p) => writeResponsePartition(inner, version, p));
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

function writeResponsePartition(w: Writer, version: number, p: FetchResponsePartition): void {
  const f = flexible(version);
  w.int32(p.partitionIndex).int16(p.errorCode);
  writeInt64Number(w, p.highWatermark);
  if (version >= 4) writeInt64Number(w, p.lastStableOffset);
  if (version >= 5) writeInt64Number(w, p.logStartOffset);
  if (version >= 4) {
    w.versionedArray(f, p.abortedTransactions, (out, a) => {
      writeInt64Number(writeInt64Number(out, a.producerId), a.firstOffset);
      if (f) out.emptyTaggedFields();
    });
  }
  if (version >= 11) w.int32(p.preferredReadReplica);
  writeRecords(w, f, p.records);
  if (f) writeTaggedFields(w, partitionTags(p));
}

/** The record set's length prefix, then every slice by reference. */
function writeRecords(w: Writer, f: boolean, records: readonly Buffer[] | null): void {
  if (records === null) {
    if (f) w.unsignedVarint(0);
    else w.int32(-1);
    return;
  }
  const totalBytes = records.reduce((n, slice) => n + slice.length, 0);
  if (f) w.unsignedVarint(totalBytes + 1);
  else w.int32(totalBytes);
  for (const slice of records) w.rawRef(slice);
}

function partitionTags(p: FetchResponsePartition): TaggedField[] {
  const fields: TaggedField[] = [];
  const { divergingEpoch, currentLeader, snapshotId } = p;
  if (divergingEpoch !== undefined) {
    fields.push([PARTITION_TAG_DIVERGING_EPOCH, (w) => void writeInt64Number(w.int32(divergingEpoch.epoch), divergingEpoch.endOffset).emptyTaggedFields()]);
  }
  if (currentLeader !== undefined) {
    fields.push([PARTITION_TAG_CURRENT_LEADER, (w) => void w.int32(currentLeader.leaderId).int32(currentLeader.leaderEpoch).emptyTaggedFields()]);
  }
  if (snapshotId !== undefined) {
    fields.push([PARTITION_TAG_SNAPSHOT_ID, (w) => void writeInt64Number(w, snapshotId.endOffset).int32(snapshotId.epoch).emptyTaggedFields()]);
  }
  return fields;
}

export function decodeFetchResponse(r: Reader, version: number): FetchResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = version >= 7 ? r.int16() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const responses = r.versionedArray(f, (inner) => {
    const topic = inner.versionedString(f);
    const partitions = inner.versionedArray(f, (p) => readResponsePartition(p, version));
    if (f) inner.skipTaggedFields();
    return { topic, partitions };
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, errorCode, sessionId, responses };
}

function readResponsePartition(r: Reader, version: number): FetchResponsePartition {
  const f = flexible(version);
  const partitionIndex = r.int32();
  const errorCode = r.int16();
  const highWatermark = readInt64Number(r, 'high watermark');
  const lastStableOffset = version >= 4 ? readInt64Number(r, 'last stable offset') : -1;
  const logStartOffset = version >= 5 ? readInt64Number(r, 'log start offset') : -1;
  const abortedTransactions = version >= 4 ? r.versionedNullableArray(f, (inner) => readAbortedTransaction(inner, f)) : null;
  const preferredReadReplica = version >= 11 ? r.int32() : -1;
  const bytes = f ? r.compactNullableBytes() : r.nullableBytes();
  const partition: FetchResponsePartition = {
    partitionIndex, errorCode, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, preferredReadReplica,
    records: bytes === null ? null : [bytes],
  };
  return f ? { ...partition, ...readPartitionTags(r) } : partition;
}

function readAbortedTransaction(r: Reader, f: boolean): FetchAbortedTransaction {
  const producerId = readInt64Number(r, 'producer id');
  const firstOffset = readInt64Number(r, 'first offset');
  if (f) r.skipTaggedFields();
  return { producerId, firstOffset };
}

type PartitionTags = Pick<FetchResponsePartition, 'divergingEpoch' | 'currentLeader' | 'snapshotId'>;

function readPartitionTags(r: Reader): PartitionTags {
  const tags: { -readonly [K in keyof PartitionTags]: PartitionTags[K] } = {};
  readTaggedFields(r, (tag) => {
    switch (tag) {
      case PARTITION_TAG_DIVERGING_EPOCH:
        tags.divergingEpoch = { epoch: r.int32(), endOffset: readInt64Number(r, 'diverging end offset') };
        break;
      case PARTITION_TAG_CURRENT_LEADER:
        tags.currentLeader = { leaderId: r.int32(), leaderEpoch: r.int32() };
        break;
      case PARTITION_TAG_SNAPSHOT_ID:
        tags.snapshotId = { endOffset: readInt64Number(r, 'snapshot end offset'), epoch: r.int32() };
        break;
      default:
        return false;
    }
    r.skipTaggedFields();
    return true;
  });
  return tags;
}

/** The records of a decoded partition as one buffer (a view when there is a single slice). */
export function fetchRecordsBytes(records: readonly Buffer[] | null): Buffer | null {
  if (records === null) return null;
  if (records.length === 1 && records[0] !== undefined) return records[0];
  return Buffer.concat(records);
}

