// The Raft log as the core sees it: the latest snapshot, then every entry after it, in memory.
//
// The metadata log is compacted behind snapshots, so holding the tail in memory is cheap and keeps
// the core free of I/O: storage is written by the driver from `Ready`, never read by the core after
// startup. Three cursors move forward through it:
//
//   snapshot.index <= applied <= committed <= lastIndex      (applied: handed to the application)
//   stable: the last index known to be durable; entries after it are in the next Ready.
import { assert } from './assert.js';
import { type Entry, type LogIndex, type Snapshot, type Term, logIndex } from './types.js';

/** Bytes an entry costs for flow control and limits: its data plus a fixed header estimate. */
export const entryBytes = (e: Entry): number => e.data.byteLength + 16;

export class RaftLog {
  /** The latest snapshot; its index is the last compacted entry. */
  snapshot: Snapshot;
  /** entries[i].index === snapshot.meta.index + 1 + i */
  private entries: Entry[];
  committed: LogIndex;
  applied: LogIndex;
  stable: LogIndex;
  /** A snapshot received from the leader that the application has not yet persisted and restored. */
  pendingSnapshot: Snapshot | undefined;

  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: LogIndex) {
    this.snapshot = snapshot;
    this.entries = [...entries];
    entries.forEach((e, i) => assert(e.index === snapshot.meta.index + 1 + i, `stored entry ${e.index} is not contiguous after snapshot ${snapshot.meta.index}`));
    assert(committed <= this.lastIndex(), `stored commit ${committed} beyond the log end ${this.lastIndex()}`);
    // A snapshot holds only committed entries, so its index is committed even if the stored commit
    // index is older (commit-only hard states are written lazily; a crash may lose the latest).
    this.committed = logIndex(Math.max(committed, snapshot.meta.index));
    this.applied = snapshot.meta.index;
    this.stable = this.lastIndex();
  }

  firstIndex(): LogIndex {
    return logIndex(this.snapshot.meta.index + 1);
  }

  lastIndex(): LogIndex {
    return logIndex(this.snapshot.meta.index + this.entries.length);
  }

  lastTerm(): Term {
    return this.entries.at(-1)?.term ?? this.snapshot.meta.term;
  }

  /** The term of the entry at `index`, or undefined if it is compacted away or beyond the end. */
  term(index: LogIndex): Term | undefined {
    const snap = this.snapshot.meta;
    if (index === snap.index) return snap.term;
    if (index < snap.index) return undefined;
    return this.entries[index - snap.index - 1]?.term;
  }

  entry(index: LogIndex): Entry | undefined {
    return index > this.snapshot.meta.index ? this.entries[index - this.snapshot.meta.index - 1] : undefined;
  }

  matchTerm(index: LogIndex, t: Term): boolean {
    return this.term(index) === t;
  }

  /** Raft's election restriction: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi) up to `bytesMax` (at least one), or undefined if lo is compacted. */
  slice(lo: LogIndex, hi: LogIndex, bytesMax: number): Entry[] | undefined {
    if (lo <= this.snapshot.meta.index) return undefined;
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entry(logIndex(i));
      assert(e !== undefined, `slice [${lo}, ${hi}) beyond the log end ${this.lastIndex()}`);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }

  /** Appends entries, replacing any stored suffix from the first one's index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    assert(first.index > this.committed, `append at ${first.index} would overwrite committed entry (commit ${this.committed})`);
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    this.entries.length = first.index - this.snapshot.meta.index - 1;
    this.entries.push(...entries);
    if (this.stable >= first.index) this.stable = logIndex(first.index - 1);
  }

  /**
   * The follower side of AppendEntries after the consistency check passed: skips entries already
   * present, truncates at the first conflicting one, appends the rest. Returns the last new index.
   */
  appendAfter(prevIndex: LogIndex, entries: readonly Entry[]): LogIndex {
    const conflict = entries.findIndex((e) => !this.matchTerm(e.index, e.term));
    if (conflict >= 0) this.append(entries.slice(conflict));
    return logIndex(prevIndex + entries.length);
  }

  /**
   * The largest index <= `index` whose term is <= `t`, with its term: where a leader and a follower
   * whose logs disagree can next agree (fast backtracking, Raft thesis 5.3).
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapshot.meta.index; i--) {
      const ti = this.term(logIndex(i));
      if (ti !== undefined && ti <= t) return { index: logIndex(i), term: ti };
    }
    return { index: logIndex(i), term: this.snapshot.meta.term };
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `commit ${index} beyond the log end ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  /** Entries from `stable` on: what the next Ready must persist. */
  unstableEntries(): Entry[] {
    return this.entries.slice(this.stable - this.snapshot.meta.index);
  }

  /** Committed entries not yet handed to the application, up to `bytesMax` (at least one). */
  committedToApply(bytesMax: number): Entry[] {
    if (this.applied >= this.committed) return [];
    return this.slice(logIndex(this.applied + 1), logIndex(this.committed + 1), bytesMax) ?? [];
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = [];
    this.committed = snapshot.meta.index;
    this.applied = snapshot.meta.index;
    this.stable = snapshot.meta.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops every entry at or below the snapshot's index (which the application has applied). */
  compact(snapshot: Snapshot): void {
    const index = snapshot.meta.index;
    assert(index <= this.applied, `compact at ${index} beyond applied ${this.applied}`);
    assert(this.term(index) === snapshot.meta.term, `compact at ${index}: term mismatch`);
    this.entries = this.entries.slice(index - this.snapshot.meta.index);
    this.snapshot = snapshot;
  }

  /** Entries in (from, to], for scans that must see every entry (e.g. membership changes). */
  between(from: LogIndex, to: LogIndex): Entry[] {
    const lo = Math.max(from, this.snapshot.meta.index);
    return this.entries.slice(lo - this.snapshot.meta.index, to - this.snapshot.meta.index);
  }
}

