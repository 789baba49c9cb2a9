// A broken invariant of the metadata simulation. The raft-level invariants (one leader per term,
// log matching, ...) come from the raft simulator's Checker as its own SimViolation; these are the
// metadata layer's, checked on every node's images and on the whole history.
import type { InvariantName } from '../../raft/sim/violation.js';
import { Violation } from '../../support/sim-violation.js';

export type MetaInvariant =
  /** (1) Two brokers seen leading one partition in one leader epoch, on any nodes, ever. */
  | 'one-leader-per-epoch'
  /** (2) findImageViolations: leader outside the ISR, ISR outside the replicas, ... */
  | 'image-unsound'
  /** (3) A partition's leader or partition epoch went down in one node's sequence of images. */
  | 'epoch-regressed'
  /** (4) Two nodes hold different images at the same offset. */
  | 'image-divergence'
  /** (5) A fenced (or unregistered) broker leads a partition. */
  | 'fenced-leader'
  /** A leader change picked a broker that was not in the ISR before (no topic allows unclean election here). */
  | 'unclean-election'
  /** An AlterPartition was answered OK though its sender does not lead the partition in that leader epoch. */
  | 'stale-alter-accepted'
  /** A broker was told shouldShutDown while it was unfenced or still led a partition. */
  | 'shutdown-while-leading'
  /** The controller proposed records that replay refused: a command computed against the wrong image. */
  | 'records-refused'
  /** (6) After healing: live brokers unfenced, dead ones fenced in time, partitions led. */
  | 'liveness'
  | 'fencing-late'
  /** Something threw that is not an invariant check. */
  | 'exception';

/** A metadata invariant, or one of the raft simulator's checked on the controllers' raft cores. */
export type ViolationName = MetaInvariant | `raft:${InvariantName}`;

export class MetaViolation extends Violation<ViolationName> {
  override readonly name = 'MetaViolation';
}

export function metaFail(invariant: MetaInvariant, detail: string): never {
  throw new MetaViolation(invariant, detail);
}
