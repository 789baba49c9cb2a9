// A broker-wide pool of segment file handles with a hard cap (`openFilesMax`, the server's
// --max-open-segment-files). A broker hosts thousands of partition replicas, each with segments of
// three files; holding every file open for the segment's life runs the process out of descriptors
// (EMFILE), so segments hold no handles of their own and borrow them from here for each operation.
//
// Contract:
// - `use(path, fn)` leases the path's handle for the whole of `fn` (opening it if needed, 'r+'); a
//   leased handle is never closed under its user. Each caller holds one lease at a time: a caller
//   that waits for a second lease while holding one can deadlock at the cap.
// - At the cap, the least recently used idle handle is closed to make room; if every handle is
//   leased, `use` waits for a lease to end. Handles being opened or closed count against the cap,
//   so the process never holds more than `openFilesMax` of them.
// - One handle per path: a path whose handle is being closed is reopened only after the close.
// - Closing (eviction or `close`) never fsyncs: a file's durability is its owner's business (see
//   Segment.flush, which fsyncs through a fresh handle when the written one was evicted).
// - `close(path)` before removing or renaming a file, so no handle outlives its file.
import assert from 'node:assert/strict';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { openReadWrite } from './segment-file.js';

/** The default cap: a quarter of a common 16,384 RLIMIT_NOFILE, leaving room for sockets and LevelDB. */
export const SEGMENT_FILES_OPEN_MAX_DEFAULT = 4_096;

export interface UseOptions {
  /** Create the file if it is missing (otherwise a missing file is an ENOENT error). */
  readonly create?: boolean;
}

interface Entry {
  readonly path: string;
  /** Settles when the file is open; shared by every lease taken while it opens. */
  readonly ready: Promise<FileHandle>;
  handle: FileHandle | undefined;
  leases: number;
  closing: Promise<void> | undefined;
}

export class FilePool {
  /** Path -> entry, least recently used first (a use moves the entry to the end). */
  readonly #entries = new Map<string, Entry>();
  /** Handles open, being opened or being closed: never above openFilesMax. */
  #slotsUsed = 0;
  #waiters: Array<() => void> = [];
  #opens = 0;
  #evictions = 0;

  constructor(readonly openFilesMax: number) {
    assert.ok(Number.isSafeInteger(openFilesMax) && openFilesMax >= 1, `openFilesMax must be a positive integer, got ${openFilesMax}`);
  }

  /** Descriptors the pool holds now (open, opening or closing). */
  get openCount(): number {
    return this.#slotsUsed;
  }
  /** Files opened and idle handles evicted since the pool was made (for tests and measurements). */
  get stats(): { readonly opens: number; readonly evictions: number } {
    return { opens: this.#opens, evictions: this.#evictions };
  }
  /** Whether `path` has a handle in the pool (open, opening or closing). */
  isOpen(path: string): boolean {
    return this.#entries.has(path);
  }

  async use<T>(path: string, fn: (fh: FileHandle) => Promise<T>, options: UseOptions = {}): Promise<T> {
    const entry = await this.#lease(path, options);
    try {
      return await fn(entry.handle!);
    } finally {
      entry.leases--;
      if (entry.leases === 0) this.#wake();
    }
  }

  /** Closes the pooled handle of `path`, if any, and waits for it; the file must not be in use. */
  async close(path: string): Promise<void> {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    if (entry.closing === undefined) {
      assert.equal(entry.leases, 0, `closing ${path} while it is in use`);
      this.#startClose(entry);
    }
    await entry.closing;
  }

  async #lease(path: string, options: UseOptions): Promise<Entry> {
    for (;;) {
      const found = this.#entries.get(path);
      if (found !== undefined) {
        if (found.closing !== undefined) {
          await found.closing;
          continue;
        }
        found.leases++;
        this.#touch(found);
        try {
          await found.ready;
        } catch (e) {
          found.leases--;
          throw e;
        }
        return found;
      }
      await this.#reserveSlot();
      // Another caller may have opened the path while this one waited for a slot.
      if (this.#entries.has(path)) {
        this.#freeSlot();
        continue;
      }
      return this.#openEntry(path, options);
    }
  }

  async #openEntry(path: string, options: UseOptions): Promise<Entry> {
    const ready = options.create === true ? openReadWrite(path) : open(path, 'r+');
    const entry: Entry = { path, ready, handle: undefined, leases: 1, closing: undefined };
    this.#entries.set(path, entry);
    try {
      entry.handle = await ready;
    } catch (e) {
      this.#entries.delete(path);
      this.#freeSlot();
      throw e;
    }
    this.#opens++;
    return entry;
  }

  /** Takes a slot under the cap, evicting the least recently used idle handle if there is none. */
  async #reserveSlot(): Promise<void> {
    for (;;) {
      if (this.#slotsUsed < this.openFilesMax) {
        this.#slotsUsed++;
        return;
      }
      const victim = this.#leastRecentlyUsedIdle();
      if (victim !== undefined) {
        this.#evictions++;
        this.#startClose(victim);
        await victim.closing;
      } else {
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    }
  }

  #leastRecentlyUsedIdle(): Entry | undefined {
    for (const e of this.#entries.values()) if (e.leases === 0 && e.handle !== undefined && e.closing === undefined) return e;
    return undefined;
  }

  #startClose(entry: Entry): void {
    const handle = entry.handle!;
    entry.closing = handle
      .close()
      // close(2) releases the descriptor even when it reports an error, and unflushed data is the
      // owner's to fsync; the error has no one to go to (an eviction runs on another file's behalf).
      .catch(() => undefined)
      .finally(() => {
        this.#entries.delete(entry.path);
        this.#freeSlot();
      });
  }

  #touch(entry: Entry): void {
    this.#entries.delete(entry.path);
    this.#entries.set(entry.path, entry);
  }

  #freeSlot(): void {
    this.#slotsUsed--;
    this.#wake();
  }

  /** Every waiter retries: a slot or an idle handle may have appeared. */
  #wake(): void {
    if (this.#waiters.length === 0) return; // the common case: every use of an idle pool ends here
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

let shared: FilePool | undefined;

/** The process-wide pool that logs opened without one share (tests, tools). */
export function sharedFilePool(): FilePool {
  shared ??= new FilePool(SEGMENT_FILES_OPEN_MAX_DEFAULT);
  return shared;
}
