// The public face of the Raft core: inputs (tick, step, propose, ...) and the Ready/advance cycle.
//
// Usage by a driver, in a loop:
//   if (node.hasReady()) { const rd = node.ready(); persist(rd); send(rd.messages); apply(rd); node.advance(rd); }
// ready() and advance() strictly alternate; inputs may arrive at any time in between (while the
// driver is persisting), and their effects go into the next Ready. See `Ready` for the ordering
// contract the driver must keep.
import { assert } from './assert.js';
import { Raft } from './raft.js';
import { type ConfChange, type HardState, type LogIndex, type Message, type NodeId, type PersistedState, type ProposeResult, type RaftConfig, type Random, type Ready, type RequestResult, type Snapshot, type SoftState, type Status, mayPrecedePersist } from './types.js';

/** Committed entry bytes handed to the application per Ready, at most (at least one entry). */
export const APPLY_BYTES_PER_READY_MAX = 16 * 1024 * 1024;

export class RawNode {
  private readonly raft: Raft;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private outstanding: Ready | undefined;

  constructor(readonly config: RaftConfig, persisted: PersistedState, random: Random) {
    this.raft = new Raft(config, persisted, random);
    this.prevHardState = this.raft.hardState();
    this.prevSoftState = this.raft.softState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Feeds a message received from a peer. Messages from stale terms are answered or ignored as Raft requires. */
  step(message: Message): void {
    this.raft.step(message);
  }

  /** Starts an election now (pre-vote first when enabled). Ignored on a leader or a non-voter. */
  campaign(): void {
    this.raft.campaign();
  }

  /** Appends data entries as one batch (leader only); they occupy consecutive indexes from firstIndex. */
  propose(data: readonly Uint8Array[]): ProposeResult {
    return this.raft.propose(data);
  }

  /** Appends a membership change (leader only; one in flight at a time). */
  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.raft.proposeConfChange(cc);
  }

  /** Requests a linearizable read point, confirmed later as a ReadState with the same ctx (leader only). */
  readIndex(ctx: string): RequestResult {
    return this.raft.readIndex(ctx);
  }

  /** Hands leadership to `to` (leader only); proposals are refused until it completes or times out. */
  transferLeadership(to: NodeId): RequestResult {
    return this.raft.transferLeadership(to);
  }

  /**
   * The application's snapshot at `index` (<= applied): compacts the log behind it and returns the
   * Snapshot to store. Call it between advance() and the next ready(): while a Ready holding a
   * snapshot from the leader is outstanding, the core is already past the application's state.
   */
  compact(index: LogIndex, data: Uint8Array): Snapshot {
    return this.raft.compact(index, data);
  }

  /**
   * Takes the pending messages that may precede persistence (see `mayPrecedePersist`), leaving the
   * rest for the next Ready. A driver calls it while it is persisting a Ready, so that a leader's
   * new entries reach followers without waiting for its own disk write to finish.
   */
  takeEarlyMessages(): Message[] {
    const r = this.raft;
    r.startReadRound();
    if (!r.messages.some(mayPrecedePersist)) return [];
    const early = r.messages.filter(mayPrecedePersist);
    r.messages = r.messages.filter((m) => !mayPrecedePersist(m));
    return early;
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      r.messages.length > 0 ||
      r.readRoundPending ||
      r.readStates.length > 0 ||
      r.log.pendingSnapshot !== undefined ||
      r.log.stable < r.log.lastIndex() ||
      r.log.applied < r.log.committed ||
      !sameHardState(r.hardState(), this.prevHardState) ||
      !sameSoftState(r.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const r = this.raft;
    r.startReadRound();
    const hardState = r.hardState();
    const softState = r.softState();
    const entries = r.log.unstableEntries();
    const snapshot = r.log.pendingSnapshot;
    const mustSync = entries.length > 0 || snapshot !== undefined || hardState.term !== this.prevHardState.term || hardState.vote !== this.prevHardState.vote;
    const rd: Ready = {
      softState: sameSoftState(softState, this.prevSoftState) ? undefined : softState,
      hardState: sameHardState(hardState, this.prevHardState) ? undefined : hardState,
      snapshot,
      entries,
      mustSync,
      messages: r.messages,
      committedEntries: r.log.committedToApply(APPLY_BYTES_PER_READY_MAX),
      readStates: r.readStates,
    };
    r.messages = [];
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** Tells the core the Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    assert(rd === this.outstanding, 'advance() with a Ready that is not the outstanding one');
    this.outstanding = undefined;
    const log = this.raft.log;
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.snapshot && log.pendingSnapshot === rd.snapshot) log.pendingSnapshot = undefined;
    const last = rd.entries.at(-1);
    // Entries may have been replaced since ready(); they are stable only if still the same ones.
    if (last && log.term(last.index) === last.term && last.index > log.stable) log.stable = last.index;
    const applied = rd.committedEntries.at(-1);
    if (applied && applied.index > log.applied) log.applied = applied.index;
    if (last) this.raft.persisted();
  }

  status(): Status {
    return this.raft.status();
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
