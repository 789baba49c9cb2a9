// The vocabulary of the Raft core: identifiers, log entries, messages, and the Ready contract
// between the pure state machine (RawNode) and the driver that does its I/O.
//
// Nothing here performs I/O. The core is shaped like etcd's raft: the driver feeds it messages
// (`step`), clock ticks (`tick`) and proposals, then drains a `Ready`, persists it, sends its
// messages, applies its committed entries, and calls `advance`.

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A node's identity in the quorum; 0 means "none". */
export type NodeId = Brand<number, 'NodeId'>;
/** A Raft term (leader epoch of the metadata log). */
export type Term = Brand<number, 'Term'>;
/** A position in the Raft log; the first entry has index 1, 0 means "before the log". */
export type LogIndex = Brand<number, 'LogIndex'>;

export const NO_NODE = 0 as NodeId;

export const nodeId = (n: number): NodeId => n as NodeId;
export const term = (n: number): Term => n as Term;
export const logIndex = (n: number): LogIndex => n as LogIndex;

export enum EntryType {
  /** Application data (an empty one is the no-op a new leader appends). */
  Normal = 0,
  /** A single-server membership change, encoded by `encodeConfChange`. */
  ConfChange = 1,
}

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before a node acts on it: term, vote, commit index. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
}

/** The membership of the quorum. Voters elect and commit; learners only replicate. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  /** Membership as of `index`. */
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/**
 * A single-server membership change. `add-voter` of an existing learner promotes it.
 * Committed through the log; it takes effect on each node when that node learns it is committed.
 */
export interface ConfChange {
  readonly kind: 'add-voter' | 'add-learner' | 'remove';
  readonly node: NodeId;
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

// ---------------------------------------------------------------------------------------------
// Messages. Every message carries the sender's term; `to` is the addressee.

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/**
 * A (pre-)vote request. A pre-vote carries the term the sender *would* campaign in and changes no
 * state on the receiver. `transfer` marks a campaign started by leader transfer (TimeoutNow), which
 * may disturb a leader the receiver still hears from.
 */
export interface VoteRequest extends Envelope {
  readonly type: 'prevote' | 'vote';
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'prevote-resp' | 'vote-resp';
  readonly reject: boolean;
}

/** Append entries after (prevIndex, prevTerm); `commit` is the leader's commit index. */
export interface AppendRequest extends Envelope {
  readonly type: 'append';
  readonly prevIndex: LogIndex;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

/**
 * On success `index` is the last index the follower now matches. On rejection `index` is the
 * prevIndex that failed the consistency check, and (hintIndex, hintTerm) tell the leader where to
 * probe next: the follower's last index at or below prevIndex whose term is <= the leader's term at
 * prevIndex (the "term hint" fast backtracking of the Raft thesis, section 5.3).
 */
export interface AppendResponse extends Envelope {
  readonly type: 'append-resp';
  readonly reject: boolean;
  readonly index: LogIndex;
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

/**
 * Leader liveness and commit propagation. `readRound` > 0 asks the follower to echo it back so the
 * leader can confirm its leadership for ReadIndex requests registered up to that round.
 */
export interface Heartbeat extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  readonly readRound: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeat-resp';
  readonly readRound: number;
}

/**
 * One chunk of an InstallSnapshot transfer; chunks are sent in order, one at a time. `data` may be a
 * view into a received network buffer: the core copies it and keeps no reference to it.
 */
export interface SnapshotChunk extends Envelope {
  readonly type: 'snapshot';
  readonly meta: SnapshotMeta;
  readonly totalBytes: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** `nextOffset` is the next chunk offset the follower expects; done=true once it installed it. */
export interface SnapshotResponse extends Envelope {
  readonly type: 'snapshot-resp';
  readonly index: LogIndex;
  readonly nextOffset: number;
  readonly done: boolean;
}

/** Leader transfer: the recipient campaigns at once, skipping pre-vote. */
export interface TimeoutNow extends Envelope {
  readonly type: 'timeout-now';
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotResponse
  | TimeoutNow;

export type MessageType = Message['type'];

// ---------------------------------------------------------------------------------------------
// The Ready contract.

/** Volatile state worth telling the driver about when it changes. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/** A confirmed ReadIndex request: once `applied >= index`, a read tagged `ctx` is linearizable. */
export interface ReadState {
  readonly index: LogIndex;
  readonly ctx: string;
}

/**
 * Everything the core wants done, produced by `RawNode.ready()`.
 *
 * Ordering contract, which the driver must honour for safety:
 *   1. persist `snapshot` (if any), then `entries` and `hardState`, in ONE write, made durable
 *      (fsync'd) when `mustSync`; `entries` replace any stored entries at or after
 *      `entries[0].index`; a `snapshot` replaces the whole stored log;
 *   2. only then send `messages`, except those for which `mayPrecedePersist` holds, which may be
 *      sent before step 1 (or in parallel with it);
 *   3. restore the state machine from `snapshot` (if any), then apply `committedEntries` in order;
 *   4. call `advance(ready)`.
 * A vote or an append acknowledged before it is durable could be forgotten in a crash, which is
 * exactly how two leaders get elected in one term.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  /**
   * Whether the write of step 1 must be durable before anything that depends on it: true when it
   * holds entries, a snapshot, or a new term or vote. A commit index alone need not be synced: one
   * lost in a crash is learnt again from the leader (etcd's MustSync makes the same choice).
   */
  readonly mustSync: boolean;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

/** What storage hands the core at startup. `entries` follow `snapshot.meta.index` contiguously. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot;
  readonly entries: readonly Entry[];
}

// ---------------------------------------------------------------------------------------------
// Results of requests made of the core. Refusals are values, not exceptions: they are normal.

export type Refusal =
  | { readonly code: 'not-leader'; readonly leader: NodeId }
  | { readonly code: 'transferring'; readonly leader: NodeId }
  | { readonly code: 'conf-change-pending' }
  | { readonly code: 'invalid-conf-change'; readonly reason: string }
  | { readonly code: 'invalid-transfer'; readonly reason: string }
  | { readonly code: 'too-many-uncommitted' }
  | { readonly code: 'too-many-reads' };

export type ProposeResult =
  | { readonly ok: true; readonly term: Term; readonly firstIndex: LogIndex }
  | { readonly ok: false; readonly refusal: Refusal };

export type RequestResult = { readonly ok: true } | { readonly ok: false; readonly refusal: Refusal };

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface PeerStatus {
  readonly id: NodeId;
  readonly learner: boolean;
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: NodeId;
  readonly leader: NodeId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  readonly conf: ConfState;
  /** Leader only: replication progress of every other member. */
  readonly peers: readonly PeerStatus[];
  readonly leadTransferee: NodeId;
}

/** Known bugs the simulator can plant, to prove it catches them. Never set outside tests. */
export type PlantedBug = 'no-vote-persist' | 'commit-old-term' | 'no-log-check' | 'stale-read';

export interface RaftConfig {
  readonly id: NodeId;
  /** A follower campaigns after a random timeout in [electionTicks, 2*electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /** Flow control per follower: appends sent but not acknowledged, by count and by bytes. */
  readonly inflightMsgsMax: number;
  readonly inflightBytesMax: number;
  /** Upper bound on the entry bytes in one append message (at least one entry is always sent). */
  readonly appendBytesMax: number;
  /** The leader refuses proposals while this many entry bytes are appended but not committed. */
  readonly uncommittedBytesMax: number;
  /** ReadIndex requests waiting for confirmation, at most. */
  readonly pendingReadsMax: number;
  readonly snapshotChunkBytes: number;
  readonly plantedBugs?: ReadonlySet<PlantedBug>;
}

export const defaultRaftConfig = (id: NodeId): RaftConfig => ({
  id,
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  inflightMsgsMax: 256,
  inflightBytesMax: 32 * 1024 * 1024,
  appendBytesMax: 1024 * 1024,
  uncommittedBytesMax: 64 * 1024 * 1024,
  pendingReadsMax: 4096,
  snapshotChunkBytes: 1024 * 1024,
});

/**
 * The largest snapshot, in bytes: a follower refuses a transfer declaring more (so a bad totalBytes
 * cannot make it allocate without bound), and storage refuses to store or load more.
 */
export const SNAPSHOT_BYTES_MAX = 1024 * 1024 * 1024;

/** A seeded source of randomness: the core never draws random numbers of its own. */
export interface Random {
  /** A uniformly distributed integer in [0, bound). */
  int(bound: number): number;
}

/**
 * Messages only a leader sends to its followers (appends, heartbeats, snapshot chunks, TimeoutNow)
 * promise nothing about the leader's own disk, so the driver may send them before persisting the
 * Ready they came in: the leader writes its log in parallel with replicating it (Raft thesis
 * 10.2.1). Its own entries count towards commitment only once `advance()` reports them durable.
 * Votes and acknowledgements, by contrast, must never leave before what they promise is on disk.
 */
export function mayPrecedePersist(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeout-now';
}
