// MemoryPartitionLog: the in-memory twin of DiskPartitionLog, for tests and simulators. Same
// contract (partition-log.ts); retention works per batch rather than per segment.
import { checkFollowerAppend, epochStarts, stampLeaderAppend, timestampOffsetInBatch, type CheckedAppend } from './append-checks.js';
import { LogError } from './errors.js';
import { LeaderEpochCache, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';
import { DEFAULT_LOG_CONFIG, type AppendResult, type LogConfig, type PartitionLog, type ReadResult, type TimestampOffset } from './partition-log.js';
import { lastOffsetOf, type BatchHeader } from './record-batch.js';
import { SEGMENT_BYTES_LIMIT } from './segment.js';
import { SerialQueue } from './serial-queue.js';
import { offset, systemClockMs, type ClockMs, type LeaderEpoch, type Offset } from './types.js';

const NO_TIMESTAMP = -1;

interface StoredBatch {
  readonly header: BatchHeader;
  readonly bytes: Buffer;
}

export class MemoryPartitionLog implements PartitionLog {
  #batches: StoredBatch[] = [];
  #start: Offset;
  #end: Offset;
  readonly #epochs = new LeaderEpochCache();
  readonly #queue = new SerialQueue();
  #closed = false;

  constructor(
    private logConfig: LogConfig = DEFAULT_LOG_CONFIG,
    private readonly clockMs: ClockMs = systemClockMs,
    startOffset: Offset = offset(0),
  ) {
    this.#start = startOffset;
    this.#end = startOffset;
  }

  get config(): LogConfig {
    return this.logConfig;
  }
  get logStartOffset(): Offset {
    return this.#start;
  }
  get logEndOffset(): Offset {
    return this.#end;
  }
  get epochEntries(): readonly EpochEntry[] {
    return this.#epochs.entries;
  }
  get latestEpoch(): LeaderEpoch | undefined {
    return this.#epochs.latestEpoch;
  }

  append(batches: Buffer, leaderEpoch: LeaderEpoch): Promise<AppendResult> {
    return this.#serial(async () => {
      checkAppendFits(batches, this.config);
      return this.#store(batches, stampLeaderAppend(batches, this.#end, leaderEpoch));
    });
  }

  appendAsFollower(batches: Buffer): Promise<AppendResult> {
    return this.#serial(async () => {
      checkAppendFits(batches, this.config);
      return this.#store(batches, checkFollowerAppend(batches, this.#end));
    });
  }

  #store(buf: Buffer, checked: CheckedAppend): AppendResult {
    for (const s of epochStarts(checked.batches)) this.#epochs.assign(s.epoch, s.startOffset);
    for (const { header, position } of checked.batches) {
      // A copy: the twin must not alias a buffer its caller might reuse against the contract.
      this.#batches.push({ header, bytes: Buffer.from(buf.subarray(position, position + header.sizeBytes)) });
    }
    this.#end = offset(checked.result.lastOffset + 1);
    return checked.result;
  }

  read(from: Offset, maxBytes: number, maxOffsetExclusive: Offset): Promise<ReadResult> {
    return this.#serial(async () => {
      checkReadRange(from, this.#start, this.#end);
      const slices: Buffer[] = [];
      let size = 0;
      let next = from;
      for (const b of this.#batches) {
        if (lastOffsetOf(b.header) < from) continue;
        if (lastOffsetOf(b.header) >= maxOffsetExclusive) break;
        if (slices.length > 0 && size + b.bytes.length > maxBytes) break;
        slices.push(b.bytes);
        size += b.bytes.length;
        next = offset(lastOffsetOf(b.header) + 1);
      }
      return { slices, sizeBytes: size, nextOffset: next };
    });
  }

  truncateTo(to: Offset): Promise<void> {
    return this.#serial(async () => {
      if (to >= this.#end) return;
      this.#batches = this.#batches.filter((b) => lastOffsetOf(b.header) < to);
      this.#end = this.#batches.length === 0 ? this.#start : offset(lastOffsetOf(this.#batches.at(-1)!.header) + 1);
      this.#epochs.truncateFromEnd(this.#end);
    });
  }

  truncateFullyAndStartAt(start: Offset): Promise<void> {
    return this.#serial(async () => {
      this.#batches = [];
      this.#start = start;
      this.#end = start;
      this.#epochs.truncateFromEnd(start);
    });
  }

  endOffsetForEpoch(epoch: LeaderEpoch): EpochEndOffset {
    return this.#epochs.endOffsetFor(epoch, this.#end);
  }

  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined> {
    return this.#serial(async () => {
      const b = this.#batches.find((x) => x.header.maxTimestamp >= timestamp);
      return b === undefined ? undefined : timestampOffsetInBatch(b.bytes, b.header, timestamp);
    });
  }

  maxTimestampRecord(): Promise<TimestampOffset | undefined> {
    return this.#serial(async () => {
      let best: StoredBatch | undefined;
      // Strictly greater: ties go to the earliest batch; a batch without a timestamp (-1) never wins.
      for (const b of this.#batches) if (b.header.maxTimestamp > (best?.header.maxTimestamp ?? NO_TIMESTAMP)) best = b;
      return best === undefined ? undefined : timestampOffsetInBatch(best.bytes, best.header, best.header.maxTimestamp);
    });
  }

  applyRetention(highWatermark: Offset): Promise<number> {
    return this.#serial(async () => {
      const before = this.#batches.length;
      this.#dropExpired(highWatermark);
      this.#dropOversize(highWatermark);
      const removed = before - this.#batches.length;
      if (removed > 0) {
        this.#start = this.#batches.length === 0 ? this.#end : this.#batches[0]!.header.baseOffset;
        this.#epochs.truncateFromStart(this.#start);
      }
      return removed;
    });
  }

  /** Whether the oldest batch lies wholly below the HW (Kafka deletes nothing above it) and `expired` holds for it. */
  #oldestMayGo(highWatermark: Offset, expired: (b: StoredBatch) => boolean): boolean {
    const b = this.#batches[0];
    return b !== undefined && lastOffsetOf(b.header) < highWatermark && expired(b);
  }

  #dropExpired(highWatermark: Offset): void {
    const { retentionMs } = this.config;
    if (retentionMs < 0) return;
    const now = this.clockMs();
    while (this.#oldestMayGo(highWatermark, (b) => now - b.header.maxTimestamp > retentionMs)) this.#batches.shift();
  }

  #dropOversize(highWatermark: Offset): void {
    const { retentionBytes } = this.config;
    if (retentionBytes < 0) return;
    let total = this.#batches.reduce((n, b) => n + b.bytes.length, 0);
    while (this.#oldestMayGo(highWatermark, (b) => total - b.bytes.length >= retentionBytes)) total -= this.#batches.shift()!.bytes.length;
  }

  reconfigure(config: LogConfig): Promise<void> {
    return this.#serial(async () => {
      checkLogConfig(config);
      this.logConfig = config;
    });
  }

  flush(): Promise<void> {
    return this.#serial(async () => undefined);
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      this.#closed = true;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(() => {
      if (this.#closed) throw new LogError('CLOSED', 'the log is closed');
      return fn();
    });
  }
}

/** One append must fit in one segment, as in Kafka (a batch never spans segments). */
export function checkAppendFits(buf: Buffer, config: LogConfig): void {
  if (buf.length > config.segmentBytesMax) {
    throw new LogError('RECORD_LIST_TOO_LARGE', `${buf.length} bytes exceed segmentBytesMax ${config.segmentBytesMax}`);
  }
}

/** Refuses a config no log can run with: the controller validates topic configs, this guards the log. */
export function checkLogConfig(config: LogConfig): void {
  const { segmentBytesMax, segmentAgeMsMax, retentionMs, retentionBytes, indexIntervalBytes } = config;
  const refuse = (why: string): never => {
    throw new LogError('INVALID_CONFIG', why);
  };
  // Written so NaN fails every check.
  if (!(Number.isInteger(segmentBytesMax) && segmentBytesMax >= 1 && segmentBytesMax <= SEGMENT_BYTES_LIMIT)) refuse(`segmentBytesMax ${segmentBytesMax} is outside [1, ${SEGMENT_BYTES_LIMIT}]`);
  if (!(segmentAgeMsMax >= 1)) refuse(`segmentAgeMsMax ${segmentAgeMsMax} is below 1`);
  if (!(retentionMs >= -1)) refuse(`retentionMs ${retentionMs} is below -1`);
  if (!(retentionBytes >= -1)) refuse(`retentionBytes ${retentionBytes} is below -1`);
  if (!(indexIntervalBytes >= 0)) refuse(`indexIntervalBytes ${indexIntervalBytes} is below 0`);
}

/** Offsets outside [logStartOffset, logEndOffset] cannot be read (Kafka's OFFSET_OUT_OF_RANGE). */
export function checkReadRange(from: Offset, start: Offset, end: Offset): void {
  if (from < start || from > end) throw new LogError('OFFSET_OUT_OF_RANGE', `offset ${from} is outside [${start}, ${end}]`, from);
}
