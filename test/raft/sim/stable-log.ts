// The simulator's own view of what one node has made durable: the snapshot's position and the
// entries after it. It mirrors MemoryRaftStorage (which keeps its fields private) so the invariant
// checks can inspect a node's stable log in O(1) per entry instead of copying it out.
import type { Entry, SnapshotMeta } from '../../../src/raft/core/types.js';

export class StableLog {
  snapIndex = 0;
  snapTerm = 0;
  private entries: Entry[] = [];

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  /** The entry at `index`, or undefined when it is compacted away or beyond the end. */
  entry(index: number): Entry | undefined {
    return index > this.snapIndex ? this.entries[index - this.snapIndex - 1] : undefined;
  }

  /** The term at `index`, including the snapshot's own position. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    return this.entry(index)?.term;
  }

  /** A snapshot installed from the leader replaces the whole log. */
  install(meta: SnapshotMeta): void {
    this.snapIndex = meta.index;
    this.snapTerm = meta.term;
    this.entries = [];
  }

  /** Entries replace everything stored at or after the first of them (the Ready contract). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.entries.length = first.index - this.snapIndex - 1;
    for (const e of entries) this.entries.push(e);
  }

  /** Local compaction keeps the entries after the snapshot. */
  compact(meta: SnapshotMeta): void {
    if (meta.index <= this.snapIndex) return;
    this.entries = this.entries.slice(meta.index - this.snapIndex);
    this.snapIndex = meta.index;
    this.snapTerm = meta.term;
  }
}
