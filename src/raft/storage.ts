// Durable storage of one node's Raft state: hard state, log entries and the latest snapshot.
// Implementations: LevelRaftStorage (LevelDB, level-storage.ts) and its in-memory twin below.
import type { Entry, HardState, PersistedState, Snapshot } from './core/types.js';
import { type LogIndex, type NodeId, type Term, logIndex, term } from './core/types.js';

/** One Ready's worth of state, written as ONE durable batch (LevelDB: a single `sync: true` batch). */
export interface PersistBatch {
  /** Replaces the stored snapshot AND every stored entry (a snapshot installed from the leader). */
  readonly snapshot?: Snapshot;
  /** Appended; any stored entry at or after `entries[0].index` is deleted first. */
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
  /**
   * False when the batch may stay in the OS cache (a commit-index-only update, see Ready.mustSync).
   * Default true. Later synced writes make it durable along with themselves, in order.
   */
  readonly sync?: boolean;
}

export interface RaftStorage {
  /** Reads everything back. Throws `CorruptStorageError` naming the index if a record is damaged. */
  load(): Promise<PersistedState>;
  persist(batch: PersistBatch): Promise<void>;
  /**
   * Log compaction: stores `snapshot` (taken locally by the application) and deletes the entries
   * at or below its index. Entries after it are kept.
   */
  compact(snapshot: Snapshot): Promise<void>;
  close(): Promise<void>;
}

/** A damaged record found while loading; never skipped silently. */
export class CorruptStorageError extends Error {
  readonly code = 'CORRUPT_STORAGE';
  constructor(readonly location: string, readonly detail: string) {
    super(`corrupt raft storage at ${location}: ${detail}`);
  }
}

export const emptyHardState: HardState = { term: term(0), vote: 0 as NodeId, commit: logIndex(0) };

/** The state of a freshly formatted node: an empty log whose "snapshot" at index 0 holds the initial voters. */
export function initialState(voters: readonly NodeId[], learners: readonly NodeId[] = []): PersistedState {
  return {
    hardState: emptyHardState,
    snapshot: { meta: { index: logIndex(0), term: term(0), conf: { voters: [...voters], learners: [...learners] } }, data: new Uint8Array(0) },
    entries: [],
  };
}

/** The in-memory twin: same contract, nothing survives the process. Used by tests and the simulator. */
export class MemoryRaftStorage implements RaftStorage {
  private hardState: HardState;
  private snapshot: Snapshot;
  private entries: Entry[];

  constructor(initial: PersistedState) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
  }

  async load(): Promise<PersistedState> {
    return this.loadSync();
  }

  loadSync(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  async persist(batch: PersistBatch): Promise<void> {
    this.persistSync(batch);
  }

  persistSync(batch: PersistBatch): void {
    if (batch.snapshot) {
      this.snapshot = batch.snapshot;
      this.entries = [];
    }
    const first = batch.entries[0];
    if (first) {
      const keep = first.index - this.snapshot.meta.index - 1;
      if (keep < 0 || keep > this.entries.length) throw new Error(`persisted entries must follow the log: first ${first.index}, snapshot ${this.snapshot.meta.index}, last ${this.lastIndex()}`);
      this.entries.length = keep;
      this.entries.push(...batch.entries);
    }
    if (batch.hardState) this.hardState = batch.hardState;
  }

  async compact(snapshot: Snapshot): Promise<void> {
    this.compactSync(snapshot);
  }

  compactSync(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.snapshot.meta.index) return;
    this.entries = this.entries.filter((e) => e.index > snapshot.meta.index);
    this.snapshot = snapshot;
  }

  async close(): Promise<void> {}

  lastIndex(): LogIndex {
    return logIndex(this.snapshot.meta.index + this.entries.length);
  }

  lastTerm(): Term {
    return this.entries.at(-1)?.term ?? this.snapshot.meta.term;
  }
}
