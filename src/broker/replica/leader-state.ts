// What a partition leader knows about its followers, and the rules it derives from that: the
// high-water mark and which ISR change to ask the controller for. Pure: no I/O, time comes in as
// `nowMs`, so the replication simulator and the broker share this code.
//
// Rules (Kafka's Partition, summarised in DESIGN.md section 4):
// - HW = the smallest log end offset among the ISR members, the leader included, and it only moves
//   while the ISR has at least min.insync.replicas members. It never goes back.
// - The ISR counted for the HW is the "maximal" one: the committed ISR plus members a pending
//   AlterPartition would add or has not yet removed, so an in-flight change never lets the HW pass
//   a replica that may still be in the ISR.
// - A follower's log end offset is unknown (-1) until its first fetch in this leader epoch, so a
//   new leader cannot advance the HW past what its followers actually hold.
// - A follower is caught up at a fetch whose offset reaches the leader's log end offset; it falls
//   out of the ISR once it has not been caught up for replica.lag.time.max.ms. Lag timers start at
//   the election (every follower counts as caught up then), so a new leader does not shrink the ISR
//   before followers' first fetch.
// - A follower outside the ISR is added back once its log end offset reaches the HW and the start
//   of the leader's epoch (Kafka's rule: it then holds everything this leader may have acked).
import assert from 'node:assert/strict';
import type { BrokerId } from '../../metadata/types.js';
import { offset, type Offset } from '../log/types.js';

export const UNKNOWN_OFFSET = -1 as Offset;

interface FollowerState {
  logEndOffset: Offset;
  /** The last time this follower fetched at or beyond the leader's log end offset. */
  lastCaughtUpMs: number;
  /** The leader's log end offset at this follower's previous fetch, and when it was. */
  previousFetchLeaderEnd: Offset;
  previousFetchMs: number;
}

export interface LeaderStateInit {
  readonly self: BrokerId;
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
  /** The partition epoch of that ISR: an assignment older than the one held is ignored. */
  readonly partitionEpoch: number;
  /** The leader's log end offset when it took over: its epoch starts here. */
  readonly epochStartOffset: Offset;
  readonly highWatermark: Offset;
  readonly nowMs: number;
}

/** An ISR change to propose through AlterPartition. */
export type IsrChange = { readonly kind: 'shrink' | 'expand'; readonly isr: readonly BrokerId[] };

export class LeaderState {
  readonly self: BrokerId;
  readonly epochStartOffset: Offset;
  private replicas: readonly BrokerId[];
  /** The committed ISR (from the metadata image). */
  private committedIsr: readonly BrokerId[];
  private partitionEpoch: number;
  /**
   * The ISR an AlterPartition asks for, until its outcome is known: answered, or, when the request
   * failed in a way that may hide an applied attempt, until an image shows a newer partition epoch
   * than the one it was sent with (`resend`: ask again meanwhile, as Kafka does).
   */
  private pending: { readonly isr: readonly BrokerId[]; readonly sentPartitionEpoch: number; resend: boolean } | undefined;
  private readonly followers = new Map<BrokerId, FollowerState>();
  private hw: Offset;

  constructor(init: LeaderStateInit) {
    this.self = init.self;
    this.replicas = init.replicas;
    this.committedIsr = init.isr;
    this.partitionEpoch = init.partitionEpoch;
    this.epochStartOffset = init.epochStartOffset;
    this.hw = init.highWatermark;
    for (const r of init.replicas) if (r !== init.self) this.followers.set(r, newFollower(init.nowMs));
  }

  get highWatermark(): Offset {
    return this.hw;
  }

  get isr(): readonly BrokerId[] {
    return this.committedIsr;
  }

  /** Whether an AlterPartition is in flight (one at a time, as Kafka). */
  get alterPending(): boolean {
    return this.pending !== undefined;
  }

  /** The committed ISR plus anything a pending change would add: what the HW must wait for. */
  maximalIsr(): BrokerId[] {
    const out = new Set(this.committedIsr);
    for (const r of this.pending?.isr ?? []) out.add(r);
    return [...out];
  }

  followerLogEndOffset(id: BrokerId): Offset {
    return this.followers.get(id)?.logEndOffset ?? UNKNOWN_OFFSET;
  }

  /**
   * A new image with the same leader epoch: replicas or the committed ISR may have changed. An
   * image older (by partition epoch) than an AlterPartition answer already taken changes nothing,
   * as in Kafka: the answer is newer than the image that has not caught up with it yet.
   */
  updateAssignment(replicas: readonly BrokerId[], isr: readonly BrokerId[], partitionEpoch: number, nowMs: number): void {
    if (partitionEpoch < this.partitionEpoch) return;
    // A newer partition epoch settles an unresolved change: the image says what the ISR is.
    if (this.pending !== undefined && partitionEpoch > this.pending.sentPartitionEpoch) this.pending = undefined;
    this.partitionEpoch = partitionEpoch;
    this.replicas = replicas;
    this.committedIsr = isr;
    for (const r of replicas) if (r !== this.self && !this.followers.has(r)) this.followers.set(r, newFollower(nowMs));
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id);
  }

  /**
   * A follower fetched at `fetchOffset` (its log end offset) while the leader's log ended at
   * `leaderEnd`. Returns true if the HW moved.
   */
  onFollowerFetch(id: BrokerId, fetchOffset: Offset, leaderEnd: Offset, leaderMinIsr: number, nowMs: number): boolean {
    const f = this.followers.get(id);
    if (f === undefined) return false;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = nowMs;
    // Caught up with where the leader was at the previous fetch: it was caught up as of then.
    else if (fetchOffset >= f.previousFetchLeaderEnd && f.previousFetchLeaderEnd !== UNKNOWN_OFFSET) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.previousFetchMs);
    f.logEndOffset = fetchOffset;
    f.previousFetchLeaderEnd = leaderEnd;
    f.previousFetchMs = nowMs;
    return this.maybeAdvanceHw(leaderEnd, leaderMinIsr);
  }

  /**
   * Recomputes the HW after the leader's own log grew or the ISR changed; returns true if it moved.
   * It moves only forward, and only while the ISR has at least `minIsr` members.
   */
  maybeAdvanceHw(leaderEnd: Offset, minIsr: number): boolean {
    const isr = this.maximalIsr();
    if (isr.length < minIsr) return false;
    let low = leaderEnd;
    for (const id of isr) {
      if (id === this.self) continue;
      const end = this.followerLogEndOffset(id);
      if (end < low) low = end;
    }
    if (low <= this.hw) return false;
    this.hw = offset(low);
    return true;
  }

  /**
   * The ISR change this leader should ask for now, if any: first dropping followers not caught up
   * for `lagTimeMsMax`, else adding back one that has caught up. Undefined while one is pending.
   */
  isrChangeDue(leaderEnd: Offset, lagTimeMsMax: number, nowMs: number): IsrChange | undefined {
    if (this.pending !== undefined) return undefined;
    const lagging = this.committedIsr.filter((id) => id !== this.self && this.isOutOfSync(id, leaderEnd, lagTimeMsMax, nowMs));
    if (lagging.length > 0) return { kind: 'shrink', isr: this.committedIsr.filter((id) => !lagging.includes(id)) };
    const joining = this.replicas.filter((id) => !this.committedIsr.includes(id) && id !== this.self && this.isCaughtUpToJoin(id));
    if (joining.length > 0) return { kind: 'expand', isr: [...this.committedIsr, ...joining] };
    return undefined;
  }

  private isOutOfSync(id: BrokerId, leaderEnd: Offset, lagTimeMsMax: number, nowMs: number): boolean {
    const f = this.followers.get(id);
    if (f === undefined) return true;
    // A follower at the leader's end is in sync however long ago it fetched (an idle partition).
    if (f.logEndOffset !== UNKNOWN_OFFSET && f.logEndOffset >= leaderEnd) return false;
    return nowMs - f.lastCaughtUpMs > lagTimeMsMax;
  }

  private isCaughtUpToJoin(id: BrokerId): boolean {
    const end = this.followerLogEndOffset(id);
    return end !== UNKNOWN_OFFSET && end >= this.hw && end >= this.epochStartOffset;
  }

  /** An AlterPartition for `isr` was sent with `partitionEpoch`. */
  beginAlter(isr: readonly BrokerId[], partitionEpoch: number): void {
    assert.equal(this.pending, undefined, 'one AlterPartition at a time');
    assert.ok(isr.includes(this.self), 'the leader stays in its ISR');
    this.pending = { isr, sentPartitionEpoch: partitionEpoch, resend: false };
  }

  /**
   * The AlterPartition failed without a definite answer (unreachable controller, a retry refused
   * because an earlier attempt may have applied): the pending ISR stays in the maximal ISR, so the
   * HW keeps waiting for a replica the controller may already count, and the change is sent again.
   */
  alterUnresolved(): void {
    if (this.pending !== undefined) this.pending.resend = true;
  }

  /** The unresolved change to send again, if any. */
  get resendDue(): readonly BrokerId[] | undefined {
    return this.pending?.resend === true ? this.pending.isr : undefined;
  }

  /** Sending the unresolved change again. */
  beginResend(): void {
    if (this.pending !== undefined) this.pending.resend = false;
  }

  /**
   * The AlterPartition finished: `committed` is what the controller committed (the image brings the
   * same a little later), undefined if the change was definitely refused (not applied).
   */
  endAlter(committed?: { readonly isr: readonly BrokerId[]; readonly partitionEpoch: number }): void {
    this.pending = undefined;
    if (committed === undefined || committed.partitionEpoch <= this.partitionEpoch) return;
    this.committedIsr = committed.isr;
    this.partitionEpoch = committed.partitionEpoch;
  }

  /** The partition epoch of the ISR held (for AlterPartition requests). */
  get isrPartitionEpoch(): number {
    return this.partitionEpoch;
  }
}

const newFollower = (nowMs: number): FollowerState => ({ logEndOffset: UNKNOWN_OFFSET, lastCaughtUpMs: nowMs, previousFetchLeaderEnd: UNKNOWN_OFFSET, previousFetchMs: nowMs });
