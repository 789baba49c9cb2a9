// DiskPartitionLog: a partition replica's log as a directory of segments (segment.ts), with the
// leader-epoch checkpoint and the recovery point beside them. Contract: partition-log.ts.
//
// Files in the directory:
//   <base>.log / .index / .timeindex     one segment each; the last one is active
//   leader-epoch-checkpoint              epoch -> start offset (leader-epoch-cache.ts)
//   recovery-point-offset-checkpoint     every offset below it was fsynced (flush, close)
//
// Write ordering: the epoch checkpoint is written before the batch that starts the epoch (a crash
// in between leaves an entry past the log end, dropped at open); the recovery point is written only
// after the fsync it vouches for, and lowered on disk before a truncation below it.
import { join } from 'node:path';
import { logger as makeLogger, type Logger } from '../../util/log.js';
import { checkFollowerAppend, epochStarts, stampLeaderAppend, type CheckedAppend } from './append-checks.js';
import { OffsetCheckpoint } from './checkpoint.js';
import { LogError } from './errors.js';
import { sharedFilePool, type FilePool } from './file-pool.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, LeaderEpochCache, readEpochCheckpoint, writeEpochCheckpoint, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';
import { loadSegments } from './log-loader.js';
import { checkAppendFits, checkLogConfig, checkReadRange } from './memory-log.js';
import { DEFAULT_LOG_CONFIG, type AppendResult, type LogConfig, type PartitionLog, type ReadResult, type TimestampOffset } from './partition-log.js';
import { Segment } from './segment.js';
import { SerialQueue } from './serial-queue.js';
import { TailCache, type TailCacheBudget } from './tail-cache.js';
import { offset, systemClockMs, type ClockMs, type LeaderEpoch, type Offset } from './types.js';

export const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';

export interface DiskLogOptions {
  readonly config?: LogConfig;
  readonly clockMs?: ClockMs;
  readonly logger?: Logger;
  /** The budget this log's tail cache shares (default: the process-wide one). */
  readonly tailCacheBudget?: TailCacheBudget;
  /** Where segment file handles come from: the broker's pool; by default one shared by the process. */
  readonly files?: FilePool;
}

export class DiskPartitionLog implements PartitionLog {
  readonly #queue = new SerialQueue();
  readonly #tail: TailCache;
  #closed = false;

  private constructor(
    readonly dir: string,
    private logConfig: LogConfig,
    private readonly clockMs: ClockMs,
    private segments: Segment[],
    private epochs: LeaderEpochCache,
    private recoveryPoint: Offset,
    private readonly files: FilePool,
    tailCacheBudget: TailCacheBudget | undefined,
  ) {
    this.#tail = new TailCache(tailCacheBudget);
  }

  static async open(dir: string, options: DiskLogOptions = {}): Promise<DiskPartitionLog> {
    const config = options.config ?? DEFAULT_LOG_CONFIG;
    checkLogConfig(config);
    const log = options.logger ?? makeLogger('partition-log', { dir });
    const recoveryFile = new OffsetCheckpoint(join(dir, RECOVERY_POINT_FILE));
    // A missing or unreadable recovery point means nothing is known flushed: recover everything.
    const recovered = (await recoveryFile.read().catch(() => undefined)) ?? offset(0);
    const files = options.files ?? sharedFilePool();
    const segments = await loadSegments({ dir, indexIntervalBytes: config.indexIntervalBytes, recoveryPoint: recovered, logger: log, files });
    let epochs: LeaderEpochCache;
    try {
      epochs = new LeaderEpochCache(await readEpochCheckpoint(join(dir, LEADER_EPOCH_CHECKPOINT_FILE)));
    } catch (e) {
      for (const s of segments) await s.close();
      throw e;
    }
    const end = segments.at(-1)!.nextOffset;
    const self = new DiskPartitionLog(dir, config, options.clockMs ?? systemClockMs, segments, epochs, offset(Math.min(recovered, end)), files, options.tailCacheBudget);
    const cutEnd = epochs.truncateFromEnd(end);
    const cutStart = epochs.truncateFromStart(self.logStartOffset);
    if (cutEnd || cutStart) await self.#persistEpochs();
    return self;
  }

  get config(): LogConfig {
    return this.logConfig;
  }
  get logStartOffset(): Offset {
    return this.segments[0]!.baseOffset;
  }
  get logEndOffset(): Offset {
    return this.#active.nextOffset;
  }
  get epochEntries(): readonly EpochEntry[] {
    return this.epochs.entries;
  }
  get latestEpoch(): LeaderEpoch | undefined {
    return this.epochs.latestEpoch;
  }
  /** Segment base offsets, oldest first (for tests and tools). */
  get segmentBaseOffsets(): Offset[] {
    return this.segments.map((s) => s.baseOffset);
  }
  get #active(): Segment {
    return this.segments.at(-1)!;
  }

  append(batches: Buffer, leaderEpoch: LeaderEpoch): Promise<AppendResult> {
    return this.#serial(async () => {
      checkAppendFits(batches, this.config);
      const checked = stampLeaderAppend(batches, this.logEndOffset, leaderEpoch);
      const result = await this.#store(batches, checked);
      this.#tail.appended(batches, checked.batches);
      return result;
    });
  }

  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    return this.#serial(async () => {
      checkAppendFits(batches, this.config);
      // Only a leader's reads are served from the cache; a follower's appends would just churn it.
      this.#tail.clear();
      return this.#store(batches, checkFollowerAppend(batches, this.logEndOffset));
    });
  }

  async #store(buf: Buffer, checked: CheckedAppend): Promise<AppendResult> {
    try {
      return await this.#write(buf, checked);
    } catch (e) {
      this.#tail.clear(); // the log may end anywhere now; the cache must not claim it ends after its batches
      throw e;
    }
  }

  async #write(buf: Buffer, checked: CheckedAppend): Promise<AppendResult> {
    const newestTimestamp = Math.max(...checked.batches.map((b) => b.header.maxTimestamp));
    if (this.#shouldRoll(buf.length, checked.result.lastOffset, newestTimestamp)) await this.#roll();
    let epochsChanged = false;
    for (const s of epochStarts(checked.batches)) epochsChanged = this.epochs.assign(s.epoch, s.startOffset) || epochsChanged;
    if (epochsChanged) await this.#persistEpochs();
    await this.#active.append(buf, checked.batches);
    return checked.result;
  }

  /** segment.bytes, int32 relative offsets, and segment.ms measured on batch timestamps as Kafka does. */
  #shouldRoll(bytes: number, lastOffset: Offset, newestTimestamp: number): boolean {
    const active = this.#active;
    if (active.isEmpty) return false;
    if (active.sizeBytes + bytes > this.config.segmentBytesMax || !active.fitsOffset(lastOffset)) return true;
    return active.firstTimestamp >= 0 && newestTimestamp - active.firstTimestamp >= this.config.segmentAgeMsMax;
  }

  /** The active segment is sealed and fsynced, so segments below the active one are always durable. */
  async #roll(): Promise<void> {
    const old = this.#active;
    await old.seal();
    await old.flush();
    await old.closeIndexFiles();
    this.segments.push(await Segment.open(this.dir, this.logEndOffset, this.config.indexIntervalBytes, this.files));
  }

  read(from: Offset, maxBytes: number, maxOffsetExclusive: Offset): Promise<ReadResult> {
    return this.#serial(async () => {
      checkReadRange(from, this.logStartOffset, this.logEndOffset);
      const cached = this.#tail.read(from, maxBytes, maxOffsetExclusive);
      if (cached !== undefined) return cached;
      const slices: Buffer[] = [];
      let size = 0;
      let next = from;
      for (let i = this.#segmentIndexFor(from); i < this.segments.length && next < maxOffsetExclusive; i++) {
        const seg = this.segments[i]!;
        const at = await seg.locate(next);
        if (at === undefined) continue;
        const { slice, lastOffset } = await seg.readFrom(at.position, maxBytes - size, maxOffsetExclusive, slices.length === 0);
        if (lastOffset === undefined) break;
        slices.push(slice);
        size += slice.length;
        next = offset(lastOffset + 1);
        if (next < seg.nextOffset) break; // stopped inside this segment: budget or bound reached
      }
      return { slices, sizeBytes: size, nextOffset: next };
    });
  }

  #segmentIndexFor(target: Offset): number {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i]!.baseOffset > target) i--;
    return i;
  }

  truncateTo(to: Offset): Promise<void> {
    return this.#serial(async () => {
      if (to >= this.logEndOffset) return;
      this.#tail.truncateTo(to);
      await this.#lowerRecoveryPoint(to);
      while (this.segments.length > 1 && this.#active.baseOffset >= to) await this.segments.pop()!.delete();
      await this.#active.truncateTo(to);
      if (this.epochs.truncateFromEnd(this.logEndOffset)) await this.#persistEpochs();
    });
  }

  truncateFullyAndStartAt(start: Offset): Promise<void> {
    return this.#serial(async () => {
      this.#tail.clear();
      await this.#lowerRecoveryPoint(start);
      for (const s of this.segments) await s.delete();
      this.segments = [await Segment.open(this.dir, start, this.config.indexIntervalBytes, this.files)];
      this.epochs = new LeaderEpochCache();
      await this.#persistEpochs();
      await this.#writeRecoveryPoint(start);
    });
  }

  async #lowerRecoveryPoint(to: Offset): Promise<void> {
    if (to < this.recoveryPoint) await this.#writeRecoveryPoint(to);
  }

  async #writeRecoveryPoint(value: Offset): Promise<void> {
    await new OffsetCheckpoint(join(this.dir, RECOVERY_POINT_FILE)).write(value);
    this.recoveryPoint = value;
  }

  endOffsetForEpoch(epoch: LeaderEpoch): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined> {
    return this.#serial(async () => {
      for (const seg of this.segments) {
        const hit = await seg.offsetForTimestamp(timestamp);
        if (hit !== undefined) return hit;
      }
      return undefined;
    });
  }

  maxTimestampRecord(): Promise<TimestampOffset | undefined> {
    return this.#serial(async () => {
      let best: Segment | undefined;
      // Strictly greater: ties go to the earliest segment (as Kafka's maxBy); one without a timestamp (-1) never wins.
      for (const seg of this.segments) if (seg.maxTimestamp > (best?.maxTimestamp ?? -1)) best = seg;
      return best?.maxTimestampRecord();
    });
  }

  applyRetention(highWatermark: Offset): Promise<number> {
    return this.#serial(async () => {
      const doomed = this.#expiredCount(highWatermark);
      // A log always has an active segment: retiring the active one rolls a new, empty one first.
      if (doomed === this.segments.length) await this.#roll();
      for (let i = 0; i < doomed; i++) await this.segments.shift()!.delete();
      this.#tail.dropBelow(this.logStartOffset);
      if (doomed > 0 && this.epochs.truncateFromStart(this.logStartOffset)) await this.#persistEpochs();
      return doomed;
    });
  }

  /**
   * How many of the oldest segments retention.ms or retention.bytes remove. As Kafka's
   * UnifiedLog.deletableSegments: only a segment wholly below the HW (its end, the next segment's
   * base or the log end, at most the HW), so the active one only once the HW reaches the log end,
   * and never an empty active one.
   */
  #expiredCount(highWatermark: Offset): number {
    const { retentionMs, retentionBytes } = this.config;
    const now = this.clockMs();
    let total = this.segments.reduce((n, s) => n + s.sizeBytes, 0);
    let count = 0;
    for (const [i, seg] of this.segments.entries()) {
      const next = this.segments[i + 1];
      if ((next?.baseOffset ?? this.logEndOffset) > highWatermark || (next === undefined && seg.isEmpty)) break;
      const tooOld = retentionMs >= 0 && now - seg.maxTimestamp > retentionMs;
      const tooBig = retentionBytes >= 0 && total - seg.sizeBytes >= retentionBytes;
      if (!tooOld && !tooBig) break;
      total -= seg.sizeBytes;
      count++;
    }
    return count;
  }

  reconfigure(config: LogConfig): Promise<void> {
    return this.#serial(async () => {
      checkLogConfig(config);
      this.logConfig = config;
    });
  }

  flush(): Promise<void> {
    return this.#serial(() => this.#flush());
  }

  async #flush(): Promise<void> {
    const end = this.logEndOffset;
    for (const seg of this.segments) if (seg.nextOffset > this.recoveryPoint || seg === this.#active) await seg.flush();
    if (end !== this.recoveryPoint) await this.#writeRecoveryPoint(end);
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      this.#tail.clear();
      await this.#flush();
      for (const s of this.segments) await s.close();
      this.#closed = true;
    });
  }

  #persistEpochs(): Promise<void> {
    return writeEpochCheckpoint(join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), this.epochs.entries);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(() => {
      if (this.#closed) throw new LogError('CLOSED', 'the log is closed');
      return fn();
    });
  }
}
