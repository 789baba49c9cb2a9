// The Raft state machine: elections (with PreVote and CheckQuorum), log replication with flow
// control, commitment, ReadIndex, leader transfer, snapshots and single-server membership changes.
// Pure: no I/O, no clock, no randomness of its own. RawNode (rawnode.ts) wraps it with Ready/advance.
//
// Role transitions, each through one named method (anything else asserts):
//
//   from \ to        follower   pre-candidate   candidate   leader
//   follower            yes          yes            yes        -
//   pre-candidate       yes          -              yes        -
//   candidate           yes          -              yes        yes
//   leader              yes          -              -          -
//
// A follower goes straight to candidate only when pre-vote is off or on TimeoutNow (leader transfer).
// A single-voter cluster passes through candidate to leader in one step.
import { assert } from './assert.js';
import { applyConfChange, checkConfChange, decodeConfChange, encodeConfChange } from './conf-change.js';
import { RaftLog, entryBytes } from './log.js';
import { Progress } from './progress.js';
import {
  type AppendRequest,
  type AppendResponse,
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Heartbeat,
  type LogIndex,
  type Message,
  NO_NODE,
  type NodeId,
  type PersistedState,
  type PlantedBug,
  type ProposeResult,
  type RaftConfig,
  type Random,
  type ReadState,
  type RequestResult,
  type Role,
  type SnapshotChunk,
  type SnapshotResponse,
  type SoftState,
  type Status,
  type Snapshot,
  type Term,
  type VoteRequest,
  type VoteResponse,
  SNAPSHOT_BYTES_MAX,
  logIndex,
  term as asTerm,
} from './types.js';

interface PendingRead {
  readonly ctx: string;
  readonly index: LogIndex;
  readonly round: number;
}

interface IncomingSnapshot {
  readonly from: NodeId;
  readonly meta: SnapshotChunk['meta'];
  readonly buffer: Uint8Array;
  received: number;
}

export class Raft {
  readonly id: NodeId;
  term: Term;
  vote: NodeId;
  leader: NodeId = NO_NODE;
  role: Role = 'follower';
  readonly log: RaftLog;
  /** Membership as of the commit index: changes take effect when a node learns they are committed. */
  conf: ConfState;

  /** Outgoing messages, drained into the next Ready. */
  messages: Message[] = [];
  /** Confirmed reads, drained into the next Ready. */
  readStates: ReadState[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private votes = new Map<NodeId, boolean>();
  private progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId = NO_NODE;
  /** Index of the latest membership change appended by this leader; a new one waits until it commits. */
  private pendingConfIndex: LogIndex = logIndex(0);
  private uncommittedBytes = 0;
  private pendingReads: PendingRead[] = [];
  /** Reads requested before this leader committed an entry of its own term; registered once it has. */
  private readsAwaitingCommit: string[] = [];
  private readRound = 0;
  /** Reads were registered for round readRound + 1, which starts at the next Ready (`startReadRound`). */
  readRoundPending = false;
  private readAcks = new Map<NodeId, number>();
  private incoming: IncomingSnapshot | undefined;

  constructor(readonly config: RaftConfig, persisted: PersistedState, private readonly random: Random) {
    assert(config.electionTicks > config.heartbeatTicks && config.heartbeatTicks > 0, 'electionTicks must exceed heartbeatTicks > 0');
    this.id = config.id;
    const { hardState, snapshot, entries } = persisted;
    this.log = new RaftLog(snapshot, entries, hardState.commit);
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.conf = snapshot.meta.conf;
    this.applyCommittedConfChanges(snapshot.meta.index, this.log.committed);
    this.resetRandomizedElectionTimeout();
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  campaign(): void {
    if (this.role === 'leader' || !this.promotable()) return;
    if (this.config.preVote) this.startPreVote();
    else this.startElection(false);
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return;
    }
    this.dispatch(m);
  }

  propose(data: readonly Uint8Array[]): ProposeResult {
    const refusal = this.refuseWrite();
    if (refusal) return refusal;
    const bytes = data.reduce((sum, d) => sum + d.byteLength + 16, 0);
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.config.uncommittedBytesMax) {
      return { ok: false, refusal: { code: 'too-many-uncommitted' } };
    }
    const first = logIndex(this.log.lastIndex() + 1);
    this.appendEntries(data.map((d) => ({ type: EntryType.Normal, data: d })));
    return { ok: true, term: this.term, firstIndex: first };
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    const refusal = this.refuseWrite();
    if (refusal) return refusal;
    // One change in flight, and not before this leader committed an entry of its own term: the
    // single-server change rule, with the fix for the bug Ongaro describes on raft-dev (2015).
    if (this.pendingConfIndex > this.log.committed || !this.committedInTerm()) {
      return { ok: false, refusal: { code: 'conf-change-pending' } };
    }
    const reason = checkConfChange(this.conf, cc);
    if (reason) return { ok: false, refusal: { code: 'invalid-conf-change', reason } };
    const index = logIndex(this.log.lastIndex() + 1);
    this.appendEntries([{ type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
    this.pendingConfIndex = index;
    return { ok: true, term: this.term, firstIndex: index };
  }

  readIndex(ctx: string): RequestResult {
    if (this.role !== 'leader') return { ok: false, refusal: { code: 'not-leader', leader: this.leader } };
    if (this.pendingReads.length + this.readsAwaitingCommit.length >= this.config.pendingReadsMax) {
      return { ok: false, refusal: { code: 'too-many-reads' } };
    }
    if (!this.committedInTerm() && !this.bug('stale-read')) this.readsAwaitingCommit.push(ctx);
    else this.registerReads([ctx]);
    return { ok: true };
  }

  transferLeadership(to: NodeId): RequestResult {
    if (this.role !== 'leader') return { ok: false, refusal: { code: 'not-leader', leader: this.leader } };
    if (to === this.id) return { ok: true };
    const pr = this.progress.get(to);
    if (!pr || pr.learner) return { ok: false, refusal: { code: 'invalid-transfer', reason: `node ${to} is not a voter` } };
    if (this.leadTransferee === to) return { ok: true };
    this.leadTransferee = to;
    // The transfer must finish within one election timeout, counted from now.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', from: this.id, to, term: this.term });
    else this.sendAppend(to, true);
    return { ok: true };
  }

  /** The application's snapshot at `index` (<= applied): compacts the log behind it. */
  compact(index: LogIndex, data: Uint8Array): Snapshot {
    assert(index > this.log.snapshot.meta.index && index <= this.log.applied, `compact at ${index}: must be in (${this.log.snapshot.meta.index}, ${this.log.applied}]`);
    const t = this.log.term(index);
    assert(t !== undefined, `compact at ${index}: no such entry`);
    const snapshot: Snapshot = { meta: { index, term: t, conf: this.confAt(index) }, data };
    this.log.compact(snapshot);
    return snapshot;
  }

  // -------------------------------------------------------------------------------------------
  // State for Ready

  hardState(): HardState {
    const hs = { term: this.term, vote: this.vote, commit: this.log.committed };
    return this.bug('no-vote-persist') ? { ...hs, vote: NO_NODE } : hs;
  }

  softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  status(): Status {
    const peers = [...this.progress.values()]
      .filter((pr) => pr.id !== this.id)
      .map((pr) => ({ id: pr.id, learner: pr.learner, match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive, inflight: pr.inflights.count }));
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      vote: this.vote,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapshot.meta.index,
      conf: this.conf,
      peers,
      leadTransferee: this.leadTransferee,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Role transitions

  private becomeFollower(t: Term, leader: NodeId): void {
    this.reset(t);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'invalid transition leader -> pre-candidate');
    // Pre-vote changes neither term nor vote: a node that cannot win leaves no trace on the others.
    this.votes = new Map();
    this.role = 'pre-candidate';
    this.leader = NO_NODE;
    this.electionElapsed = 0;
    this.resetRandomizedElectionTimeout();
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'invalid transition leader -> candidate');
    this.reset(asTerm(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', `invalid transition ${this.role} -> leader`);
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const next = logIndex(this.log.lastIndex() + 1);
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      this.progress.set(id, new Progress(id, this.conf.learners.includes(id), next, this.config.inflightMsgsMax, this.config.inflightBytesMax));
    }
    // Our own entries count towards commitment once durable (see `persisted`).
    this.self()?.maybeUpdate(this.log.stable);
    // Conservatively, no membership change until everything up to here (maybe an older change) commits.
    this.pendingConfIndex = this.log.lastIndex();
    // The empty entry of the new term: committing it commits everything before it (Raft 5.4.2).
    this.appendEntries([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
  }

  private reset(t: Term): void {
    if (t !== this.term) {
      this.term = t;
      this.vote = NO_NODE;
    }
    this.leader = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.votes = new Map();
    this.progress = new Map();
    this.leadTransferee = NO_NODE;
    this.pendingConfIndex = logIndex(0);
    this.uncommittedBytes = 0;
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
    this.readAcks = new Map();
    this.readRoundPending = false;
  }

  // -------------------------------------------------------------------------------------------
  // Timers

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.campaign();
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NO_NODE);
        return;
      }
      this.leadTransferee = NO_NODE;
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
    for (const pr of this.progress.values()) {
      if (pr.state === 'snapshot' && ++pr.snapshotIdleTicks >= this.config.electionTicks) this.sendSnapshotChunk(pr);
    }
  }

  /** CheckQuorum: did a majority of voters answer since the last check? Resets the marks. */
  private quorumActive(): boolean {
    let active = 0;
    for (const pr of this.progress.values()) {
      if (pr.id === this.id) continue;
      if (pr.recentActive && !pr.learner) active++;
      pr.recentActive = false;
    }
    return active + 1 >= this.quorum();
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTicks = this.config.electionTicks + this.random.int(this.config.electionTicks);
  }

  // -------------------------------------------------------------------------------------------
  // Elections

  private startPreVote(): void {
    this.becomePreCandidate();
    this.requestVotes('prevote', asTerm(this.term + 1), false);
  }

  private startElection(transfer: boolean): void {
    this.becomeCandidate();
    this.requestVotes('vote', this.term, transfer);
  }

  private requestVotes(type: 'prevote' | 'vote', t: Term, transfer: boolean): void {
    this.votes.set(this.id, true);
    if (this.tally() === 'won') return this.wonVote(type);
    for (const to of this.conf.voters) {
      if (to === this.id) continue;
      this.send({ type, from: this.id, to, term: t, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), transfer });
    }
  }

  private wonVote(type: 'prevote' | 'vote'): void {
    if (type === 'prevote') this.startElection(false);
    else this.becomeLeader();
  }

  private tally(): 'won' | 'lost' | 'pending' {
    let granted = 0;
    let rejected = 0;
    for (const id of this.conf.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    if (granted >= q) return 'won';
    return rejected > this.conf.voters.length - q ? 'lost' : 'pending';
  }

  private handleVoteRequest(m: VoteRequest): void {
    // We may vote for the same node again (a retransmitted request), for anyone if we have neither
    // voted nor heard from a leader in this term, and pre-vote for any future term.
    const canVote = this.vote === m.from || (this.vote === NO_NODE && this.leader === NO_NODE) || (m.type === 'prevote' && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm);
    const type = m.type === 'vote' ? 'vote-resp' : 'prevote-resp';
    // A granted pre-vote answers in the future term it asked about, so the pre-candidate counts it.
    this.send({ type, from: this.id, to: m.from, term: grant ? m.term : this.term, reject: !grant });
    if (grant && m.type === 'vote') {
      this.electionElapsed = 0;
      this.vote = m.from;
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected = this.role === 'pre-candidate' ? 'prevote-resp' : this.role === 'candidate' ? 'vote-resp' : undefined;
    if (m.type !== expected) return;
    this.votes.set(m.from, !m.reject);
    const outcome = this.tally();
    if (outcome === 'won') this.wonVote(m.type === 'prevote-resp' ? 'prevote' : 'vote');
    else if (outcome === 'lost') this.becomeFollower(this.term, NO_NODE);
  }

  // -------------------------------------------------------------------------------------------
  // Message dispatch

  /** A message from a higher term. Returns false if it is to be ignored entirely. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === 'vote' || m.type === 'prevote') {
      // CheckQuorum's lease: while we hear from a leader, a disruptive candidate (say, one coming
      // back from a partition) is ignored, unless the leader itself asked for it (transfer).
      const inLease = this.config.checkQuorum && this.leader !== NO_NODE && this.electionElapsed < this.config.electionTicks;
      if (inLease && !m.transfer) return false;
      if (m.type === 'prevote') return true;
    }
    // A granted pre-vote arrives with the future term; it is no reason to change ours.
    if (m.type === 'prevote-resp' && !m.reject) return true;
    const leaderMessage = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
    this.becomeFollower(m.term, leaderMessage ? m.from : NO_NODE);
    return true;
  }

  private answerStaleTerm(m: Message): void {
    if ((this.config.checkQuorum || this.config.preVote) && (m.type === 'append' || m.type === 'heartbeat')) {
      // A leader from an older term (e.g. one that was partitioned away) learns our term from this
      // answer and steps down; otherwise, with pre-vote, it could go on forever.
      this.send({ type: 'append-resp', from: this.id, to: m.from, term: this.term, reject: true, index: logIndex(0), hintIndex: logIndex(0), hintTerm: asTerm(0) });
    } else if (m.type === 'prevote') {
      this.send({ type: 'prevote-resp', from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private dispatch(m: Message): void {
    switch (m.type) {
      case 'prevote':
      case 'vote':
        return this.handleVoteRequest(m);
      case 'prevote-resp':
      case 'vote-resp':
        return this.handleVoteResponse(m);
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        return this.fromLeader(m);
      case 'timeout-now':
        // Leader transfer: campaign at once, without pre-vote, in a way that bypasses leases.
        if (this.promotable() && this.role !== 'leader') this.startElection(true);
        return;
      case 'append-resp':
        return this.leaderOnly(m.from, (pr) => this.handleAppendResponse(pr, m));
      case 'heartbeat-resp':
        return this.leaderOnly(m.from, (pr) => this.handleHeartbeatResponse(pr, m.readRound));
      case 'snapshot-resp':
        return this.leaderOnly(m.from, (pr) => this.handleSnapshotResponse(pr, m));
    }
  }

  private fromLeader(m: AppendRequest | Heartbeat | SnapshotChunk): void {
    if (this.role === 'leader') {
      assert(false, `two leaders in term ${this.term}: ${this.id} and ${m.from}`);
    }
    if (this.role !== 'follower') this.becomeFollower(this.term, m.from);
    this.leader = m.from;
    this.electionElapsed = 0;
    if (m.type === 'append') this.handleAppend(m);
    else if (m.type === 'heartbeat') this.handleHeartbeat(m);
    else this.handleSnapshotChunk(m);
  }

  private leaderOnly(from: NodeId, handle: (pr: Progress) => void): void {
    const pr = this.role === 'leader' ? this.progress.get(from) : undefined;
    if (!pr) return;
    pr.recentActive = true;
    handle(pr);
  }

  // -------------------------------------------------------------------------------------------
  // Replication, follower side

  private handleAppend(m: AppendRequest): void {
    const reply = (fields: Pick<AppendResponse, 'reject' | 'index' | 'hintIndex' | 'hintTerm'>) =>
      this.send({ type: 'append-resp', from: this.id, to: m.from, term: this.term, ...fields });
    const none = { hintIndex: logIndex(0), hintTerm: asTerm(0) };
    if (m.prevIndex < this.log.committed) {
      // Everything up to our commit index is known to match; skip what the leader re-sent.
      const fresh = m.entries.filter((e) => e.index > this.log.committed);
      if (fresh.length === 0 || fresh[0]?.index !== this.log.committed + 1) return reply({ reject: false, index: this.log.committed, ...none });
      return this.acceptAppend(m, this.log.committed, fresh, reply);
    }
    if (this.log.matchTerm(m.prevIndex, m.prevTerm) || (this.bug('no-log-check') && m.prevIndex <= this.log.lastIndex())) {
      return this.acceptAppend(m, m.prevIndex, m.entries, reply);
    }
    const hint = this.log.findConflictByTerm(logIndex(Math.min(m.prevIndex, this.log.lastIndex())), m.prevTerm);
    reply({ reject: true, index: m.prevIndex, hintIndex: hint.index, hintTerm: hint.term });
  }

  private acceptAppend(m: AppendRequest, prevIndex: LogIndex, entries: readonly Entry[], reply: (f: Pick<AppendResponse, 'reject' | 'index' | 'hintIndex' | 'hintTerm'>) => void): void {
    const lastNew = this.log.appendAfter(prevIndex, entries);
    this.commitTo(logIndex(Math.min(m.commit, lastNew)));
    reply({ reject: false, index: lastNew, hintIndex: logIndex(0), hintTerm: asTerm(0) });
  }

  private handleHeartbeat(m: Heartbeat): void {
    // The leader sends min(commit, our match), so this never commits past what we hold.
    this.commitTo(logIndex(Math.min(m.commit, this.log.lastIndex())));
    this.send({ type: 'heartbeat-resp', from: this.id, to: m.from, term: this.term, readRound: m.readRound });
  }

  private handleSnapshotChunk(m: SnapshotChunk): void {
    const reply = (nextOffset: number, done: boolean, index = m.meta.index) =>
      this.send({ type: 'snapshot-resp', from: this.id, to: m.from, term: this.term, index, nextOffset, done });
    if (m.meta.index <= this.log.committed) {
      // We already have everything it covers.
      this.incoming = undefined;
      return reply(m.totalBytes, true);
    }
    if (m.offset === 0) {
      if (m.totalBytes > SNAPSHOT_BYTES_MAX) return;
      this.incoming = { from: m.from, meta: m.meta, buffer: new Uint8Array(m.totalBytes), received: 0 };
    }
    const inc = this.incoming;
    if (!inc || inc.meta.index !== m.meta.index || inc.meta.term !== m.meta.term || inc.from !== m.from || m.offset !== inc.received) {
      const expected = inc && inc.meta.index === m.meta.index && inc.from === m.from ? inc.received : 0;
      return reply(expected, false);
    }
    if (m.offset + m.data.byteLength > inc.buffer.byteLength) return;
    inc.buffer.set(m.data, m.offset);
    inc.received += m.data.byteLength;
    if (!m.done) return reply(inc.received, false);
    if (inc.received !== inc.buffer.byteLength) return;
    this.incoming = undefined;
    this.installSnapshot({ meta: inc.meta, data: inc.buffer });
    reply(inc.received, true);
  }

  private installSnapshot(snapshot: Snapshot): void {
    const { index, term: t } = snapshot.meta;
    if (this.log.matchTerm(index, t)) {
      // Our log already holds the snapshot's last entry: the snapshot only tells us it is committed.
      this.commitTo(index);
      return;
    }
    this.log.restore(snapshot);
    this.conf = snapshot.meta.conf;
  }

  // -------------------------------------------------------------------------------------------
  // Replication, leader side

  private appendEntries(entries: { type: EntryType; data: Uint8Array }[]): void {
    let index = this.log.lastIndex();
    const full: Entry[] = entries.map((e) => ({ term: this.term, index: logIndex(++index), type: e.type, data: e.data }));
    this.log.append(full);
    for (const e of full) this.uncommittedBytes += entryBytes(e);
    // Replication starts at once, in parallel with our own disk write; our own entries count
    // towards the quorum only once the driver reports them durable (`persisted`).
    this.broadcastAppend();
  }

  /** The driver made the log durable up to `log.stable`: a leader's own copy now counts. */
  persisted(): void {
    const self = this.role === 'leader' ? this.self() : undefined;
    if (!self || !self.maybeUpdate(this.log.stable)) return;
    if (this.maybeCommit()) this.broadcastAppend();
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id, false);
  }

  /** Sends `to` the entries it lacks, if flow control allows; an empty append only when `sendIfEmpty`. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): void {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return;
    const prevIndex = logIndex(pr.next - 1);
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.slice(pr.next, logIndex(this.log.lastIndex() + 1), this.config.appendBytesMax);
    if (prevTerm === undefined || entries === undefined) return this.startSnapshot(pr);
    if (entries.length === 0 && !sendIfEmpty) return;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed });
    const last = entries.at(-1);
    if (last) pr.sentEntries(last.index, entries.reduce((sum, e) => sum + entryBytes(e), 0));
    else if (pr.state === 'probe') pr.probeSent = true;
  }

  private handleAppendResponse(pr: Progress, m: AppendResponse): void {
    if (m.reject) {
      // Where could our logs agree? Our last index <= the follower's hint with a term <= its term.
      const hint = m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
      if (pr.maybeDecreaseTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(pr.id, true);
      }
      return;
    }
    // A probe answered at exactly our match also tells us where the logs agree.
    const probeMatched = pr.state === 'probe' && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !probeMatched) {
      if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      return;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.snapshotIndex) pr.becomeProbe();
    else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);

    if (this.maybeCommit()) this.broadcastAppend();
    // Committing may have applied a membership change that removed this follower, or us.
    if (this.role !== 'leader' || this.progress.get(pr.id) !== pr) return;
    if (pr.state === 'probe') this.sendAppend(pr.id, false);
    // Keep streaming while there is more and room to send it.
    while (pr.state === 'replicate' && pr.next <= this.log.lastIndex() && !pr.isPaused()) this.sendAppend(pr.id, false);
    if (pr.id === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeout-now', from: this.id, to: pr.id, term: this.term });
    }
  }

  private handleHeartbeatResponse(pr: Progress, readRound: number): void {
    // The follower is alive but behind. Appends to it may have been lost (it restarted, or the
    // network dropped them), and in replicate state nothing else would ever resend them: let one
    // append through even if the window is full, even if it is empty. If the follower lacks what
    // came before, it rejects it, and the rejection moves it back to probing where its log ends.
    if (pr.state === 'probe') pr.probeSent = false;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.match < this.log.lastIndex()) this.sendAppend(pr.id, true);
    if (readRound > 0 && !pr.learner) {
      this.readAcks.set(pr.id, Math.max(this.readAcks.get(pr.id) ?? 0, readRound));
      this.releaseConfirmedReads();
    }
  }

  private broadcastHeartbeat(): void {
    for (const pr of this.progress.values()) {
      if (pr.id === this.id) continue;
      const commit = logIndex(Math.min(pr.match, this.log.committed));
      this.send({ type: 'heartbeat', from: this.id, to: pr.id, term: this.term, commit, readRound: this.readRound });
    }
  }

  /** Advances the commit index to what a quorum of voters holds, if that entry is of our term. */
  private maybeCommit(): boolean {
    const matches = this.conf.voters.map((id) => this.progress.get(id)?.match ?? 0).sort((a, b) => b - a);
    const quorumIndex = logIndex(matches[this.quorum() - 1] ?? 0);
    // Raft 5.4.2 (figure 8): only an entry of the current term is committed by counting replicas.
    if (quorumIndex <= this.log.committed) return false;
    if (this.log.term(quorumIndex) !== this.term && !this.bug('commit-old-term')) return false;
    this.commitTo(quorumIndex);
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots, leader side

  private startSnapshot(pr: Progress): void {
    pr.becomeSnapshot(this.log.snapshot.meta.index);
    this.sendSnapshotChunk(pr);
  }

  private sendSnapshotChunk(pr: Progress): void {
    const snapshot = this.log.snapshot;
    // A newer snapshot replaced the one being sent: start it over.
    if (pr.snapshotIndex !== snapshot.meta.index) pr.becomeSnapshot(snapshot.meta.index);
    const total = snapshot.data.byteLength;
    const end = Math.min(pr.snapshotOffset + this.config.snapshotChunkBytes, total);
    const data = snapshot.data.subarray(pr.snapshotOffset, end);
    pr.snapshotIdleTicks = 0;
    this.send({ type: 'snapshot', from: this.id, to: pr.id, term: this.term, meta: snapshot.meta, totalBytes: total, offset: pr.snapshotOffset, data, done: end === total });
  }

  private handleSnapshotResponse(pr: Progress, m: SnapshotResponse): void {
    if (pr.state !== 'snapshot' || m.index !== pr.snapshotIndex) return;
    if (m.done) {
      pr.maybeUpdate(m.index);
      pr.becomeProbe();
      this.sendAppend(pr.id, true);
      return;
    }
    pr.snapshotOffset = Math.min(m.nextOffset, this.log.snapshot.data.byteLength);
    this.sendSnapshotChunk(pr);
  }

  // -------------------------------------------------------------------------------------------
  // Commitment and membership

  private commitTo(index: LogIndex): void {
    const before = this.log.committed;
    if (!this.log.commitTo(index)) return;
    this.applyCommittedConfChanges(before, index);
    if (this.role !== 'leader') return;
    for (const e of this.log.between(before, index)) this.uncommittedBytes -= entryBytes(e);
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes);
    if (this.log.term(index) === this.term && this.readsAwaitingCommit.length > 0) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      this.registerReads(waiting);
    }
  }

  private applyCommittedConfChanges(from: LogIndex, to: LogIndex): void {
    for (const e of this.log.between(from, to)) {
      if (e.type === EntryType.ConfChange) this.applyConf(decodeConfChange(e.data));
    }
  }

  private applyConf(cc: ConfChange): void {
    if (checkConfChange(this.conf, cc)) return; // was valid when proposed; a duplicate is a no-op
    this.conf = applyConfChange(this.conf, cc);
    if (this.role !== 'leader') return;
    if (cc.kind === 'remove' && cc.node === this.id) {
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    if (cc.kind === 'remove') this.progress.delete(cc.node);
    else {
      const pr = this.progress.get(cc.node);
      if (pr) pr.learner = cc.kind === 'add-learner';
      else {
        this.progress.set(cc.node, new Progress(cc.node, cc.kind === 'add-learner', logIndex(this.log.lastIndex() + 1), this.config.inflightMsgsMax, this.config.inflightBytesMax));
        this.sendAppend(cc.node, true);
      }
    }
    if (cc.node === this.leadTransferee && cc.kind === 'remove') this.leadTransferee = NO_NODE;
    // The quorum changed: something may now be committed, or a removed voter held it back.
    if (this.maybeCommit()) this.broadcastAppend();
  }

  /** Membership as of `index` (<= commit): the snapshot's, plus every change up to it. */
  private confAt(index: LogIndex): ConfState {
    let conf = this.log.snapshot.meta.conf;
    for (const e of this.log.between(this.log.snapshot.meta.index, index)) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      if (!checkConfChange(conf, cc)) conf = applyConfChange(conf, cc);
    }
    return conf;
  }

  // -------------------------------------------------------------------------------------------
  // ReadIndex

  /**
   * Registers reads at the current commit index, for the next heartbeat round. They are confirmed
   * once a quorum of voters answers that round, proving no newer leader had been elected when they
   * were registered. However many reads arrive between two Readies, they share one round.
   */
  private registerReads(ctxs: readonly string[]): void {
    const index = this.log.committed;
    if (this.conf.voters.length === 1 || this.bug('stale-read')) {
      for (const ctx of ctxs) this.readStates.push({ index, ctx });
      return;
    }
    for (const ctx of ctxs) this.pendingReads.push({ ctx, index, round: this.readRound + 1 });
    this.readRoundPending = true;
  }

  /** Starts the heartbeat round that confirms the reads registered since the last one. */
  startReadRound(): void {
    if (!this.readRoundPending || this.role !== 'leader') return;
    this.readRoundPending = false;
    this.readRound++;
    this.broadcastHeartbeat();
  }

  /** Reads whose heartbeat round a quorum of voters answered are confirmed. */
  private releaseConfirmedReads(): void {
    const rounds = this.conf.voters.map((id) => (id === this.id ? this.readRound : (this.readAcks.get(id) ?? 0))).sort((a, b) => b - a);
    const confirmed = rounds[this.quorum() - 1] ?? 0;
    let n = 0;
    while (n < this.pendingReads.length && (this.pendingReads[n]?.round ?? Infinity) <= confirmed) n++;
    if (n === 0) return;
    for (const r of this.pendingReads.splice(0, n)) this.readStates.push({ index: r.index, ctx: r.ctx });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private refuseWrite(): ProposeResult | undefined {
    if (this.role !== 'leader') return { ok: false, refusal: { code: 'not-leader', leader: this.leader } };
    if (this.leadTransferee !== NO_NODE) return { ok: false, refusal: { code: 'transferring', leader: this.leadTransferee } };
    return undefined;
  }

  private committedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private promotable(): boolean {
    return this.conf.voters.includes(this.id) && this.log.pendingSnapshot === undefined;
  }

  private quorum(): number {
    return Math.floor(this.conf.voters.length / 2) + 1;
  }

  private self(): Progress | undefined {
    return this.progress.get(this.id);
  }

  private send(m: Message): void {
    this.messages.push(m);
  }

  private bug(name: PlantedBug): boolean {
    return this.config.plantedBugs?.has(name) ?? false;
  }
}
