// A broken invariant of the replication simulation. `invariant` is a stable name (tests match on
// it); `detail` names the partition, brokers, offsets and epochs that disagree.
import { Violation } from '../../support/sim-violation.js';

export type ReplInvariant =
  /** (1) A replica holds, below its HW, a batch other than the one committed at that offset. */
  | 'committed-divergence'
  /** (2) A replica's HW went down while it kept its log (one Partition object, one incarnation). */
  | 'hw-regressed'
  /** (3) An acknowledged acks=all batch is missing from a member of the ISR, or two acks claim one offset. */
  | 'ack-lost'
  /** (4) Two brokers led one partition in one leader epoch, a broker led in an epoch the controller never gave it, or a broker's epoch went down. */
  | 'leader-epoch'
  /** (5) A replica's HW is above its log end offset. */
  | 'hw-above-log-end'
  /** After healing, the replicas did not converge on the leader's log with the HW at its end. */
  | 'liveness'
  /** Something threw that is not an invariant check: a bug in the replica layer or in the simulator. */
  | 'exception';

export class ReplViolation extends Violation<ReplInvariant> {
  override readonly name = 'ReplViolation';
}

export function replFail(invariant: ReplInvariant, detail: string): never {
  throw new ReplViolation(invariant, detail);
}
