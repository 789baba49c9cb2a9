// A broken invariant of the raft simulation (its Checker's, mostly). The metadata simulator checks
// these too, on its controllers' raft cores, and tells them from its own by their class.
import { Violation } from '../../support/sim-violation.js';

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

export class SimViolation extends Violation<InvariantName> {
  override readonly name = 'SimViolation';
}

export function check(condition: boolean, invariant: InvariantName, detail: () => string): asserts condition {
  if (!condition) throw new SimViolation(invariant, detail());
}
