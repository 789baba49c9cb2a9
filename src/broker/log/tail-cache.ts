// The newest batches of a leader's log, kept in memory as they were appended, so the fetches that
// read at the tail (followers catching the last append, consumers long-polling) are served without
// a file read. Every log of the process shares one byte budget; past it, the batches appended
// longest ago are forgotten first, whichever log they belong to. A log's cache is always a
// contiguous run of its batches that ends at the log end, or empty: reads it cannot answer go to
// the segment files as before.
import { lastOffsetOf, type BatchAt } from './record-batch.js';
import type { ReadResult } from './partition-log.js';
import { offset, type Offset } from './types.js';

/** The process-wide budget of the tail caches (bytes of batches held). */
export const TAIL_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;

/**
 * A batch pins the buffer it was appended from (a request frame, say). One that would pin more
 * than this many times its own size is copied, so the budget bounds what the caches really hold
 * within that factor.
 */
const PINNED_BYTES_FACTOR_MAX = 4;

interface Cached {
  readonly baseOffset: Offset;
  readonly lastOffset: Offset;
  /** Emptied when the batch is forgotten, so a forgotten batch waiting in the budget's queue pins nothing. */
  bytes: Buffer;
  readonly owner: TailCache;
  /** Forgotten by its log (truncated, cleared) before the budget got to it. */
  gone: boolean;
}

/** The shared budget: every cached batch in the order it was appended, oldest first. */
export class TailCacheBudget {
  #queue: Cached[] = [];
  #head = 0;
  #bytes = 0;
  /** Entries in the queue past the head that their logs forgot already. */
  #gone = 0;

  constructor(readonly bytesMax = TAIL_CACHE_BYTES_DEFAULT) {}

  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held in the queue (live or forgotten): bounded by twice the live ones, plus slack. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  admit(c: Cached): void {
    this.#queue.push(c);
    this.#bytes += c.bytes.length;
    while (this.#bytes > this.bytesMax && this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head++]!;
      if (oldest.gone) this.#gone--;
      else oldest.owner.evictOldest(oldest);
    }
    const queued = this.#queue.length - this.#head;
    if (queued > 1024 && this.#gone * 2 > queued) {
      this.#queue = this.#queue.slice(this.#head).filter((e) => !e.gone);
      this.#head = 0;
      this.#gone = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets `c`: its bytes leave the budget at once, its queue entry when the queue gets to it. */
  release(c: Cached, evicted = false): void {
    if (c.gone) return;
    c.gone = true;
    this.#bytes -= c.bytes.length;
    c.bytes = EMPTY;
    if (!evicted) this.#gone++;
  }
}

const EMPTY = Buffer.alloc(0);

export const sharedTailCacheBudget = new TailCacheBudget();

export class TailCache {
  /** Contiguous batches, oldest first; the last ends at the log end. */
  #batches: Cached[] = [];
  #first = 0;

  constructor(private readonly budget: TailCacheBudget = sharedTailCacheBudget) {}

  /** Adds the batches just appended from `buf` (their positions relative to it). */
  appended(buf: Buffer, batches: readonly BatchAt[]): void {
    if (this.budget.bytesMax <= 0) return;
    const pinned = buf.buffer.byteLength > PINNED_BYTES_FACTOR_MAX * buf.length;
    const own = pinned ? Buffer.from(buf) : buf;
    for (const { header, position } of batches) {
      const c: Cached = { baseOffset: header.baseOffset, lastOffset: lastOffsetOf(header), bytes: own.subarray(position, position + header.sizeBytes), owner: this, gone: false };
      this.#batches.push(c);
      this.budget.admit(c);
    }
  }

  /**
   * Whole batches from the one holding `from`, as DiskPartitionLog.read answers (the first even
   * over `maxBytes`, none at or above `maxOffsetExclusive`); undefined if `from` is not cached.
   */
  read(from: Offset, maxBytes: number, maxOffsetExclusive: Offset): ReadResult | undefined {
    const start = this.#indexOf(from);
    if (start === undefined) return undefined;
    const slices: Buffer[] = [];
    let size = 0;
    let next = from;
    for (let i = start; i < this.#batches.length; i++) {
      const c = this.#batches[i]!;
      if (c.lastOffset >= maxOffsetExclusive) break;
      if (slices.length > 0 && size + c.bytes.length > maxBytes) break;
      slices.push(c.bytes);
      size += c.bytes.length;
      next = offset(c.lastOffset + 1);
    }
    return { slices, sizeBytes: size, nextOffset: next };
  }

  /** The index of the batch holding `target`, if cached. */
  #indexOf(target: Offset): number | undefined {
    let lo = this.#first;
    let hi = this.#batches.length - 1;
    if (lo > hi || target < this.#batches[lo]!.baseOffset || target > this.#batches[hi]!.lastOffset) return undefined;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#batches[mid]!.lastOffset < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Forgets every batch holding an offset at or above `to` (the log was truncated there). */
  truncateTo(to: Offset): void {
    while (this.#batches.length > this.#first && this.#batches.at(-1)!.lastOffset >= to) this.budget.release(this.#batches.pop()!);
    this.#compact();
  }

  /** Forgets every batch below `start` (retention moved the log start). */
  dropBelow(start: Offset): void {
    while (this.#first < this.#batches.length && this.#batches[this.#first]!.lastOffset < start) this.budget.release(this.#batches[this.#first++]!);
    this.#compact();
  }

  clear(): void {
    if (this.#batches.length === 0) return; // every follower append clears: keep that free
    for (let i = this.#first; i < this.#batches.length; i++) this.budget.release(this.#batches[i]!);
    this.#batches = [];
    this.#first = 0;
  }

  /** Called by the budget: `c` is this cache's oldest batch. */
  evictOldest(c: Cached): void {
    if (this.#batches[this.#first] !== c) throw new Error('tail cache: evicting a batch that is not the oldest');
    this.budget.release(c, true);
    this.#first++;
    this.#compact();
  }

  get sizeBatches(): number {
    return this.#batches.length - this.#first;
  }

  #compact(): void {
    if (this.#first === this.#batches.length) {
      this.#batches = [];
      this.#first = 0;
    } else if (this.#first > 64 && this.#first * 2 > this.#batches.length) {
      this.#batches = this.#batches.slice(this.#first);
      this.#first = 0;
    }
  }
}
