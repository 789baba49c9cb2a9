// The storage of one partition replica: an append-only sequence of RecordBatch v2 bytes with offsets.
// Two implementations share this contract: DiskPartitionLog (segments on disk, disk-log.ts) and
// MemoryPartitionLog (memory-log.ts) for tests and simulators (STYLE.md point 7).
//
// Contract:
// - Appends, reads, truncations and retention are serialised by the implementation; a caller may
//   issue them concurrently and they take effect in call order.
// - append() modifies the caller's buffer in place (baseOffset, partitionLeaderEpoch) and keeps it:
//   the caller must not reuse it.
// - read() returns whole batches only, the first one whole even when it starts below `offset` or
//   exceeds `maxBytes` (so a consumer always progresses, as Kafka's KIP-74), and never a batch
//   with an offset at or above `maxOffsetExclusive` (consumers are bounded by the high-water mark).
// - Nothing is durable until flush() resolves; a crash may lose an unflushed suffix, never a prefix.
// - reconfigure() changes the LogConfig of an open log, in turn with the other operations; each
//   setting takes effect where it is next consulted, as in Kafka: segment.bytes and segment.ms at the
//   next roll decision, index.interval.bytes in segments created after, retention at the next
//   applyRetention(). A config the log cannot hold is refused and the old one stays.
// - applyRetention() deletes nothing holding an offset at or above the high-water mark it is given
//   (Kafka's UnifiedLog.deletableSegments), so the log start offset never passes the HW.
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
import type { LeaderEpoch, Offset } from './types.js';

export interface AppendResult {
  readonly baseOffset: Offset;
  readonly lastOffset: Offset;
}

export interface ReadResult {
  /** Slices of bytes as stored, whole batches in offset order; the wire's records field is their concatenation. */
  readonly slices: readonly Buffer[];
  readonly sizeBytes: number;
  /** The offset after the last batch returned (`offset` itself when nothing was). */
  readonly nextOffset: Offset;
}

export interface TimestampOffset {
  readonly offset: Offset;
  readonly timestamp: number;
}

export interface LogConfig {
  /** segment.bytes: a segment rolls before it would grow past this. */
  readonly segmentBytesMax: number;
  /** segment.ms: a segment rolls once its batches' timestamps span this long. */
  readonly segmentAgeMsMax: number;
  /** retention.ms: whole segments whose newest timestamp is older go; -1 keeps them. */
  readonly retentionMs: number;
  /** retention.bytes: oldest segments go while the log stays at least this big without them; -1 keeps them. */
  readonly retentionBytes: number;
  /** index.interval.bytes: bytes of batches between two sparse index entries. */
  readonly indexIntervalBytes: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytesMax: 1024 * 1024 * 1024,
  segmentAgeMsMax: 7 * 24 * 60 * 60 * 1000,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
});

export interface PartitionLog {
  /** The settings in force (the last one reconfigure() accepted, else the one the log was opened with). */
  readonly config: LogConfig;
  readonly logStartOffset: Offset;
  readonly logEndOffset: Offset;
  /** The epoch cache's entries, oldest first. */
  readonly epochEntries: readonly EpochEntry[];
  readonly latestEpoch: LeaderEpoch | undefined;

  /** Leader append: assigns offsets from the log end offset and stamps `leaderEpoch`. */
  append(batches: Buffer, leaderEpoch: LeaderEpoch): Promise<AppendResult>;
  /** Follower append: keeps the leader's offsets and epochs; the first must be the log end offset. */
  appendAsFollower(batches: Buffer): Promise<AppendResult>;
  read(offset: Offset, maxBytes: number, maxOffsetExclusive: Offset): Promise<ReadResult>;
  /** Removes every batch holding an offset at or above `offset` (a batch straddling it goes whole). */
  truncateTo(offset: Offset): Promise<void>;
  /** Empties the log and restarts it at `offset` (a follower too far behind the leader's start). */
  truncateFullyAndStartAt(offset: Offset): Promise<void>;
  /** OffsetForLeaderEpoch for this replica. */
  endOffsetForEpoch(epoch: LeaderEpoch): EpochEndOffset;
  /** The first record with a timestamp at or after `timestamp`, as ListOffsets; undefined if none. */
  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined>;
  /**
   * The first record carrying the log's largest timestamp (ListOffsets -3, KIP-734): of the batches
   * with the largest maxTimestamp the earliest, and in it the first record with that timestamp (every
   * record of a LogAppendTime batch has it, so its base offset). Undefined if no batch has a
   * timestamp. A compressed batch is not decoded: its base offset answers, which may be early.
   */
  maxTimestampRecord(): Promise<TimestampOffset | undefined>;
  /**
   * Deletes what retention.ms and retention.bytes allow among the oldest segments (batches, in
   * memory) that lie wholly below `highWatermark`; returns how many were removed. The active
   * segment goes too once it qualifies, after a roll, as in Kafka.
   */
  applyRetention(highWatermark: Offset): Promise<number>;
  /** Replaces the config; throws LogError('INVALID_CONFIG') and keeps the old one if `config` cannot apply. */
  reconfigure(config: LogConfig): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
