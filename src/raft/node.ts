// RaftNode drives the pure Raft core (RawNode): it is the one place with a timer and I/O.
//
// The loop. Incoming messages, ticks, proposals and reads are fed to the core at once (the core is
// in memory, so that is cheap and never waits). Whenever the core has a Ready and none is being
// handled, one Ready is taken and handled in the order its contract demands:
//   persist (ONE storage.persist call) -> send messages -> restore a received snapshot ->
//   apply committed entries -> settle proposals and reads -> advance -> maybe compact -> repeat.
// Everything that arrives while a Ready is being persisted is stepped into the core meanwhile and
// goes out with the NEXT Ready: that is what turns many concurrent proposals into one append and
// one disk sync. Proposals made in one event-loop turn are coalesced into one `core.propose` call.
//
// Proposals are settled by what is APPLIED at their index, never by leadership changes alone: an
// entry proposed by a deposed leader may still commit under the next one. Timeouts are swept once
// per tick; nothing arms a timer per request.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { decodeConfChange } from './core/conf-change.js';
import { SeededRandom } from './core/random.js';
import { RawNode } from './core/rawnode.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type LogIndex,
  type Message,
  NO_NODE,
  type NodeId,
  type RaftConfig,
  type Random,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
  type Status,
  type Term,
  logIndex,
  mayPrecedePersist,
} from './core/types.js';
import { RaftError, notLeaderError, refusalError } from './errors.js';
import type { StateMachine } from './state-machine.js';
import type { RaftStorage } from './storage.js';
import type { Transport } from './transport.js';
import { type Logger, logger } from '../util/log.js';

const TICK_MS_DEFAULT = 50;
const PROPOSAL_TIMEOUT_MS_DEFAULT = 10_000;
const PENDING_PROPOSALS_MAX_DEFAULT = 10_000;
/** Leadership transfers waiting to be observed, at most (an operator action; a handful is plenty). */
const PENDING_TRANSFERS_MAX = 8;

/** What a proposal resolves to once its entry is applied on this node. */
export interface Applied<R> {
  readonly index: LogIndex;
  readonly result: R;
}

export interface RaftNodeMetrics {
  /** Readies handled. */
  readonly readies: number;
  /** Storage writes (one per Ready that had something to make durable) and the entries they held. */
  readonly persists: number;
  readonly persistedEntries: number;
  /** Time spent waiting for those writes, in milliseconds. */
  readonly persistMs: number;
}

export interface LeaderChange {
  readonly leader: NodeId;
  readonly role: Role;
}

export interface RaftNodeOptions<R> {
  readonly config: RaftConfig;
  readonly storage: RaftStorage;
  readonly transport: Transport;
  readonly stateMachine: StateMachine<R>;
  /** Period of the one timer that ticks the core; election and heartbeat timeouts count ticks. */
  readonly tickMs?: number;
  /** Defaults to a source seeded from the operating system's randomness. */
  readonly random?: Random;
  /** A proposal (or transfer) not applied (observed) within this long is rejected with TIMEOUT. */
  readonly proposalTimeoutMs?: number;
  /** Take a state machine snapshot and compact the log every this many applied entries. */
  readonly snapshotEveryEntries?: number;
  /** Also compact once the entries applied since the last snapshot hold this many data bytes. */
  readonly snapshotEveryBytes?: number;
  /** Proposals queued or in flight, at most; beyond it propose() rejects TOO_MANY_PENDING. */
  readonly pendingProposalsMax?: number;
  /** Addresses of members learnt from the log, handed to the transport as membership changes. */
  readonly peerAddresses?: (id: NodeId) => string | undefined;
  readonly log?: Logger;
}

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: RaftError) => void;
}

interface InFlightBase {
  readonly index: LogIndex;
  readonly term: Term;
  readonly deadlineTick: number;
}

type InFlight<R> =
  | (InFlightBase & { readonly kind: 'data'; readonly waiter: Waiter<Applied<R>> })
  | (InFlightBase & { readonly kind: 'conf'; readonly waiter: Waiter<LogIndex> });

/**
 * Proposals the core accepted, in increasing index order (and so in deadline order: each is added
 * after every other, with the deadline of its time). Kept as an array with a moving head so that
 * settling the oldest is O(1).
 */
class InFlightProposals<R> {
  private items: (InFlight<R> | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /**
   * The leader appended new entries from `index` on: anything this node proposed at or after it has
   * left this leader's log, so it can never commit (Leader Completeness). Called before `push`,
   * which keeps the list sorted.
   */
  truncateFrom(index: LogIndex): void {
    while (this.size > 0) {
      const last = this.items[this.items.length - 1];
      assert(last !== undefined);
      if (last.index < index) return;
      this.items.pop();
      last.waiter.reject(lostError(last, 'was overwritten in this leader\'s log'));
    }
  }

  push(proposal: InFlight<R>): void {
    this.items.push(proposal);
  }

  appliedData(entry: Entry, result: R): void {
    const proposal = this.take(entry);
    if (proposal === undefined) return;
    assert(proposal.kind === 'data', `conf change proposal matched data entry ${entry.index}`);
    proposal.waiter.resolve({ index: entry.index, result });
  }

  /** A no-op or membership entry was applied. */
  appliedOther(entry: Entry): void {
    const proposal = this.take(entry);
    if (proposal === undefined) return;
    assert(proposal.kind === 'conf' && entry.type === EntryType.ConfChange, `proposal matched non-data entry ${entry.index}`);
    proposal.waiter.resolve(entry.index);
  }

  /** A snapshot up to `snapshot.meta.index` replaced the log: entries there were never applied here. */
  replacedBy(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    for (let p = this.front(); p !== undefined && p.index <= index; p = this.front()) {
      this.shift();
      // Terms never decrease along a log: an entry newer than the snapshot's last term cannot be in it.
      if (p.term > term) p.waiter.reject(lostError(p, `is not in the snapshot at index ${index} (term ${term})`));
      else p.waiter.reject(new RaftError('INDETERMINATE', `proposal at index ${p.index} (term ${p.term}) was covered by a snapshot at index ${index}; whether it committed is unknown`));
    }
  }

  expire(tick: number, timeoutMs: number): void {
    for (let p = this.front(); p !== undefined && p.deadlineTick <= tick; p = this.front()) {
      this.shift();
      p.waiter.reject(new RaftError('TIMEOUT', `proposal at index ${p.index} (term ${p.term}) not applied within ${timeoutMs} ms; outcome unknown: it may still commit`));
    }
  }

  rejectAll(error: RaftError): void {
    for (let p = this.front(); p !== undefined; p = this.front()) {
      this.shift();
      p.waiter.reject(error);
    }
  }

  /** The proposal at `entry.index` if it is this very entry; ours lost if another term is there. */
  private take(entry: Entry): InFlight<R> | undefined {
    const p = this.front();
    if (p === undefined || p.index > entry.index) return undefined;
    // Entries are applied contiguously and proposals are always above the applied index.
    assert(p.index === entry.index, `in-flight proposal at ${p.index} skipped by applying ${entry.index}`);
    this.shift();
    if (p.term === entry.term) return p;
    p.waiter.reject(lostError(p, `lost to an entry of term ${entry.term}`));
    return undefined;
  }

  private front(): InFlight<R> | undefined {
    return this.items[this.head];
  }

  private shift(): void {
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
  }
}

function lostError(p: InFlightBase, why: string): RaftError {
  return new RaftError('LEADERSHIP_LOST', `proposal at index ${p.index} (term ${p.term}) ${why}; it is not committed`);
}

interface PendingRead {
  readonly deadlineTick: number;
  /** Set once the leader confirmed the read; it resolves when this much is applied. */
  index: LogIndex | undefined;
  readonly waiter: Waiter<LogIndex>;
}

/** Read barriers by ctx. A Map iterates in insertion order, which is deadline order. */
class PendingReads {
  private readonly reads = new Map<string, PendingRead>();
  private confirmed = 0;

  get size(): number {
    return this.reads.size;
  }

  add(ctx: string, read: PendingRead): void {
    this.reads.set(ctx, read);
  }

  confirm(state: ReadState, applied: LogIndex): void {
    const read = this.reads.get(state.ctx);
    if (read === undefined || read.index !== undefined) return;
    read.index = state.index;
    this.confirmed++;
    if (applied >= state.index) this.settle(state.ctx, read);
  }

  appliedTo(applied: LogIndex): void {
    if (this.confirmed === 0) return;
    for (const [ctx, read] of this.reads) {
      if (read.index !== undefined && read.index <= applied) this.settle(ctx, read);
    }
  }

  /** Unconfirmed reads will never be confirmed by this node now; confirmed ones stay valid. */
  leadershipLost(leader: NodeId): void {
    for (const [ctx, read] of this.reads) {
      if (read.index !== undefined) continue;
      this.reads.delete(ctx);
      read.waiter.reject(notLeaderError(leader));
    }
  }

  expire(tick: number, timeoutMs: number): void {
    for (const [ctx, read] of this.reads) {
      if (read.deadlineTick > tick) return;
      this.remove(ctx, read);
      read.waiter.reject(new RaftError('TIMEOUT', `read not confirmed and applied within ${timeoutMs} ms`, { retriable: true }));
    }
  }

  rejectAll(error: RaftError): void {
    for (const [ctx, read] of this.reads) {
      this.remove(ctx, read);
      read.waiter.reject(error);
    }
  }

  private settle(ctx: string, read: PendingRead): void {
    assert(read.index !== undefined);
    this.remove(ctx, read);
    read.waiter.resolve(read.index);
  }

  private remove(ctx: string, read: PendingRead): void {
    this.reads.delete(ctx);
    if (read.index !== undefined) this.confirmed--;
  }
}

interface PendingTransfer {
  readonly to: NodeId;
  readonly deadlineTick: number;
  readonly waiter: Waiter<void>;
}

type Listeners = {
  leader: Set<(change: LeaderChange) => void>;
  fatal: Set<(error: Error) => void>;
};

export class RaftNode<R> {
  private readonly storage: RaftStorage;
  private readonly transport: Transport;
  private readonly stateMachine: StateMachine<R>;
  private readonly log: Logger;
  private readonly tickMs: number;
  private readonly proposalTimeoutMs: number;
  private readonly pendingProposalsMax: number;

  private role: Role = 'follower';
  private leader: NodeId = NO_NODE;
  private applied: LogIndex;
  private snapshotIndex: LogIndex;
  /** Data bytes of the entries applied since the last snapshot (taken or installed). */
  private bytesSinceSnapshot = 0;
  private ticks = 0;
  private timer: NodeJS.Timeout | undefined;
  private turn: NodeJS.Immediate | undefined;
  private looping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** What stopped the node, if it was not asked to: named in every later rejection. */
  private failure: unknown;
  private readSeq = 0;
  private readonly counters = { readies: 0, persists: 0, persistedEntries: 0, persistMs: 0 };
  /** The hard state of commit-only Readies, written with the next persist (or at a clean stop). */
  private unwrittenHardState: HardState | undefined;

  // Proposals made this turn, proposed to the core together at the end of it.
  private queuedData: Uint8Array[] = [];
  private queuedWaiters: Waiter<Applied<R>>[] = [];
  private readonly inFlight = new InFlightProposals<R>();
  private readonly reads = new PendingReads();
  private transfers: PendingTransfer[] = [];
  private readonly listeners: Listeners = { leader: new Set(), fatal: new Set() };

  private constructor(private readonly core: RawNode, private readonly options: RaftNodeOptions<R>, snapshotIndex: LogIndex) {
    this.storage = options.storage;
    this.transport = options.transport;
    this.stateMachine = options.stateMachine;
    this.log = options.log ?? logger('raft', { node: options.config.id });
    this.tickMs = options.tickMs ?? TICK_MS_DEFAULT;
    this.proposalTimeoutMs = options.proposalTimeoutMs ?? PROPOSAL_TIMEOUT_MS_DEFAULT;
    this.pendingProposalsMax = options.pendingProposalsMax ?? PENDING_PROPOSALS_MAX_DEFAULT;
    this.applied = snapshotIndex;
    this.snapshotIndex = snapshotIndex;
  }

  /** Loads storage, restores the state machine from the stored snapshot, and starts the node. */
  static async start<R>(options: RaftNodeOptions<R>): Promise<RaftNode<R>> {
    const persisted = await options.storage.load();
    const { snapshot } = persisted;
    if (snapshot.meta.index > 0) await options.stateMachine.restore(snapshot);
    const random = options.random ?? new SeededRandom(randomInt(0x1_0000_0000));
    const node = new RaftNode(new RawNode(options.config, persisted, random), options, snapshot.meta.index);
    try {
      await node.open(snapshot.meta.conf);
    } catch (error) {
      await Promise.allSettled([options.transport.close(), options.storage.close()]);
      throw error;
    }
    return node;
  }

  get id(): NodeId {
    return this.options.config.id;
  }

  /** The leader as of the last Ready this node handled (NO_NODE when unknown). */
  leaderId(): NodeId {
    return this.leader;
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Index of the last entry applied to the state machine on this node. */
  appliedIndex(): LogIndex {
    return this.applied;
  }

  status(): Status {
    return this.core.status();
  }

  /** Counters since start, for operators and benchmarks (rates come from differences). */
  metrics(): RaftNodeMetrics {
    return { ...this.counters };
  }

  /** Subscribes to role or leader changes, or to the fatal failure that stops the node; returns an unsubscribe. */
  on(event: 'leader', listener: (change: LeaderChange) => void): () => void;
  on(event: 'fatal', listener: (error: Error) => void): () => void;
  on(event: keyof Listeners, listener: ((change: LeaderChange) => void) | ((error: Error) => void)): () => void {
    const set = this.listeners[event] as Set<typeof listener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves once the entry is applied on this node, with the state machine's result. */
  propose(data: Uint8Array): Promise<Applied<R>> {
    if (this.stopping) return Promise.reject(this.stoppedError('not proposed', true));
    if (data.length === 0) return Promise.reject(new RaftError('INVALID_PROPOSAL', 'empty proposals are reserved for the leader\'s no-op entry'));
    if (this.queuedData.length + this.inFlight.size >= this.pendingProposalsMax) {
      return Promise.reject(new RaftError('TOO_MANY_PENDING', `${this.pendingProposalsMax} proposals already pending`));
    }
    return new Promise((resolve, reject) => {
      this.queuedData.push(data);
      this.queuedWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Resolves with the entry's index once the membership change is applied on this node. */
  async proposeConfChange(change: ConfChange): Promise<LogIndex> {
    if (this.stopping) throw this.stoppedError('not proposed', true);
    if (this.inFlight.size >= this.pendingProposalsMax) throw new RaftError('TOO_MANY_PENDING', `${this.pendingProposalsMax} proposals already pending`);
    // Proposals made earlier in this turn take their places in the log first, in call order.
    this.coreCall(() => this.flushProposals());
    const result = this.coreCall(() => this.core.proposeConfChange(change));
    if (!result.ok) throw refusalError(result.refusal);
    return new Promise((resolve, reject) => {
      this.inFlight.truncateFrom(result.firstIndex);
      this.inFlight.push({ kind: 'conf', index: result.firstIndex, term: result.term, deadlineTick: this.deadlineTick(this.proposalTimeoutMs), waiter: { resolve, reject } });
      this.kick();
    });
  }

  /** Resolves when this node observes `to` as the leader; rejects TIMEOUT if it does not in time. */
  async transferLeadership(to: NodeId, timeoutMs = this.proposalTimeoutMs): Promise<void> {
    if (this.stopping) throw this.stoppedError('not started', true);
    if (this.leader === to) return;
    if (this.transfers.length >= PENDING_TRANSFERS_MAX) throw new RaftError('TOO_MANY_PENDING', `${PENDING_TRANSFERS_MAX} leadership transfers already pending`);
    const result = this.coreCall(() => this.core.transferLeadership(to));
    if (!result.ok) throw refusalError(result.refusal);
    return new Promise((resolve, reject) => {
      this.transfers.push({ to, deadlineTick: this.deadlineTick(timeoutMs), waiter: { resolve, reject } });
      this.kick();
    });
  }

  /**
   * A linearizable read barrier (ReadIndex): resolves with an index once the leader confirmed it
   * still leads AND this node has applied that far, so a read of the state machine then reflects
   * every write acknowledged before read() was called. Leader only.
   */
  async read(): Promise<LogIndex> {
    if (this.stopping) throw this.stoppedError('not started', true);
    const readsMax = this.options.config.pendingReadsMax;
    if (this.reads.size >= readsMax) throw new RaftError('TOO_MANY_PENDING', `${readsMax} reads already pending`);
    const ctx = `${this.id}/${++this.readSeq}`;
    const result = this.coreCall(() => this.core.readIndex(ctx));
    if (!result.ok) throw refusalError(result.refusal);
    return new Promise((resolve, reject) => {
      this.reads.add(ctx, { deadlineTick: this.deadlineTick(this.proposalTimeoutMs), index: undefined, waiter: { resolve, reject } });
      this.kick();
    });
  }

  /**
   * Stops the timer, lets an in-progress Ready finish (a persist is never abandoned half-way),
   * rejects everything pending with STOPPED, and closes transport and storage. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown(undefined);
    return this.stopped;
  }

  // -------------------------------------------------------------------------------------------
  // Feeding the core.

  private async open(conf: ConfState): Promise<void> {
    this.connectMembers(conf);
    await this.transport.start((message) => this.onMessage(message));
    this.timer = setInterval(() => this.onTick(), this.tickMs);
    // A restarted node may have committed entries to apply before anything else happens.
    this.kick();
  }

  private onMessage(message: Message): void {
    if (this.stopping) return;
    if (this.safely(() => this.core.step(message))) this.kick();
  }

  private onTick(): void {
    if (this.stopping) return;
    this.ticks++;
    if (!this.safely(() => this.core.tick())) return;
    this.expire();
    this.kick();
  }

  /** Schedules one turn at the end of this event-loop turn, so that whatever arrives in it is batched. */
  private kick(): void {
    if (this.turn !== undefined || this.stopping) return;
    this.turn = setImmediate(() => {
      this.turn = undefined;
      if (this.stopping || !this.safely(() => this.flushProposals())) return;
      if (!this.looping && this.core.hasReady()) {
        this.looping = true;
        this.loopDone = this.runLoop();
      } else if (this.looping) {
        // A Ready is being persisted: a leader's new appends need not wait for that disk write.
        const early = this.core.takeEarlyMessages();
        if (early.length > 0) this.transport.send(early);
      }
    });
  }

  private flushProposals(): void {
    if (this.queuedData.length === 0) return;
    const data = this.queuedData;
    const waiters = this.queuedWaiters;
    this.queuedData = [];
    this.queuedWaiters = [];
    const result = this.core.propose(data);
    if (!result.ok) {
      const error = refusalError(result.refusal);
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    this.inFlight.truncateFrom(result.firstIndex);
    const deadlineTick = this.deadlineTick(this.proposalTimeoutMs);
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters[i];
      assert(waiter !== undefined);
      this.inFlight.push({ kind: 'data', index: logIndex(result.firstIndex + i), term: result.term, deadlineTick, waiter });
    }
  }

  private expire(): void {
    this.inFlight.expire(this.ticks, this.proposalTimeoutMs);
    this.reads.expire(this.ticks, this.proposalTimeoutMs);
    if (this.transfers.length === 0) return;
    this.transfers = this.transfers.filter((t) => {
      if (t.deadlineTick > this.ticks) return true;
      t.waiter.reject(new RaftError('TIMEOUT', `node ${t.to} did not become leader in time (the leader is ${this.leader || 'unknown'})`, { retriable: true }));
      return false;
    });
  }

  // -------------------------------------------------------------------------------------------
  // The Ready loop.

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopping && this.core.hasReady()) {
        const ready = this.core.ready();
        this.counters.readies++;
        await this.handleReady(ready);
        this.core.advance(ready);
        await this.maybeCompact();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.looping = false;
    }
  }

  private async handleReady(ready: Ready): Promise<void> {
    const { snapshot, entries, hardState } = ready;
    // 0. A leader replicates in parallel with writing its own log: its appends go out at once.
    const early = ready.messages.filter(mayPrecedePersist);
    if (early.length > 0) this.transport.send(early);
    // 1. Durable first: one batch, synced when it must be. Nothing below may happen before it.
    //    A Ready that only moves the commit index writes nothing now: that hard state rides along
    //    with the next write (a commit index lost in a crash is learnt again from the leader).
    if (snapshot === undefined && entries.length === 0 && !ready.mustSync) {
      this.unwrittenHardState = hardState ?? this.unwrittenHardState;
    } else {
      const started = performance.now();
      await this.storage.persist({ snapshot, entries, hardState: hardState ?? this.unwrittenHardState, sync: ready.mustSync });
      this.counters.persists++;
      this.counters.persistedEntries += entries.length;
      this.counters.persistMs += performance.now() - started;
      this.unwrittenHardState = undefined;
    }
    // 2. Only now may votes and acknowledgements leave this node.
    const late = early.length === 0 ? ready.messages : ready.messages.filter((m) => !mayPrecedePersist(m));
    if (late.length > 0) this.transport.send(late);
    // 3. Apply.
    if (snapshot !== undefined) await this.installSnapshot(snapshot);
    await this.applyEntries(ready.committedEntries);
    // 4. Confirmed reads first: a read confirmed before leadership was lost remains linearizable.
    for (const state of ready.readStates) this.reads.confirm(state, this.applied);
    this.reads.appliedTo(this.applied);
    if (ready.softState !== undefined) this.onSoftState(ready.softState);
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    this.log.info({ index: snapshot.meta.index, term: snapshot.meta.term, bytes: snapshot.data.length }, 'installing a snapshot from the leader');
    await this.stateMachine.restore(snapshot);
    this.applied = snapshot.meta.index;
    this.snapshotIndex = snapshot.meta.index;
    this.bytesSinceSnapshot = 0;
    this.inFlight.replacedBy(snapshot);
    this.connectMembers(snapshot.meta.conf);
  }

  private async applyEntries(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) {
      if (entry.type === EntryType.Normal && entry.data.length > 0) {
        const out = this.stateMachine.apply(entry);
        // Most state machines apply synchronously; awaiting only real promises keeps this loop tight.
        const result = out instanceof Promise ? await out : out;
        this.inFlight.appliedData(entry, result);
      } else {
        if (entry.type === EntryType.ConfChange) this.membershipChanged(decodeConfChange(entry.data));
        this.inFlight.appliedOther(entry);
      }
      this.applied = entry.index;
      this.bytesSinceSnapshot += entry.data.length;
    }
  }

  private onSoftState(soft: SoftState): void {
    const lostLeadership = this.role === 'leader' && soft.role !== 'leader';
    const changed = soft.role !== this.role || soft.leader !== this.leader;
    this.role = soft.role;
    this.leader = soft.leader;
    if (lostLeadership) this.reads.leadershipLost(soft.leader);
    if (this.transfers.length > 0) {
      this.transfers = this.transfers.filter((t) => {
        if (t.to !== soft.leader) return true;
        t.waiter.resolve();
        return false;
      });
    }
    if (changed) this.emit('leader', { leader: soft.leader, role: soft.role });
  }

  private async maybeCompact(): Promise<void> {
    const { snapshotEveryEntries: entries, snapshotEveryBytes: bytes } = this.options;
    const due = (entries !== undefined && this.applied - this.snapshotIndex >= entries) || (bytes !== undefined && this.bytesSinceSnapshot >= bytes);
    if (!due || this.applied <= this.snapshotIndex) return;
    const index = this.applied;
    const data = await this.stateMachine.snapshot(index);
    // While the snapshot was taken, the core may have installed a newer one from the leader.
    if (this.core.status().snapshotIndex >= index) return;
    const snapshot = this.core.compact(index, data);
    await this.storage.compact(snapshot);
    this.snapshotIndex = index;
    this.bytesSinceSnapshot = 0;
    this.log.debug({ index, bytes: data.length }, 'compacted the raft log');
  }

  // -------------------------------------------------------------------------------------------
  // Membership addresses (minimal: only when the embedder can map ids to addresses).

  private connectMembers(conf: ConfState): void {
    for (const id of [...conf.voters, ...conf.learners]) this.membershipChanged({ kind: 'add-learner', node: id });
  }

  private membershipChanged(change: ConfChange): void {
    const addresses = this.options.peerAddresses;
    if (addresses === undefined || change.node === this.id) return;
    if (change.kind === 'remove') {
      this.transport.removePeer(change.node);
      return;
    }
    const address = addresses(change.node);
    if (address !== undefined) this.transport.setPeer(change.node, address);
    else this.log.warn({ peer: change.node }, 'no address known for a new member');
  }

  // -------------------------------------------------------------------------------------------
  // Failure and shutdown.

  /** Runs a core call from a request method; a throw means a broken invariant and stops the node. */
  private coreCall<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      this.fail(error);
      throw this.stoppedError('failed', false);
    }
  }

  /** Runs a core call from a callback that must not throw; false if it failed (and stopped the node). */
  private safely(call: () => void): boolean {
    try {
      call();
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** A failed persist or a broken invariant: continuing (say, after a failed fsync) is unsafe. */
  private fail(error: unknown): void {
    if (this.stopping) {
      this.log.error({ err: error }, 'raft node failed while stopping');
      return;
    }
    this.log.error({ err: error }, 'raft node failed; stopping it');
    this.failure = error;
    this.emit('fatal', error instanceof Error ? error : new Error(String(error)));
    this.stopped ??= this.shutdown(error);
  }

  private async shutdown(cause: unknown): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    if (this.turn !== undefined) clearImmediate(this.turn);
    this.turn = undefined;
    await this.loopDone;
    if (this.unwrittenHardState !== undefined && cause === undefined) {
      // A clean stop keeps the latest commit index, so a restart re-applies no less than it could.
      await this.storage.persist({ entries: [], hardState: this.unwrittenHardState }).catch((error: unknown) => this.log.warn({ err: error }, 'could not write the last commit index'));
    }
    this.rejectAll(cause);
    const closed = await Promise.allSettled([this.transport.close(), this.storage.close()]);
    for (const c of closed) if (c.status === 'rejected') this.log.warn({ err: c.reason }, 'error closing raft node');
  }

  private rejectAll(cause: unknown): void {
    const queued = this.stoppedError('not proposed', true, cause);
    for (const waiter of this.queuedWaiters) waiter.reject(queued);
    this.queuedData = [];
    this.queuedWaiters = [];
    this.inFlight.rejectAll(this.stoppedError('in flight; outcome unknown, it may still commit', false, cause));
    this.reads.rejectAll(this.stoppedError('read abandoned', true, cause));
    for (const t of this.transfers) t.waiter.reject(this.stoppedError('transfer abandoned', false, cause));
    this.transfers = [];
  }

  private stoppedError(what: string, retriable: boolean, cause: unknown = this.failure): RaftError {
    const why = cause === undefined ? 'stopped' : `stopped after a fatal error (${cause instanceof Error ? cause.message : String(cause)})`;
    return new RaftError('STOPPED', `raft node ${this.id} ${why}: ${what}`, { retriable, cause });
  }

  private deadlineTick(timeoutMs: number): number {
    return this.ticks + Math.max(1, Math.ceil(timeoutMs / this.tickMs));
  }

  private emit(event: 'leader', change: LeaderChange): void;
  private emit(event: 'fatal', error: Error): void;
  private emit(event: keyof Listeners, value: LeaderChange | Error): void {
    for (const listener of this.listeners[event] as Set<(value: LeaderChange | Error) => void>) {
      try {
        listener(value);
      } catch (error) {
        this.log.warn({ err: error, event }, 'raft node listener threw');
      }
    }
  }
}
