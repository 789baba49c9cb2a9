// One simulated server: a RawNode, its disk (sim-disk.ts: the storage that survives its crashes),
// and its state machine, driven per the Ready contract: the leader's appends may leave at once
// (mayPrecedePersist); then persist (snapshot, entries, hard state; synced if mustSync); then send
// the rest, restore/apply, and advance.
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
import { SimDisk } from './sim-disk.js';
import { decodeValue, decodeValues, encodeValues } from './values.js';
import { SimViolation } from './violation.js';

/** A node handing out Ready after Ready without settling is itself a bug; this bounds the loop. */
const READY_ROUNDS_MAX = 64;

/** Completes and advances every Ready the node has, in order (a synchronous disk). */
export function drainReadies(raw: RawNode, nodeId: number, complete: (rd: Ready) => void): void {
  for (let round = 0; round < READY_ROUNDS_MAX && raw.hasReady(); round++) {
    const rd = raw.ready();
    complete(rd);
    raw.advance(rd);
  }
  if (raw.hasReady()) throw new SimViolation('core-exception', `node ${nodeId} still has a Ready after ${READY_ROUNDS_MAX} rounds`);
}

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
  readonly pendingWrites = new Map<number, PendingWrite>();
  readonly pendingReads = new Map<string, PendingRead>();
  /** The Ready whose disk write is under way (asynchronous disk only). */
  private writing: Ready | undefined;
  private readonly disk: SimDisk;

  constructor(
    readonly id: number,
    readonly tickPeriodMs: number,
    readonly diskLatencyMs: number,
    readonly config: RaftConfig,
    storage: MemoryRaftStorage,
  ) {
    this.disk = new SimDisk(id, storage);
  }

  get alive(): boolean {
    return this.raw !== undefined;
  }

  get isLeader(): boolean {
    return this.raw !== undefined && this.status?.role === 'leader';
  }

  /** (Re)starts from storage: the state machine comes back from the stored snapshot. */
  start(randomSeed: number, checker: Checker): void {
    const persisted = this.disk.load();
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
    const survived = this.disk.crash(keepUnsynced);
    this.writing = undefined;
    this.raw = undefined;
    this.status = undefined;
    this.incarnation++;
    this.values = [];
    this.applied = 0;
    this.pendingWrites.clear();
    this.pendingReads.clear();
    return survived;
  }

  /** Processes what the last input produced, then checks the node's status. */
  pump(hooks: DriverHooks): void {
    const raw = this.raw;
    if (raw === undefined) return;
    if (this.diskLatencyMs === 0) drainReadies(raw, this.id, (rd) => this.complete(rd, hooks, false));
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
    this.disk.persist(rd, hooks.checker);
    for (const m of rd.messages) if (!earlySent || !mayPrecedePersist(m)) hooks.send(m);
    if (rd.snapshot !== undefined) this.restore(rd.snapshot, hooks.checker);
    for (const e of rd.committedEntries) this.apply(e, hooks);
    for (const rs of rd.readStates) {
      const pending = this.pendingReads.get(rs.ctx);
      if (pending !== undefined) pending.index = rs.index;
    }
    this.completeReads(hooks);
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
    if (raw === undefined || this.applied <= this.disk.log.snapIndex) return `node ${this.id}: nothing to compact`;
    // Like RaftNode, compact between advance() and the next ready(): while a Ready is being written,
    // the core may already hold a newer snapshot than the state machine (it asserts on that).
    if (this.writing !== undefined) return `node ${this.id}: write in flight, no compaction`;
    const snap = raw.compact(this.applied as LogIndex, encodeValues(this.values));
    this.disk.compact(snap, checker);
    return `node ${this.id} compacted to ${snap.meta.index}/t${snap.meta.term}`;
  }
}
