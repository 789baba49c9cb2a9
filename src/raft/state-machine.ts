// The replicated application driven by RaftNode: every node applies the same committed entries in
// the same order. The metadata controller is one; tests use a small key-value machine.
import type { Entry, LogIndex, Snapshot } from './core/types.js';

export interface StateMachine<Result = unknown> {
  /** Applies one committed Normal entry (never called for the leader's empty no-op). Its result resolves the proposal. */
  apply(entry: Entry): Result | Promise<Result>;
  /** A serialized image of the state as of `appliedIndex` (every entry up to it applied, nothing after). */
  snapshot(appliedIndex: LogIndex): Uint8Array | Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot's. */
  restore(snapshot: Snapshot): void | Promise<void>;
}
