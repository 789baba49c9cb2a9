// PLACEHOLDER: the public surface of the Raft core; the implementation is being written.
import type { ConfChange, LogIndex, Message, NodeId, PersistedState, ProposeResult, RaftConfig, Random, Ready, RequestResult, Snapshot, Status } from './types.js';

export class RawNode {
  constructor(readonly config: RaftConfig, _persisted: PersistedState, _random: Random) {}
  get id(): NodeId { return this.config.id; }
  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void { throw new Error('unimplemented'); }
  /** Feeds a message received from a peer. Messages from stale terms or unknown shapes are ignored. */
  step(_message: Message): void { throw new Error('unimplemented'); }
  /** Starts an election now (pre-vote first when enabled). Ignored on a leader or a learner. */
  campaign(): void { throw new Error('unimplemented'); }
  /** Appends data entries as one batch (leader only). */
  propose(_data: readonly Uint8Array[]): ProposeResult { throw new Error('unimplemented'); }
  /** Appends a membership change (leader only; one in flight at a time). */
  proposeConfChange(_cc: ConfChange): ProposeResult { throw new Error('unimplemented'); }
  /** Requests a linearizable read point; confirmed later as a ReadState with the same ctx (leader only). */
  readIndex(_ctx: string): RequestResult { throw new Error('unimplemented'); }
  /** Hands leadership to `to` (leader only). */
  transferLeadership(_to: NodeId): RequestResult { throw new Error('unimplemented'); }
  /** The application's snapshot at `index` (<= applied): compacts the log behind it and returns the Snapshot to store. */
  compact(_index: LogIndex, _data: Uint8Array): Snapshot { throw new Error('unimplemented'); }
  hasReady(): boolean { throw new Error('unimplemented'); }
  ready(): Ready { throw new Error('unimplemented'); }
  advance(_ready: Ready): void { throw new Error('unimplemented'); }
  status(): Status { throw new Error('unimplemented'); }
}
