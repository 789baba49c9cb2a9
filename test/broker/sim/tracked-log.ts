// The simulator's partition log: a MemoryPartitionLog (the real one, not a model) behind a thin
// wrapper that remembers, for each of its watchers, the lowest offset any change since that
// watcher's last look may have touched, so the checker re-reads and re-checks only that suffix
// after each event instead of the whole log. It also survives its broker's crashes: a restarted
// broker opens the same object again (see broker.ts), as a process reopens its files.
import type { EpochEndOffset, EpochEntry } from '../../../src/broker/log/leader-epoch-cache.js';
import { MemoryPartitionLog } from '../../../src/broker/log/memory-log.js';
import type { AppendResult, LogConfig, PartitionLog, ReadResult, TimestampOffset } from '../../../src/broker/log/partition-log.js';
import { lastOffsetOf, readBatchHeader } from '../../../src/broker/log/record-batch.js';
import { offset, type ClockMs, type LeaderEpoch, type Offset } from '../../../src/broker/log/types.js';

/** What the checker compares: a batch's offsets, the epoch it was appended in, and its CRC. */
export interface BatchId {
  readonly base: number;
  readonly last: number;
  readonly epoch: number;
  readonly crc: number;
}

export const sameBatch = (a: BatchId, b: BatchId): boolean => a.base === b.base && a.last === b.last && a.epoch === b.epoch && a.crc === b.crc;
export const formatBatch = (b: BatchId): string => `[${b.base}..${b.last}]e${b.epoch}/${b.crc.toString(16)}`;

/** Reads everything at once: the simulated logs hold a few hundred small batches. */
const READ_BYTES_MAX = 1 << 30;

/** The lowest offset changed since its holder last looked (Infinity: nothing changed). */
export interface ChangeMark {
  from: number;
}

export class TrackedLog implements PartitionLog {
  private readonly inner: MemoryPartitionLog;
  private readonly marks: ChangeMark[] = [];
  private readonly readMark: ChangeMark = this.newMark();
  private cached: BatchId[] = [];

  constructor(config: LogConfig, clockMs: ClockMs) {
    this.inner = new MemoryPartitionLog(config, clockMs);
  }

  get config(): LogConfig {
    return this.inner.config;
  }
  get logStartOffset(): Offset {
    return this.inner.logStartOffset;
  }
  get logEndOffset(): Offset {
    return this.inner.logEndOffset;
  }
  get epochEntries(): readonly EpochEntry[] {
    return this.inner.epochEntries;
  }
  get latestEpoch(): LeaderEpoch | undefined {
    return this.inner.latestEpoch;
  }

  append(batches: Buffer, leaderEpoch: LeaderEpoch): Promise<AppendResult> {
    this.touch(this.inner.logEndOffset);
    return this.inner.append(batches, leaderEpoch);
  }

  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    this.touch(this.inner.logEndOffset);
    return this.inner.appendAsFollower(batches);
  }

  read(from: Offset, maxBytes: number, maxOffsetExclusive: Offset): Promise<ReadResult> {
    return this.inner.read(from, maxBytes, maxOffsetExclusive);
  }

  truncateTo(to: Offset): Promise<void> {
    this.touch(to);
    return this.inner.truncateTo(to);
  }

  truncateFullyAndStartAt(start: Offset): Promise<void> {
    this.touch(0);
    return this.inner.truncateFullyAndStartAt(start);
  }

  endOffsetForEpoch(epoch: LeaderEpoch): EpochEndOffset {
    return this.inner.endOffsetForEpoch(epoch);
  }

  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined> {
    return this.inner.offsetForTimestamp(timestamp);
  }

  maxTimestampRecord(): Promise<TimestampOffset | undefined> {
    return this.inner.maxTimestampRecord();
  }

  applyRetention(highWatermark: Offset): Promise<number> {
    this.touch(0);
    return this.inner.applyRetention(highWatermark);
  }

  reconfigure(config: LogConfig): Promise<void> {
    return this.inner.reconfigure(config);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  /** A broker's ReplicaManager closing its logs must not end them: the broker's disk outlives it. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** A mark that every later change lowers to the offset it starts at; it starts at 0 (all unseen). */
  newMark(): ChangeMark {
    const mark = { from: 0 };
    this.marks.push(mark);
    return mark;
  }

  private touch(from: number): void {
    for (const m of this.marks) m.from = Math.min(m.from, from);
  }

  /** The batches held now, oldest first (re-reading only what changed since the last call). */
  async batches(): Promise<readonly BatchId[]> {
    const dirtyFrom = this.readMark.from;
    if (dirtyFrom === Infinity) return this.cached;
    const kept = this.cached.filter((b) => b.last < dirtyFrom && b.base >= this.logStartOffset);
    this.readMark.from = Infinity;
    const from = kept.length === 0 ? this.logStartOffset : offset(kept.at(-1)!.last + 1);
    const read = await this.inner.read(from, READ_BYTES_MAX, this.logEndOffset);
    for (const slice of read.slices) kept.push(...idsOf(slice));
    this.cached = kept;
    return kept;
  }
}

function idsOf(buf: Buffer): BatchId[] {
  const out: BatchId[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const h = readBatchHeader(buf, pos);
    out.push({ base: h.baseOffset, last: lastOffsetOf(h), epoch: h.partitionLeaderEpoch, crc: h.crc });
    pos += h.sizeBytes;
  }
  return out;
}

/** The batch of `batches` (sorted, as a log holds them) that holds `at`, if any. */
export function batchHolding(batches: readonly BatchId[], at: number): BatchId | undefined {
  let lo = 0;
  let hi = batches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = batches[mid]!;
    if (b.last < at) lo = mid + 1;
    else if (b.base > at) hi = mid - 1;
    else return b;
  }
  return undefined;
}

/** The index of the first batch of `batches` whose last offset is at or above `at`. */
export function firstEndingAtOrAfter(batches: readonly BatchId[], at: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (batches[mid]!.last < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
