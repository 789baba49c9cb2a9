// One simulated server: a RawNode, the storage that survives its crashes, and its state machine,
// driven exactly per the Ready contract: persist (snapshot, entries, hard state), then send, then
// restore/apply, then advance. A crash drops everything but the storage.
import { RawNode } from '../../../src/raft/core/rawnode.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { EntryType, type Entry, type Message, type RaftConfig, type ReadState, type Ready, type Snapshot, type Status } from '../../../src/raft/core/types.js';
import { MemoryRaftStorage } from '../../../src/raft/storage.js';
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
  appliedValue(node: SimNode, value: number, pos: number): void;
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

  constructor(readonly id: number, readonly tickPeriodMs: number, readonly config: RaftConfig, readonly storage: MemoryRaftStorage) {}

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

  /** Loses everything not in storage, including the requests clients are waiting on. */
  crash(): void {
    this.raw = undefined;
    this.status = undefined;
    this.incarnation++;
    this.values = [];
    this.applied = 0;
    this.pendingWrites.clear();
    this.pendingReads.clear();
  }

  /** Handles every Ready the node has; returns the read states it confirmed. */
  drain(hooks: DriverHooks): ReadState[] {
    const raw = this.raw;
    const reads: ReadState[] = [];
    if (raw === undefined) return reads;
    for (let round = 0; round < READY_ROUNDS_MAX && raw.hasReady(); round++) {
      const rd = raw.ready();
      this.handle(rd, hooks);
      for (const rs of rd.readStates) reads.push(rs);
      raw.advance(rd);
    }
    if (raw.hasReady()) throw new SimViolation('core-exception', `node ${this.id} still has a Ready after ${READY_ROUNDS_MAX} rounds`);
    this.status = raw.status();
    hooks.checker.status(this.status);
    return reads;
  }

  private handle(rd: Ready, hooks: DriverHooks): void {
    hooks.checker.persist(this.id, this.log, rd);
    this.storage.persistSync({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    for (const m of rd.messages) hooks.send(m);
    if (rd.snapshot !== undefined) this.restore(rd.snapshot, hooks.checker);
    for (const e of rd.committedEntries) this.apply(e, hooks);
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
    const durableCommit = checker.durableCommit(this.id);
    if (e.index > durableCommit) checker.fail('persist-contract', `node ${this.id} was handed entry ${e.index} to apply but its durable commit is ${durableCommit}`);
    checker.committed(this.id, e);
    this.applied = e.index;
    if (e.type !== EntryType.Normal || e.data.byteLength === 0) return;
    const value = decodeValue(e.data);
    const pos = this.values.length;
    checker.appliedValue(this.id, pos, value);
    this.values.push(value);
    hooks.appliedValue(this, value, pos);
  }

  /** Log compaction at the applied index, as the application would after taking a snapshot. */
  compact(checker: Checker): string {
    const raw = this.raw;
    if (raw === undefined || this.applied <= this.log.snapIndex) return `node ${this.id}: nothing to compact`;
    const snap = raw.compact(this.applied as Snapshot['meta']['index'], encodeValues(this.values));
    checker.compacted(this.id, this.log, snap);
    this.storage.compactSync(snap);
    return `node ${this.id} compacted to ${snap.meta.index}/t${snap.meta.term}`;
  }
}
