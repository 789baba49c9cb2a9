// Errors a RaftNode hands its callers. They are operating errors, not bugs: each has a stable `code`
// to branch on and a `retriable` flag, so a caller (the controller, a Kafka request handler) can map
// them to a protocol error without parsing messages.
import { NO_NODE, type NodeId, type Refusal } from './core/types.js';

export type RaftErrorCode =
  /** This node is not the leader; `leader` names the one to redirect to (NO_NODE if unknown). */
  | 'NOT_LEADER'
  /** The leader is handing leadership over and accepts no proposals until it is done. */
  | 'TRANSFERRING'
  /** Another entry was applied at the proposal's index: the proposal is definitely not committed. */
  | 'LEADERSHIP_LOST'
  /** No outcome within the deadline. For a proposal the outcome is UNKNOWN: it may still commit. */
  | 'TIMEOUT'
  /** A bound on queued work (proposals, reads, transfers) was reached; back off and retry. */
  | 'TOO_MANY_PENDING'
  /** The leader holds too many uncommitted bytes (followers are behind); back off and retry. */
  | 'TOO_MANY_UNCOMMITTED'
  /** A membership change is already in flight; only one at a time. */
  | 'CONF_CHANGE_PENDING'
  | 'INVALID_CONF_CHANGE'
  /** Leadership cannot go to that node (say, it is not a voter). */
  | 'INVALID_TRANSFER'
  /** The proposal itself is unacceptable (empty data is reserved for the leader's no-op). */
  | 'INVALID_PROPOSAL'
  /** A snapshot replaced the log around the proposal's index, so its outcome cannot be learnt here. */
  | 'INDETERMINATE'
  /** The node is stopped (asked to, or after a fatal storage failure: see `cause`). */
  | 'STOPPED';

/**
 * Whether retrying may succeed AND cannot make the operation happen twice. A proposal whose outcome
 * is unknown (TIMEOUT, INDETERMINATE, STOPPED while in flight) is not retriable: retrying a
 * non-idempotent command could apply it twice. Callers that know better may override per instance.
 */
const RETRIABLE_DEFAULT: Readonly<Record<RaftErrorCode, boolean>> = {
  NOT_LEADER: true,
  TRANSFERRING: true,
  LEADERSHIP_LOST: true,
  TIMEOUT: false,
  TOO_MANY_PENDING: true,
  TOO_MANY_UNCOMMITTED: true,
  CONF_CHANGE_PENDING: true,
  INVALID_CONF_CHANGE: false,
  INVALID_TRANSFER: false,
  INVALID_PROPOSAL: false,
  INDETERMINATE: false,
  STOPPED: false,
};

export interface RaftErrorOptions {
  readonly leader?: NodeId;
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class RaftError extends Error {
  override readonly name = 'RaftError';
  readonly retriable: boolean;
  /** The leader as this node knew it (NO_NODE when unknown or not relevant). */
  readonly leader: NodeId;

  constructor(readonly code: RaftErrorCode, message: string, options: RaftErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? RETRIABLE_DEFAULT[code];
    this.leader = options.leader ?? NO_NODE;
  }
}

export function isRaftError(error: unknown, code?: RaftErrorCode): error is RaftError {
  return error instanceof RaftError && (code === undefined || error.code === code);
}

export function notLeaderError(leader: NodeId): RaftError {
  const where = leader === NO_NODE ? 'no leader is known' : `the leader is node ${leader}`;
  return new RaftError('NOT_LEADER', `not the leader: ${where}`, { leader });
}

/** The error for a request the core refused (refusals are values in the core, errors for callers). */
export function refusalError(refusal: Refusal): RaftError {
  switch (refusal.code) {
    case 'not-leader':
      return notLeaderError(refusal.leader);
    case 'transferring':
      return new RaftError('TRANSFERRING', 'leadership transfer in progress; retry shortly', { leader: refusal.leader });
    case 'conf-change-pending':
      return new RaftError('CONF_CHANGE_PENDING', 'a membership change is already in flight');
    case 'invalid-conf-change':
      return new RaftError('INVALID_CONF_CHANGE', `invalid membership change: ${refusal.reason}`);
    case 'invalid-transfer':
      return new RaftError('INVALID_TRANSFER', `invalid leadership transfer: ${refusal.reason}`);
    case 'too-many-uncommitted':
      return new RaftError('TOO_MANY_UNCOMMITTED', 'too many uncommitted bytes on the leader; retry later');
    case 'too-many-reads':
      return new RaftError('TOO_MANY_PENDING', 'too many reads waiting for confirmation; retry later');
  }
}
