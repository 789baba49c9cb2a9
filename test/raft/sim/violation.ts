// A broken invariant. `invariant` is a stable name (tests match on it); `detail` says exactly which
// nodes, indexes and terms disagree.

export type InvariantName =
  | 'one-leader-per-term'
  | 'log-matching'
  | 'committed-entry-changed'
  | 'commit-regressed'
  | 'durable-state-regressed'
  | 'apply-order'
  | 'state-machine-divergence'
  | 'linearizable-read'
  | 'persist-contract'
  | 'liveness'
  | 'core-exception'
  /** The run never finished: an event never returned (an endless loop), found by the CLI's watchdog. */
  | 'hang';

export class SimViolation extends Error {
  override readonly name = 'SimViolation';
  constructor(readonly invariant: InvariantName, readonly detail: string) {
    super(`${invariant}: ${detail}`);
  }
}

export function check(condition: boolean, invariant: InvariantName, detail: () => string): asserts condition {
  if (!condition) throw new SimViolation(invariant, detail());
}
