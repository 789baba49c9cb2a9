// One segment of a partition log: `<baseOffset, 20 digits>.log` with the batches as appended, and
// its sparse `.index` and `.timeindex` (indexes.ts). The in-memory indexes are the truth while the
// segment is open; the files mirror them and are checked, or rebuilt, when the segment is loaded.
//
// A segment holds no file handles: each operation borrows one from the broker's FilePool, which may
// close it (least recently used first) once the operation is done. Writes are positioned (the end
// of the file is `sizeBytes`, in memory), so writing through a reopened handle is just open + write.
// Index files are written only by appends to the active segment, sealing, rebuilds and
// truncations; a sealed segment's index handles are closed after its roll (closeIndexFiles).
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { writeSync } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { timestampOffsetInBatch } from './append-checks.js';
import { CorruptRecordError } from './errors.js';
import type { FilePool } from './file-pool.js';
import {
  OFFSET_ENTRY_BYTES,
  TIME_ENTRY_BYTES,
  encodeOffsetEntries,
  encodeTimeEntries,
  floorPosition,
  lastTimeEntryBelow,
  type OffsetEntry,
  type TimeEntry,
} from './indexes.js';
import type { TimestampOffset } from './partition-log.js';
import { BATCH_HEADER_BYTES, checkBatchHeader, lastOffsetOf, type BatchAt, type BatchHeader } from './record-batch.js';
import { readAt, walkBatches, type WalkedBatch } from './segment-file.js';
import { offset, type Offset } from './types.js';

/** Index entries hold positions and relative offsets as int32. */
export const SEGMENT_BYTES_LIMIT = 0x7fff_ffff;
export const RELATIVE_OFFSET_MAX = 0x7fff_ffff;
const NO_TIMESTAMP = -1;

type SegmentFile = '.log' | '.index' | '.timeindex';
const SEGMENT_FILES: readonly SegmentFile[] = ['.log', '.index', '.timeindex'];

export const segmentFileName = (base: Offset, suffix: SegmentFile): string => `${String(base).padStart(20, '0')}${suffix}`;

/** Position of a batch and its header. */
export interface Located {
  readonly position: number;
  readonly header: BatchHeader;
}

export class Segment {
  sizeBytes = 0;
  nextOffset: Offset;
  maxTimestamp = NO_TIMESTAMP;
  /** The first batch's max timestamp: segment.ms counts from it, as Kafka's rollingBasedTimestamp. */
  firstTimestamp = NO_TIMESTAMP;
  offsetEntries: OffsetEntry[] = [];
  timeEntries: TimeEntry[] = [];
  /** Whether an index file was missing when the segment was opened (then created empty). */
  indexFilesMissing = false;
  #offsetOfMaxTimestamp = -1;
  #bytesSinceIndexEntry = 0;
  #lastBatchBytes = 0;
  /**
   * Files written since their last fsync. Evicting a handle does not fsync it (that would put a
   * disk flush on the path of whichever partition needed the slot, on every append once the
   * partitions outnumber the cap); instead flush() fsyncs each file listed here, through a reopened
   * handle if need be. That is durable because fsync(2) writes back the file's dirty pages whatever
   * descriptor wrote them (and since Linux 4.16 a writeback error no descriptor has seen yet is
   * reported to one opened later), so the recovery point written after flush() stays honest.
   */
  readonly #unsynced = new Set<SegmentFile>();

  private constructor(
    readonly dir: string,
    readonly baseOffset: Offset,
    readonly indexIntervalBytes: number,
    private readonly pool: FilePool,
  ) {
    this.nextOffset = baseOffset;
  }

  /**
   * Opens the segment at `base` in `dir`, creating its files if missing. Files that existed may hold
   * writes of an earlier process that never reached the disk, so they count as not yet fsynced.
   */
  static async open(dir: string, base: Offset, indexIntervalBytes: number, pool: FilePool): Promise<Segment> {
    const existed = (await exists(join(dir, segmentFileName(base, '.index')))) && (await exists(join(dir, segmentFileName(base, '.timeindex'))));
    const seg = new Segment(dir, base, indexIntervalBytes, pool);
    try {
      seg.sizeBytes = await seg.#use('.log', async (fh) => (await fh.stat()).size, true);
      for (const f of ['.index', '.timeindex'] as const) await seg.#use(f, () => Promise.resolve(), true);
    } catch (e) {
      await seg.close();
      throw e;
    }
    for (const f of SEGMENT_FILES) seg.#unsynced.add(f);
    seg.indexFilesMissing = !existed;
    return seg;
  }

  get logFile(): string {
    return this.#path('.log');
  }

  #path(file: SegmentFile): string {
    return join(this.dir, segmentFileName(this.baseOffset, file));
  }

  /** Runs `fn` with a pooled handle of one of the segment's files; only open() creates them (a vanished file is an error). */
  #use<T>(file: SegmentFile, fn: (fh: FileHandle) => Promise<T>, create = false): Promise<T> {
    return this.pool.use(this.#path(file), fn, { create });
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  /** Whether a batch ending at `lastOffset` still fits the int32 relative offsets. */
  fitsOffset(lastOffset: Offset): boolean {
    return lastOffset - this.baseOffset <= RELATIVE_OFFSET_MAX;
  }

  /** Appends checked batches (positions relative to `buf`) at the end of the file. */
  async append(buf: Buffer, batches: readonly BatchAt[]): Promise<void> {
    assert.ok(this.sizeBytes + buf.length <= SEGMENT_BYTES_LIMIT, 'segment would exceed int32 positions');
    const at = this.sizeBytes;
    await this.#writeAll('.log', buf, at);
    this.sizeBytes += buf.length;
    const before = { offsets: this.offsetEntries.length, times: this.timeEntries.length };
    for (const b of batches) this.indexBatch(b.header, at + b.position);
    await this.#appendIndexFiles(before.offsets, before.times);
  }

  /** Accounts one stored batch: offsets, timestamps and, every indexIntervalBytes, index entries. */
  indexBatch(h: BatchHeader, position: number): void {
    if (this.firstTimestamp === NO_TIMESTAMP) this.firstTimestamp = h.maxTimestamp;
    if (h.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = h.maxTimestamp;
      this.#offsetOfMaxTimestamp = lastOffsetOf(h);
    }
    if (this.#bytesSinceIndexEntry >= this.indexIntervalBytes) {
      this.offsetEntries.push({ relativeOffset: h.baseOffset - this.baseOffset, position });
      this.#maybeTimeEntry();
      this.#bytesSinceIndexEntry = 0;
    }
    this.#bytesSinceIndexEntry += h.sizeBytes;
    this.nextOffset = offset(lastOffsetOf(h) + 1);
  }

  #maybeTimeEntry(): void {
    const last = this.timeEntries.at(-1);
    if (this.maxTimestamp === NO_TIMESTAMP || (last !== undefined && last.timestamp >= this.maxTimestamp)) return;
    this.timeEntries.push({ timestamp: this.maxTimestamp, relativeOffset: this.#offsetOfMaxTimestamp - this.baseOffset });
  }

  /** The segment stops being active: record its largest timestamp for retention and lookups. */
  async seal(): Promise<void> {
    const before = this.timeEntries.length;
    this.#maybeTimeEntry();
    await this.#appendIndexFiles(this.offsetEntries.length, before);
  }

  async #appendIndexFiles(offsetsFrom: number, timesFrom: number): Promise<void> {
    if (offsetsFrom < this.offsetEntries.length) {
      await this.#writeAll('.index', encodeOffsetEntries(this.offsetEntries.slice(offsetsFrom)), offsetsFrom * OFFSET_ENTRY_BYTES);
    }
    if (timesFrom < this.timeEntries.length) {
      await this.#writeAll('.timeindex', encodeTimeEntries(this.timeEntries.slice(timesFrom)), timesFrom * TIME_ENTRY_BYTES);
    }
  }

  /** Rewrites both index files from memory (after a rebuild or a truncation). */
  async writeIndexFiles(): Promise<void> {
    const offsets = encodeOffsetEntries(this.offsetEntries);
    const times = encodeTimeEntries(this.timeEntries);
    await this.#rewrite('.index', offsets);
    await this.#rewrite('.timeindex', times);
  }

  async #rewrite(file: SegmentFile, buf: Buffer): Promise<void> {
    this.#unsynced.add(file);
    await this.#use(file, async (fh) => {
      await writeAll(fh, buf, 0);
      await fh.truncate(buf.length);
    });
  }

  async #writeAll(file: SegmentFile, buf: Buffer, position: number): Promise<void> {
    this.#unsynced.add(file);
    await this.#use(file, (fh) => writeAll(fh, buf, position));
  }

  /** Forgets the accounting, for a rebuild from the file. */
  resetAccounting(): void {
    this.offsetEntries = [];
    this.timeEntries = [];
    this.maxTimestamp = NO_TIMESTAMP;
    this.firstTimestamp = NO_TIMESTAMP;
    this.#offsetOfMaxTimestamp = -1;
    this.#bytesSinceIndexEntry = 0;
    this.nextOffset = this.baseOffset;
  }

  /**
   * Re-derives the state the indexes do not hold (next offset, latest timestamps, bytes since the
   * last entry) by walking headers from the last offset entry to the end of the file. Throws a
   * CorruptRecordError if the batches there do not continue the index.
   */
  async accountTail(): Promise<void> {
    const lastEntry = this.offsetEntries.at(-1);
    const lastTime = this.timeEntries.at(-1);
    this.maxTimestamp = lastTime?.timestamp ?? NO_TIMESTAMP;
    this.#offsetOfMaxTimestamp = lastTime === undefined ? -1 : this.baseOffset + lastTime.relativeOffset;
    this.#bytesSinceIndexEntry = 0;
    this.nextOffset = offset(this.baseOffset + (lastEntry?.relativeOffset ?? 0));
    await this.#walk({ from: lastEntry?.position ?? 0, end: this.sizeBytes, whole: false }, ({ header, position }) => {
      this.#checkContinues(header, position);
      if (header.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = header.maxTimestamp;
        this.#offsetOfMaxTimestamp = lastOffsetOf(header);
      }
      this.#bytesSinceIndexEntry += header.sizeBytes;
      this.#lastBatchBytes = header.sizeBytes;
      this.nextOffset = offset(lastOffsetOf(header) + 1);
    });
    await this.#readFirstTimestamp();
  }

  /** After accountTail: false if appending would have added an index entry the index lacks. */
  get indexCoversTail(): boolean {
    return this.#bytesSinceIndexEntry - this.#lastBatchBytes < this.indexIntervalBytes;
  }

  /** Throws unless the batch at `position` starts where the segment's offsets continue. */
  #checkContinues(h: BatchHeader, position: number): void {
    if (h.baseOffset !== this.nextOffset) {
      throw new CorruptRecordError(h.baseOffset, position, `batch at offset ${h.baseOffset} where ${this.nextOffset} was expected`, this.logFile);
    }
  }

  async #readFirstTimestamp(): Promise<void> {
    this.firstTimestamp = NO_TIMESTAMP;
    await this.#walk({ from: 0, end: this.sizeBytes, whole: false }, ({ header }) => {
      this.firstTimestamp = header.maxTimestamp;
      return false;
    });
  }

  /**
   * Walks every batch with its CRC and rebuilds the accounting. Stops at the first bad batch and
   * returns it (error and position), the batches before it accounted; undefined if all were good.
   */
  async scan(): Promise<{ error: CorruptRecordError; position: number } | undefined> {
    this.resetAccounting();
    try {
      await this.#walk({ from: 0, end: this.sizeBytes, whole: true }, ({ header, position }) => {
        this.#checkContinues(header, position);
        this.indexBatch(header, position);
      });
      return undefined;
    } catch (e) {
      if (!(e instanceof CorruptRecordError)) throw e;
      return { error: e, position: e.position };
    }
  }

  /** The first batch holding an offset at or above `target`, or undefined if there is none. */
  async locate(target: Offset): Promise<Located | undefined> {
    if (target >= this.nextOffset) return undefined;
    const from = floorPosition(this.offsetEntries, Math.max(0, target - this.baseOffset));
    let found: Located | undefined;
    await this.#walk({ from, end: this.sizeBytes, whole: false }, ({ header, position }) => {
      if (lastOffsetOf(header) < target) return true;
      found = { position, header };
      return false;
    });
    return found;
  }

  /**
   * Whole batches from `position`: as many as fit `budgetBytes` (at least one if `takeFirst`),
   * stopping before any that reaches `maxOffsetExclusive`. One read; batches are not re-encoded.
   */
  readFrom(position: number, budgetBytes: number, maxOffsetExclusive: Offset, takeFirst: boolean): Promise<{ slice: Buffer; lastOffset: Offset | undefined }> {
    return this.#use('.log', (fh) => this.#readFrom(fh, position, budgetBytes, maxOffsetExclusive, takeFirst));
  }

  async #readFrom(fh: FileHandle, position: number, budgetBytes: number, maxOffsetExclusive: Offset, takeFirst: boolean): Promise<{ slice: Buffer; lastOffset: Offset | undefined }> {
    let buf = await readAt(fh, position, Math.min(this.sizeBytes - position, Math.max(budgetBytes, BATCH_HEADER_BYTES)));
    let used = 0;
    let lastOffset: Offset | undefined;
    while (used + BATCH_HEADER_BYTES <= buf.length) {
      const h = checkedHeader(buf, used, this.sizeBytes - position - used, position + used, this.logFile);
      if (lastOffsetOf(h) >= maxOffsetExclusive) break;
      const mustTake = takeFirst && used === 0;
      if (!mustTake && used + h.sizeBytes > budgetBytes) break;
      if (used + h.sizeBytes > buf.length) {
        if (!mustTake) break;
        buf = await readAt(fh, position, h.sizeBytes);
      }
      used += h.sizeBytes;
      lastOffset = lastOffsetOf(h);
    }
    return { slice: buf.subarray(0, used), lastOffset };
  }

  /** The first record at or after `timestamp` in this segment, if any. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined> {
    if (this.maxTimestamp < timestamp) return undefined;
    const entry = lastTimeEntryBelow(this.timeEntries, timestamp);
    const from = entry === undefined ? 0 : floorPosition(this.offsetEntries, entry.relativeOffset);
    let hit: TimestampOffset | undefined;
    await this.#walk({ from, end: this.sizeBytes, whole: true }, ({ header, bytes }) => {
      if (header.maxTimestamp < timestamp) return true;
      hit = timestampOffsetInBatch(bytes!, header, timestamp);
      return false;
    });
    return hit;
  }

  /** The first record carrying this segment's largest timestamp, or undefined if it has none. */
  async maxTimestampRecord(): Promise<TimestampOffset | undefined> {
    if (this.maxTimestamp === NO_TIMESTAMP) return undefined;
    // #offsetOfMaxTimestamp is in the earliest batch reaching maxTimestamp: the walk stops there.
    const at = await this.locate(offset(this.#offsetOfMaxTimestamp));
    let hit: TimestampOffset | undefined;
    await this.#walk({ from: at?.position ?? 0, end: this.sizeBytes, whole: true }, ({ header, bytes }) => {
      if (header.maxTimestamp !== this.maxTimestamp) return true;
      hit = timestampOffsetInBatch(bytes!, header, header.maxTimestamp);
      return false;
    });
    return hit;
  }

  /** Cuts the segment before the first batch holding `target` or above. */
  async truncateTo(target: Offset): Promise<void> {
    const at = await this.locate(target);
    if (at === undefined) return;
    await this.truncateFile(at.position);
  }

  /** Cuts the .log at `position` (a batch boundary) and the indexes with it. */
  async truncateFile(position: number): Promise<void> {
    this.#unsynced.add('.log');
    await this.#use('.log', (fh) => fh.truncate(position));
    this.sizeBytes = position;
    this.offsetEntries = this.offsetEntries.filter((e) => e.position < position);
    const lastEntry = this.offsetEntries.at(-1);
    // Time entries point at batches' last offsets; those past the cut described removed batches.
    const cutOffset = await this.#offsetAtOrAfter(position, lastEntry);
    this.timeEntries = this.timeEntries.filter((e) => this.baseOffset + e.relativeOffset < cutOffset);
    await this.accountTail();
    await this.writeIndexFiles();
  }

  async #offsetAtOrAfter(position: number, from: OffsetEntry | undefined): Promise<Offset> {
    let next = offset(this.baseOffset + (from?.relativeOffset ?? 0));
    await this.#walk({ from: from?.position ?? 0, end: position, whole: false }, ({ header }) => {
      next = offset(lastOffsetOf(header) + 1);
    });
    return next;
  }

  #walk(range: { from: number; end: number; whole: boolean }, visit: (b: WalkedBatch) => boolean | void): Promise<void> {
    return this.#use('.log', (fh) => walkBatches(fh, this.logFile, range, visit));
  }

  /** Fsyncs the files written since their last fsync (reopening any whose handle was evicted). */
  async flush(): Promise<void> {
    for (const file of SEGMENT_FILES) {
      if (!this.#unsynced.has(file)) continue;
      // Cleared before the fsync: a write landing meanwhile marks the file again. On failure it is
      // marked again, so the next flush retries instead of vouching for unsynced bytes.
      this.#unsynced.delete(file);
      try {
        await this.#use(file, (fh) => fh.sync());
      } catch (e) {
        this.#unsynced.add(file);
        throw e;
      }
    }
  }

  /** A sealed segment's indexes are not written again (but by a truncation or rebuild): free their handles. */
  async closeIndexFiles(): Promise<void> {
    await this.pool.close(this.#path('.index'));
    await this.pool.close(this.#path('.timeindex'));
  }

  /** Closes the segment's pooled handles, without fsync (flush first for that). */
  async close(): Promise<void> {
    for (const file of SEGMENT_FILES) await this.pool.close(this.#path(file));
  }

  /** Closes the handles first, so none outlives its file. */
  async delete(): Promise<void> {
    await this.close();
    this.#unsynced.clear();
    for (const file of SEGMENT_FILES) await rm(this.#path(file), { force: true });
  }
}

/**
 * Writes synchronously, as Kafka's request threads do: a write lands in the page cache (fsync is
 * separate and stays asynchronous), and a synchronous write spares the thread-pool round trip and
 * the promise of an asynchronous one (compare `npm run bench -- --phases produce` with this
 * function awaiting `fh.write` instead).
 */
async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) done += writeSync(fh.fd, buf, done, buf.length - done, position + done);
}

function checkedHeader(buf: Buffer, at: number, availableBytes: number, filePosition: number, file: string): BatchHeader {
  try {
    return checkBatchHeader(buf, at, availableBytes);
  } catch (e) {
    if (e instanceof CorruptRecordError) throw new CorruptRecordError(e.offset, filePosition, e.reason, file);
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
