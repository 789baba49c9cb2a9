// A simulated node's disk, shared by the raft simulator's SimNode and the metadata simulator's
// ControllerNode: the MemoryRaftStorage that survives the node's crashes, the checker's mirror of
// it (StableLog), and the hard state last written without sync. That one is held back: the next
// synced write carries it to the storage, and a crash before then may lose it.
import type { HardState, PersistedState, Ready, Snapshot } from '../../../src/raft/core/types.js';
import type { MemoryRaftStorage } from '../../../src/raft/storage.js';
import type { Checker } from './invariants.js';
import { StableLog } from './stable-log.js';

export class SimDisk {
  readonly log = new StableLog();
  /** The latest hard state written without sync; lost in a crash unless a synced write followed. */
  private unsynced: HardState | undefined;

  constructor(
    private readonly nodeId: number,
    private readonly storage: MemoryRaftStorage,
  ) {}

  load(): PersistedState {
    return this.storage.loadSync();
  }

  /** Writes a Ready's snapshot, entries and hard state, once the checker has seen them. */
  persist(rd: Ready, checker: Checker): void {
    checker.persist(this.nodeId, this.log, rd);
    if (!rd.mustSync) {
      this.unsynced = rd.hardState ?? this.unsynced;
      return;
    }
    // A synced write makes the earlier unsynced one durable too (it is ordered before it).
    this.storage.persistSync({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState ?? this.unsynced });
    this.unsynced = undefined;
  }

  /** The node crashed: the unsynced hard state survives if `keepUnsynced`. Returns the hard state on disk. */
  crash(keepUnsynced: boolean): HardState {
    if (this.unsynced !== undefined && keepUnsynced) this.storage.persistSync({ entries: [], hardState: this.unsynced });
    this.unsynced = undefined;
    return this.storage.loadSync().hardState;
  }

  /** Stores the snapshot the core compacted to. A synced write (as in LevelRaftStorage), so it carries the unsynced one with it. */
  compact(snap: Snapshot, checker: Checker): void {
    checker.compacted(this.nodeId, this.log, snap);
    if (this.unsynced !== undefined) this.storage.persistSync({ entries: [], hardState: this.unsynced });
    this.unsynced = undefined;
    this.storage.compactSync(snap);
  }
}
