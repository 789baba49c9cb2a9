// One simulated controller: a raft RawNode, the storage that survives its crashes, and the metadata
// state machine its committed entries replay into. Driven per the Ready contract with a
// synchronous disk (the raft simulator covers asynchronous disks): persist, send, restore or apply,
// advance. Raft-level invariants go through the raft simulator's Checker as it persists and applies.
// (The raft simulator's SimNode applies its own 4-byte values; this is its twin for record batches.)
import { MetadataStateMachine, type ApplyOutcome } from '../../../src/metadata/state-machine.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { MetadataChanges } from '../../../src/metadata/delta.js';
import { RawNode } from '../../../src/raft/core/rawnode.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { EntryType, type Entry, type HardState, type LogIndex, type Message, type RaftConfig, type Ready, type Status } from '../../../src/raft/core/types.js';
import type { MemoryRaftStorage } from '../../../src/raft/storage.js';
import { silentLogger } from '../../../src/util/log.js';
import type { Checker } from '../../raft/sim/invariants.js';
import { SimDisk } from '../../raft/sim/sim-disk.js';
import { drainReadies } from '../../raft/sim/sim-node.js';

export interface NodeHooks {
  readonly checker: Checker;
  send(msg: Message): void;
  /** A new image on `node` (changes undefined: a snapshot replaced the whole image). */
  image(node: ControllerNode, image: MetadataImage, changes: MetadataChanges | undefined): void;
  /** A batch was applied (or refused by replay) at `entry`. */
  applied(node: ControllerNode, entry: Entry, outcome: ApplyOutcome): void;
}

export class ControllerNode {
  raw: RawNode | undefined;
  incarnation = 0;
  machine = new MetadataStateMachine({ log: silentLogger });
  applied = 0;
  /** Snapshots received from a leader and restored, over all incarnations. */
  snapshotsRestored = 0;
  /** The term of the last entry applied: a leader that applied one of its own term has caught up. */
  appliedTerm = 0;
  status: Status | undefined;
  private readonly disk: SimDisk;
  /** An invariant violation thrown inside a state machine listener, to rethrow (see publish). */
  private broken: unknown;

  constructor(
    readonly id: number,
    readonly tickPeriodMs: number,
    readonly config: RaftConfig,
    storage: MemoryRaftStorage,
  ) {
    this.disk = new SimDisk(id, storage);
  }

  get alive(): boolean {
    return this.raw !== undefined;
  }

  get isLeader(): boolean {
    return this.raw !== undefined && this.status?.role === 'leader';
  }

  get image(): MetadataImage {
    return this.machine.image;
  }

  /** (Re)starts from storage: the image comes back from the stored snapshot, the rest by replay. */
  start(randomSeed: number, hooks: NodeHooks): void {
    const persisted = this.disk.load();
    this.incarnation++;
    this.machine = new MetadataStateMachine({ log: silentLogger });
    this.machine.subscribe((image, changes) => this.publish(() => hooks.image(this, image, changes)));
    if (persisted.snapshot.meta.index > 0) this.machine.restore(persisted.snapshot);
    this.rethrow();
    this.applied = persisted.snapshot.meta.index;
    this.appliedTerm = persisted.snapshot.meta.term;
    this.raw = new RawNode(this.config, persisted, new SeededRandom(randomSeed));
    this.status = this.raw.status();
    hooks.checker.restarted(this.status);
  }

  /**
   * The state machine catches what its listeners throw (a listener must not stop the node), so an
   * invariant broken while checking a new image is kept here and thrown once the apply returns.
   */
  private publish(check: () => void): void {
    try {
      check();
    } catch (e) {
      this.broken ??= e;
    }
  }

  private rethrow(): void {
    const e = this.broken;
    this.broken = undefined;
    if (e !== undefined) throw e;
  }

  /** Loses everything not on disk. Returns the hard state that survived. */
  crash(keepUnsynced: boolean): HardState {
    this.raw = undefined;
    this.status = undefined;
    this.incarnation++;
    return this.disk.crash(keepUnsynced);
  }

  /** Processes everything the last input produced, then checks the node's status. */
  pump(hooks: NodeHooks): void {
    const raw = this.raw;
    if (raw === undefined) return;
    drainReadies(raw, this.id, (rd) => this.complete(rd, hooks));
    this.status = raw.status();
    hooks.checker.status(this.status);
  }

  private complete(rd: Ready, hooks: NodeHooks): void {
    if (rd.softState?.role === 'leader') hooks.checker.leaderInTerm(this.id, rd.hardState?.term ?? hooks.checker.writtenTerm(this.id));
    this.disk.persist(rd, hooks.checker);
    for (const m of rd.messages) hooks.send(m);
    if (rd.snapshot !== undefined) this.restore(rd, hooks);
    for (const e of rd.committedEntries) this.apply(e, hooks);
  }

  private restore(rd: Ready, hooks: NodeHooks): void {
    const snap = rd.snapshot;
    if (snap === undefined) return;
    if (snap.meta.index <= this.applied) hooks.checker.fail('apply-order', `node ${this.id} was handed snapshot ${snap.meta.index} to restore but has applied ${this.applied}`);
    this.machine.restore(snap);
    this.snapshotsRestored++;
    this.rethrow();
    this.applied = snap.meta.index;
    this.appliedTerm = snap.meta.term;
  }

  private apply(e: Entry, hooks: NodeHooks): void {
    const checker = hooks.checker;
    if (e.index !== this.applied + 1) checker.fail('apply-order', `node ${this.id} was handed entry ${e.index} to apply after applying ${this.applied}`);
    checker.committed(this.id, e);
    this.applied = e.index;
    this.appliedTerm = e.term;
    // As RaftNode: the leader's empty entry of each term and membership changes are not batches.
    if (e.type !== EntryType.Normal || e.data.byteLength === 0) return;
    const outcome = this.machine.apply(e);
    this.rethrow();
    hooks.applied(this, e, outcome);
  }

  /** Log compaction at the applied index, with the image as the snapshot. */
  compact(checker: Checker): string {
    const raw = this.raw;
    if (raw === undefined || this.applied <= this.disk.log.snapIndex) return `c${this.id}: nothing to compact`;
    const snap = raw.compact(this.applied as LogIndex, this.machine.snapshot(this.applied as LogIndex));
    this.disk.compact(snap, checker);
    return `c${this.id} compacted to ${snap.meta.index}/t${snap.meta.term}`;
  }
}
