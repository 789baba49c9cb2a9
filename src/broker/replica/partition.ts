// One partition replica on this broker: its log, its role in the current leader epoch, and its
// high-water mark. The replica manager moves it between roles as metadata images arrive.
//
// Roles and transitions (Kafka's Partition.makeLeader / makeFollower):
//
//   none ──makeLeader(epoch)──▶ leader ──makeFollower(epoch' > epoch)──▶ follower
//   none ──makeFollower(epoch)─▶ follower ──makeLeader(epoch' > epoch)──▶ leader
//   leader ──fence()──▶ leader, fenced (a follower showed a newer epoch: no more acks until the
//                        image catches up with the change)
//
// Leader epochs only grow: a registration with an older epoch than the one held is ignored (the
// image is stale, not the partition). Role changes, appends (leader and follower), truncations and
// retention run one at a time on the partition's queue: a role change sees the log as the previous
// role left it, and the idempotent-producer state moves in step with the log (a leader's check,
// append and commit have nothing in between, as under Kafka's log lock).
import type { KafkaErrorName } from '../../metadata/errors.js';
import type { BrokerId, LeaderEpoch, PartitionIndex, TopicId } from '../../metadata/types.js';
import type { EpochEndOffset } from '../log/leader-epoch-cache.js';
import { LogError } from '../log/errors.js';
import type { BatchHeader } from '../log/record-batch.js';
import type { AppendResult, PartitionLog, ReadResult } from '../log/partition-log.js';
import { SerialQueue } from '../log/serial-queue.js';
import { offset, type Offset } from '../log/types.js';
import type { BatchMetadata, ProducerError } from '../producer/append-rules.js';
import type { ProducerStateManager } from '../producer/producer-state-manager.js';
import { batchHeadersOf } from '../producer/replay.js';
import { LeaderState } from './leader-state.js';

export type Role =
  | { readonly kind: 'none' }
  | { readonly kind: 'leader'; readonly epoch: LeaderEpoch; readonly state: LeaderState; fenced: boolean }
  | { readonly kind: 'follower'; readonly epoch: LeaderEpoch; readonly leader: BrokerId };

export interface PartitionKey {
  readonly topicId: TopicId;
  readonly topic: string;
  readonly partition: PartitionIndex;
}

/** What the partition tells its watchers: the log grew, the HW moved, or the role changed. */
export type PartitionEvent = 'append' | 'hw' | 'role';

/** A follower's fetch as the leader sees it (replica.proto FetchPartition). */
export interface FollowerFetch {
  readonly replicaId: BrokerId;
  readonly currentLeaderEpoch: LeaderEpoch;
  readonly fetchOffset: Offset;
  readonly lastFetchedEpoch: LeaderEpoch | -1;
}

export type FollowerFetchCheck =
  | { readonly kind: 'error'; readonly error: KafkaErrorName }
  | { readonly kind: 'diverging'; readonly diverging: EpochEndOffset }
  | { readonly kind: 'out-of-range' }
  | { readonly kind: 'read' };

/** A leader append: appended (with the epoch it was stamped with), a duplicate of earlier batches, or refused by the producer state. */
export type LeaderAppend =
  | (AppendResult & { readonly kind: 'appended'; readonly epoch: LeaderEpoch })
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'refused'; readonly error: ProducerError };

export class Partition {
  private currentRole: Role = { kind: 'none' };
  private hw: Offset;
  private readonly queue = new SerialQueue();
  private readonly watchers = new Set<(event: PartitionEvent) => void>();

  constructor(
    readonly key: PartitionKey,
    readonly log: PartitionLog,
    readonly self: BrokerId,
    highWatermark: Offset,
    private readonly clockMs: () => number,
    readonly producers: ProducerStateManager,
  ) {
    this.hw = offset(Math.min(Math.max(highWatermark, log.logStartOffset), log.logEndOffset));
  }

  get role(): Role {
    return this.currentRole;
  }

  get highWatermark(): Offset {
    return this.hw;
  }

  get leaderEpoch(): LeaderEpoch | -1 {
    return this.currentRole.kind === 'none' ? -1 : this.currentRole.epoch;
  }

  /** Leading, in the current epoch, and not fenced by a follower that knows a newer one. */
  get isActiveLeader(): boolean {
    return this.currentRole.kind === 'leader' && !this.currentRole.fenced;
  }

  watch(fn: (event: PartitionEvent) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  private emit(event: PartitionEvent): void {
    // No copy per event: a watcher that unwatches itself here is simply not visited again, and
    // watchers only add others from promise continuations, after this loop.
    for (const fn of this.watchers) fn(event);
  }

  /** Becomes (or stays) leader at `epoch`; returns false if the epoch is older than the one held. */
  makeLeader(epoch: LeaderEpoch, replicas: readonly BrokerId[], isr: readonly BrokerId[], partitionEpoch: number): Promise<boolean> {
    return this.queue.run(async () => {
      const r = this.currentRole;
      if (r.kind !== 'none' && epoch < r.epoch) return false;
      if (r.kind === 'leader' && epoch === r.epoch) {
        r.state.updateAssignment(replicas, isr, partitionEpoch, this.clockMs());
        return true;
      }
      const state = new LeaderState({ self: this.self, replicas, isr, partitionEpoch, epochStartOffset: this.log.logEndOffset, highWatermark: this.hw, nowMs: this.clockMs() });
      this.currentRole = { kind: 'leader', epoch, state, fenced: false };
      this.emit('role');
      return true;
    });
  }

  /** Becomes (or stays) a follower of `leader` at `epoch`; returns false if the epoch is older than the one held. */
  makeFollower(epoch: LeaderEpoch, leader: BrokerId): Promise<boolean> {
    return this.queue.run(async () => {
      const r = this.currentRole;
      if (r.kind !== 'none' && epoch < r.epoch) return false;
      if (r.kind === 'follower' && epoch === r.epoch && leader === r.leader) return true;
      this.currentRole = { kind: 'follower', epoch, leader };
      this.emit('role');
      return true;
    });
  }

  /** Stops leading and acknowledging: the partition is being removed from this broker. */
  makeNone(): Promise<void> {
    return this.queue.run(async () => {
      this.currentRole = { kind: 'none' };
      this.emit('role');
    });
  }

  /** A follower knows a newer epoch than ours: our leadership is over, the image just has not said so. */
  fence(): void {
    if (this.currentRole.kind !== 'leader' || this.currentRole.fenced) return;
    this.currentRole.fenced = true;
    this.emit('role');
  }

  /**
   * Leader append of batches whose `headers` the caller read and checked: the producer state decides first
   * (a retried batch is a duplicate, a sequence gap is refused), then the log appends. Throws
   * LogError('CLOSED'-like) or CorruptRecordError from the log; the producer state is then unchanged.
   */
  appendAsLeader(batches: Buffer, headers: readonly BatchHeader[], minIsr: number): Promise<LeaderAppend> {
    return this.queue.run(async () => {
      const r = this.currentRole;
      if (r.kind !== 'leader') throw new LogError('CLOSED', 'the partition stopped leading before the append');
      const verdict = this.producers.checkLeaderAppend(headers);
      if (verdict.kind === 'duplicate') return verdict;
      if (verdict.kind === 'error') return { kind: 'refused', error: verdict.error };
      let result;
      try {
        result = await this.log.append(batches, r.epoch);
      } catch (error) {
        verdict.pending.abandon();
        throw error;
      }
      verdict.pending.commit(result);
      this.emit('append');
      this.advanceHwIfLeader(minIsr);
      return { kind: 'appended', ...result, epoch: r.epoch };
    });
  }

  /** Recomputes the HW on the leader (its own log grew or the ISR changed). */
  advanceHwIfLeader(minIsr: number): void {
    const r = this.currentRole;
    if (r.kind !== 'leader') return;
    if (r.state.maybeAdvanceHw(this.log.logEndOffset, minIsr)) this.setHw(r.state.highWatermark);
  }

  private setHw(hw: Offset): void {
    if (hw <= this.hw) return;
    this.hw = hw;
    this.emit('hw');
  }

  /** What the leader does with a follower's fetch before reading for it. */
  checkFollowerFetch(f: FollowerFetch): FollowerFetchCheck {
    const r = this.currentRole;
    if (r.kind !== 'leader') return { kind: 'error', error: 'NOT_LEADER_OR_FOLLOWER' };
    if (f.currentLeaderEpoch > r.epoch) {
      this.fence();
      return { kind: 'error', error: 'UNKNOWN_LEADER_EPOCH' };
    }
    if (f.currentLeaderEpoch < r.epoch) return { kind: 'error', error: 'FENCED_LEADER_EPOCH' };
    if (f.lastFetchedEpoch !== -1) {
      const end = this.log.endOffsetForEpoch(f.lastFetchedEpoch);
      if (end.epoch < f.lastFetchedEpoch || end.endOffset < f.fetchOffset) return { kind: 'diverging', diverging: end };
    }
    if (f.fetchOffset < this.log.logStartOffset || f.fetchOffset > this.log.logEndOffset) return { kind: 'out-of-range' };
    return { kind: 'read' };
  }

  /** Records a follower's position (after checkFollowerFetch said read). */
  onFollowerFetch(replicaId: BrokerId, fetchOffset: Offset, minIsr: number): void {
    const r = this.currentRole;
    if (r.kind !== 'leader') return;
    if (r.state.onFollowerFetch(replicaId, fetchOffset, this.log.logEndOffset, minIsr, this.clockMs())) this.setHw(r.state.highWatermark);
  }

  /** Follower append of the leader's batches, if still following `epoch`; returns false if not. */
  appendAsFollower(epoch: LeaderEpoch, batches: Buffer, leaderHw: Offset): Promise<boolean> {
    return this.queue.run(async () => {
      if (!this.isFollowing(epoch)) return false;
      if (batches.length > 0) {
        await this.log.appendAsFollower(batches);
        for (const h of batchHeadersOf(batches)) this.producers.onAppended(h);
        this.emit('append');
      }
      this.setHw(offset(Math.min(leaderHw, this.log.logEndOffset)));
      return true;
    });
  }

  /** Follower truncation (divergence, or a fetch offset the leader no longer has). */
  truncateAsFollower(epoch: LeaderEpoch, action: { readonly truncateTo: Offset } | { readonly startAt: Offset }): Promise<boolean> {
    return this.queue.run(async () => {
      if (!this.isFollowing(epoch)) return false;
      // Through the producer state, which drops its snapshots above the cut first and rebuilds.
      if ('truncateTo' in action) {
        if (action.truncateTo < this.log.logEndOffset) await this.producers.truncateTo(this.log, action.truncateTo);
      } else {
        await this.producers.truncateFullyAndStartAt(this.log, action.startAt);
      }
      // Truncation below the HW happens only after an unclean election; the HW follows the log.
      if (this.hw > this.log.logEndOffset) this.hw = this.log.logEndOffset;
      if (this.hw < this.log.logStartOffset) this.hw = this.log.logStartOffset;
      return true;
    });
  }

  /**
   * Applies retention.ms / retention.bytes to this replica's log (returns the segments removed)
   * and forgets producers idle past producer.id.expiration.ms. Only what lies below this replica's
   * own HW may go, leader or follower, as in Kafka: the log start offset never passes the HW, so a
   * consumer never sees it jump over records it was not yet allowed to read, and a leader whose HW
   * lags (it has not heard from its followers yet) deletes less rather than more.
   */
  applyRetention(): Promise<number> {
    return this.queue.run(async () => {
      this.producers.removeExpired();
      const removed = await this.log.applyRetention(this.hw);
      if (removed > 0) {
        await this.producers.onLogStartOffsetIncremented(this.log.logStartOffset);
        if (this.hw < this.log.logStartOffset) this.hw = this.log.logStartOffset;
      }
      return removed;
    });
  }

  /** Writes the producer state as of the log end (at clean shutdown, so a restart need not replay the log). */
  snapshotProducers(): Promise<void> {
    return this.queue.run(() => this.producers.takeSnapshot(this.log.logEndOffset));
  }

  private isFollowing(epoch: LeaderEpoch): boolean {
    return this.currentRole.kind === 'follower' && this.currentRole.epoch === epoch;
  }

  /** Reads for a consumer: whole batches below the HW. */
  readCommitted(from: Offset, maxBytes: number): Promise<ReadResult> {
    return this.log.read(from, maxBytes, this.hw);
  }

  /** Reads for a follower: whole batches up to the log end. */
  readForFollower(from: Offset, maxBytes: number): Promise<ReadResult> {
    return this.log.read(from, maxBytes, this.log.logEndOffset);
  }
}
