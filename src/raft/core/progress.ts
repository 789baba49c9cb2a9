// The leader's view of one follower's replication, and flow control for it.
//
// States (etcd's tracker):
//   probe      the leader does not know where the follower's log matches; it sends one append per
//              heartbeat interval and waits for the answer before the next;
//   replicate  the follower is known to match up to `match`; appends stream optimistically,
//              bounded by `inflights` (count and bytes);
//   snapshot   the follower needs the snapshot; chunks go one at a time until it has installed it.
import { assert } from './assert.js';
import { type LogIndex, type NodeId, type ProgressState, logIndex } from './types.js';

/** Appends sent and not yet acknowledged: a ring of (last index, bytes), bounded by count and bytes. */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly countMax: number, private readonly bytesMax: number) {}

  get count(): number {
    return this.lastIndexes.length - this.head;
  }

  full(): boolean {
    return this.count >= this.countMax || this.bytes >= this.bytesMax;
  }

  add(lastIndex: LogIndex, bytes: number): void {
    assert(!this.full(), 'inflights: add when full');
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every append whose last index is <= `index` (they are acknowledged). */
  freeLE(index: LogIndex): void {
    while (this.head < this.lastIndexes.length && (this.lastIndexes[this.head] ?? Infinity) <= index) {
      this.bytes -= this.sizes[this.head] ?? 0;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.lastIndexes.length) {
      this.lastIndexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Frees the oldest append, making room to send one more when acknowledgements may have been lost. */
  freeFirst(): void {
    const first = this.lastIndexes[this.head];
    if (first !== undefined) this.freeLE(first as LogIndex);
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}

export class Progress {
  match: LogIndex = logIndex(0);
  next: LogIndex;
  state: ProgressState = 'probe';
  /** Probe: an append is outstanding; wait for its answer or the next heartbeat response. */
  probeSent = false;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;
  /** Snapshot state: the index of the snapshot being sent, the next chunk offset, and retransmit timing. */
  snapshotIndex: LogIndex = logIndex(0);
  snapshotOffset = 0;
  snapshotIdleTicks = 0;

  constructor(readonly id: NodeId, public learner: boolean, next: LogIndex, inflightMsgsMax: number, inflightBytesMax: number) {
    this.next = next;
    this.inflights = new Inflights(inflightMsgsMax, inflightBytesMax);
  }

  becomeProbe(): void {
    // After a snapshot, the follower has at least the snapshot: probe right after it.
    const after = this.state === 'snapshot' ? Math.max(this.match, this.snapshotIndex) : this.match;
    this.state = 'probe';
    this.probeSent = false;
    this.next = logIndex(after + 1);
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.next = logIndex(this.match + 1);
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.snapshotIndex = snapshotIndex;
    this.snapshotOffset = 0;
    this.snapshotIdleTicks = 0;
    this.inflights.reset();
  }

  /** May the leader send this follower another append now? */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Records an acknowledgement up to `index`; returns false if it told us nothing new. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    if (index + 1 > this.next) this.next = logIndex(index + 1);
    return updated;
  }

  /**
   * A rejected append at `rejected`; `hint` is where the logs may next agree. Returns false if the
   * rejection is stale (an answer to an append we no longer care about).
   */
  maybeDecreaseTo(rejected: LogIndex, hint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, hint + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }

  /** Optimistically advances `next` after sending entries up to `lastIndex` in replicate state. */
  sentEntries(lastIndex: LogIndex, bytes: number): void {
    if (this.state === 'replicate') {
      this.next = logIndex(lastIndex + 1);
      this.inflights.add(lastIndex, bytes);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }
}
