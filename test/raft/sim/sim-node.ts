// One simulated server: a RawNode, the storage that survives its crashes, and its state machine,
// driven per the Ready contract: the leader's appends may leave at once (mayPrecedePersist); then
// persist (snapshot, entries, hard state; synced if mustSync); then send the rest, restore/apply,
// and advance.
//
// The disk has a latency per seed. At zero, a Ready is handled within the event that produced it.
// Otherwise the write completes in a later 'disk' event, inputs keep arriving meanwhile, and a
// crash before completion loses the write. A write that need not be synced (a commit index alone)
// may also be lost in a crash, unless a later synced write carried it to disk.
import { RawNode } from '../../../src/raft/core/rawnode.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { EntryType, type Entry, type HardState, type LogIndex, type Message, type RaftConfig, type Ready, type Snapshot, type Status, mayPrecedePersist } from '../../../src/raft/core/types.js';
import type { MemoryRaftStorage } from '../../../src/raft/storage.js';
import type { Checker } from './invariants.js';
import { StableLog } from './stable-log.js';
import { decodeValue, decodeValues, encodeValues } from './values.js';
import { SimViolation } from './violation.js';

/** A node handing out Ready after Ready without settling is itself a bug; this bounds the loop. */
const READY_ROUNDS_MAX = 64;

export interface PendingWrite {
  readonly client: number;
  readonly op: number;
}

export interface PendingRead {
  readonly client: number;
  readonly op: number;
  readonly ctx: string;
  readonly invokedMs: number;
  /** The state machine length every linearizable answer must reach (acked writes, earlier reads). */
  readonly required: number;
  index: number | undefined;
}

/** What the simulation does with a node's output. */
export interface DriverHooks {
  readonly checker: Checker;
  send(msg: Message): void;
  /** Schedules the completion of the node's disk write (diskLatencyMs > 0 only). */
  scheduleDisk(node: SimNode): void;
  appliedValue(node: SimNode, value: number, pos: number): void;
  readDone(node: SimNode, read: PendingRead): void;
}

export class SimNode {
  raw: RawNode | undefined;
  incarnation = 0;
  values: number[] = [];
  applied = 0;
  status: Status | undefined;
  readonly log = new StableLog();
  readonly pendingWrites = new Map<number, PendingWrite>();
  readonly pendingReads = new Map<string, PendingRead>();
  /** The Ready whose disk write is under way (asynchronous disk only). */
  private writing: Ready | undefined;
  /** The latest hard state written without sync; lost in a crash unless a synced write followed. */
  private unsynced: HardState | undefined;

  constructor(
    readonly id: number,
    readonly tickPeriodMs: number,
    readonly diskLatencyMs: number,
    readonly config: RaftConfig,
    readonly storage: MemoryRaftStorage,
  ) {}

  get alive(): boolean {
    return this.raw !== undefined;
  }

  get isLeader(): boolean {
    return this.raw !== undefined && this.status?.role === 'leader';
  }

  /** (Re)starts from storage: the state machine comes back from the stored snapshot. */
  start(randomSeed: number, checker: Checker): void {
    const persisted = this.storage.loadSync();
    this.incarnation++;
    this.values = decodeValues(persisted.snapshot.data);
    this.applied = persisted.snapshot.meta.index;
    checker.restoredValues(this.id, this.values);
    this.raw = new RawNode(this.config, persisted, new SeededRandom(randomSeed));
    this.status = this.raw.status();
    checker.restarted(this.status);
  }

  /** Loses everything not on disk, including the requests clients wait on. Returns what survived. */
  crash(keepUnsynced: boolean): HardState {
    if (this.unsynced !== undefined && keepUnsynced) this.storage.persistSync({ entries: [], hardState: this.unsynced });
    this.unsynced = undefined;
    this.writing = undefined;
    this.raw = undefined;
    this.status = undefined;
    this.incarnation++;
    this.values = [];
    this.applied = 0;
    this.pendingWrites.clear();
    this.pendingReads.clear();
    return this.storage.loadSync().hardState;
  }

  /** Processes what the last input produced, then checks the node's status. */
  pump(hooks: DriverHooks): void {
    const raw = this.raw;
    if (raw === undefined) return;
    if (this.diskLatencyMs === 0) this.drainNow(raw, hooks);
    else if (this.writing === undefined && raw.hasReady()) this.startWrite(raw, hooks);
    this.status = raw.status();
    hooks.checker.status(this.status);
  }

  /** The asynchronous disk finished the write under way. */
  diskDone(hooks: DriverHooks): void {
    const raw = this.raw;
    const rd = this.writing;
    if (raw === undefined || rd === undefined) return;
    this.writing = undefined;
    this.complete(rd, hooks, true);
    raw.advance(rd);
    this.pump(hooks);
  }

  private drainNow(raw: RawNode, hooks: DriverHooks): void {
    for (let round = 0; round < READY_ROUNDS_MAX && raw.hasReady(); round++) {
      const rd = raw.ready();
      this.complete(rd, hooks, false);
      raw.advance(rd);
    }
    if (raw.hasReady()) throw new SimViolation('core-exception', `node ${this.id} still has a Ready after ${READY_ROUNDS_MAX} rounds`);
  }

  private startWrite(raw: RawNode, hooks: DriverHooks): void {
    const rd = raw.ready();
    for (const m of rd.messages) if (mayPrecedePersist(m)) hooks.send(m);
    this.writing = rd;
    hooks.scheduleDisk(this);
  }

  /** Steps 1-3 of the contract; `earlySent` when the leader's own messages already left. */
  private complete(rd: Ready, hooks: DriverHooks, earlySent: boolean): void {
    // Leadership first, so that two leaders in a term are reported as such, not by their effects.
    if (rd.softState?.role === 'leader') hooks.checker.leaderInTerm(this.id, rd.hardState?.term ?? hooks.checker.writtenTerm(this.id));
    this.persist(rd, hooks.checker);
    for (const m of rd.messages) if (!earlySent || !mayPrecedePersist(m)) hooks.send(m);
    if (rd.snapshot !== undefined) this.restore(rd.snapshot, hooks.checker);
    for (const e of rd.committedEntries) this.apply(e, hooks);
    for (const rs of rd.readStates) {
      const pending = this.pendingReads.get(rs.ctx);
      if (pending !== undefined) pending.index = rs.index;
    }
    this.completeReads(hooks);
  }

  private persist(rd: Ready, checker: Checker): void {
    checker.persist(this.id, this.log, rd);
    if (!rd.mustSync) {
      this.unsynced = rd.hardState ?? this.unsynced;
      return;
    }
    // A synced write makes the earlier unsynced one durable too (it is ordered before it).
    this.storage.persistSync({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState ?? this.unsynced });
    this.unsynced = undefined;
  }

  private restore(snap: Snapshot, checker: Checker): void {
    if (snap.meta.index <= this.applied) checker.fail('apply-order', `node ${this.id} was handed snapshot ${snap.meta.index} to restore but has applied ${this.applied}`);
    const values = decodeValues(snap.data);
    checker.restoredValues(this.id, values);
    this.values = values;
    this.applied = snap.meta.index;
  }

  private apply(e: Entry, hooks: DriverHooks): void {
    const checker = hooks.checker;
    if (e.index !== this.applied + 1) checker.fail('apply-order', `node ${this.id} was handed entry ${e.index} to apply after applying ${this.applied}`);
    const written = checker.writtenCommit(this.id);
    if (e.index > written) checker.fail('persist-contract', `node ${this.id} was handed entry ${e.index} to apply but the commit index it wrote is ${written}`);
    checker.committed(this.id, e);
    this.applied = e.index;
    if (e.type !== EntryType.Normal || e.data.byteLength === 0) return;
    const value = decodeValue(e.data);
    const pos = this.values.length;
    checker.appliedValue(this.id, pos, value);
    this.values.push(value);
    hooks.appliedValue(this, value, pos);
  }

  /** Confirmed reads whose index this node has applied are answered with the whole list. */
  private completeReads(hooks: DriverHooks): void {
    if (this.pendingReads.size === 0) return;
    for (const [ctx, read] of this.pendingReads) {
      if (read.index === undefined || read.index > this.applied) continue;
      this.pendingReads.delete(ctx);
      hooks.readDone(this, read);
    }
  }

  /** Log compaction at the applied index, as the application would after taking a snapshot. */
  compact(checker: Checker): string {
    const raw = this.raw;
    if (raw === undefined || this.applied <= this.log.snapIndex) return `node ${this.id}: nothing to compact`;
    // Like RaftNode, compact between advance() and the next ready(): while a Ready is being written,
    // the core may already hold a newer snapshot than the state machine (it asserts on that).
    if (this.writing !== undefined) return `node ${this.id}: write in flight, no compaction`;
    const snap = raw.compact(this.applied as LogIndex, encodeValues(this.values));
    checker.compacted(this.id, this.log, snap);
    // Compaction is a synced write (as in LevelRaftStorage), so it carries the unsynced one with it.
    if (this.unsynced !== undefined) this.storage.persistSync({ entries: [], hardState: this.unsynced });
    this.unsynced = undefined;
    this.storage.compactSync(snap);
    return `node ${this.id} compacted to ${snap.meta.index}/t${snap.meta.term}`;
  }
}
