// The invariants of replication, checked after every event on the real state of every replica:
//
// (1) committed-divergence: every batch a replica holds below its HW is the batch committed at
//     those offsets, the same on every replica and at every time: the first replica to hold an
//     offset below its HW fixes what is committed there. This is stronger than comparing two
//     replicas below the smaller of their HWs at one instant, and implies it.
// (2) hw-regressed: a replica's HW never goes down while it keeps its log. The exception is a
//     restart: a new incarnation starts from its HW checkpoint, which may be older (Kafka's too).
//     Truncating below the HW would only be right after an unclean election, which stays off.
// (3) ack-lost: every acknowledged acks=all batch is held, at its offsets, by every member of the
//     partition's current ISR (as the controller has it), live or crashed: crashes keep the log,
//     so an ISR member at ack time survives for as long as it is in the ISR, and a replica joins
//     the ISR only holding everything acknowledged. The leader is an ISR member. No two acks claim
//     one offset.
// (4) leader-epoch: no two brokers lead a partition in one leader epoch; a broker leads only in an
//     epoch the controller gave it; a broker's epoch for a partition never goes down.
// (5) hw-above-log-end: a replica's HW is at most its log end offset.
//
// The logs are read incrementally (ChangeMark): a check re-reads only what changed since the last.
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { Partition } from '../../../src/broker/replica/partition.js';
import { NO_LEADER, partitionIndex, type BrokerId, type TopicId } from '../../../src/metadata/types.js';
import type { Producer } from './acks.js';
import { batchHolding, firstEndingAtOrAfter, formatBatch, sameBatch, type BatchId, type ChangeMark, type TrackedLog } from './tracked-log.js';
import { replFail } from './violation.js';

export interface CheckedTopic {
  readonly name: string;
  readonly id: TopicId;
  readonly partitions: number;
}

/** What the checker reads of a broker (a SimBroker; tests hand it replicas of their own). */
export interface CheckedBroker {
  readonly id: BrokerId;
  partition(topicId: TopicId, index: number): Partition | undefined;
  logOf(topic: string, index: number): TrackedLog | undefined;
}

/** How far a log is known to agree with something, and the mark that says what changed since. */
interface Progress {
  readonly mark: ChangeMark;
  verifiedEnd: number;
}

export class ReplChecker {
  /** Per partition: offset -> the batch committed there. */
  private readonly committed = new Map<number, Map<number, BatchId>>();
  private readonly committedProgress = new Map<TrackedLog, Progress>();
  /** Per partition and ISR member ("broker:partition"): how far its log is known to hold every ack. */
  private readonly ackProgress = new Map<string, Progress>();
  private readonly hwSeen = new WeakMap<Partition, number>();
  /** Per partition: leader epoch -> the broker the controller made leader in it. */
  private readonly givenEpochs = new Map<number, Map<number, number>>();
  /** Per partition: leader epoch -> the broker seen leading in it. */
  private readonly ledEpochs = new Map<number, Map<number, number>>();
  /** "broker:partition" -> the newest leader epoch the broker's replica has had. */
  private readonly brokerEpochs = new Map<string, number>();

  constructor(private readonly topic: CheckedTopic) {}

  /** Records the leader of each partition in every image the controller publishes. */
  image(image: MetadataImage): void {
    const t = image.topicsById.get(this.topic.id);
    if (t === undefined) return;
    for (const [index, reg] of t.partitions) {
      if (reg.leader === NO_LEADER) continue;
      const given = mapOf(this.givenEpochs, index);
      const before = given.get(reg.leaderEpoch);
      if (before !== undefined && before !== reg.leader) replFail('leader-epoch', `p${index}: the controller gave epoch ${reg.leaderEpoch} to b${before} and then to b${reg.leader}`);
      given.set(reg.leaderEpoch, reg.leader);
    }
  }

  async check(image: MetadataImage, brokers: readonly CheckedBroker[], producer: Producer): Promise<void> {
    for (let i = 0; i < this.topic.partitions; i++) {
      for (const b of brokers) {
        const p = b.partition(this.topic.id, i);
        if (p !== undefined) this.checkReplica(b, i, p);
        const log = b.logOf(this.topic.name, i);
        if (p !== undefined && log !== undefined) await this.checkCommitted(b, i, log, p.highWatermark);
      }
    }
    await this.checkAcks(image, brokers, producer);
  }

  /** (2), (4), (5) on one live replica. */
  private checkReplica(b: CheckedBroker, index: number, p: Partition): void {
    const hw = p.highWatermark;
    if (hw > p.log.logEndOffset) replFail('hw-above-log-end', `b${b.id} p${index}: HW ${hw} > log end ${p.log.logEndOffset}`);
    const seen = this.hwSeen.get(p) ?? -1;
    if (hw < seen) replFail('hw-regressed', `b${b.id} p${index}: HW ${seen} -> ${hw} (log end ${p.log.logEndOffset}, role ${p.role.kind} e${p.leaderEpoch})`);
    this.hwSeen.set(p, hw);
    const epoch = p.leaderEpoch;
    if (epoch === -1) return;
    const key = `${b.id}:${index}`;
    const newest = this.brokerEpochs.get(key) ?? -1;
    if (epoch < newest) replFail('leader-epoch', `b${b.id} p${index}: leader epoch ${newest} -> ${epoch}`);
    this.brokerEpochs.set(key, epoch);
    if (p.role.kind !== 'leader') return;
    const given = this.givenEpochs.get(index)?.get(epoch);
    if (given !== b.id) replFail('leader-epoch', `b${b.id} p${index} leads in epoch ${epoch}, which the controller gave to ${given === undefined ? 'nobody' : `b${given}`}`);
    const led = mapOf(this.ledEpochs, index);
    const other = led.get(epoch);
    if (other !== undefined && other !== b.id) replFail('leader-epoch', `p${index}: b${other} and b${b.id} both led in epoch ${epoch}`);
    led.set(epoch, b.id);
  }

  /** (1): the batches of `log` below `hw` are the committed ones. */
  private async checkCommitted(b: CheckedBroker, index: number, log: TrackedLog, hw: number): Promise<void> {
    const progress = this.progressOf(this.committedProgress, log, log)!;
    progress.verifiedEnd = Math.min(progress.verifiedEnd, progress.mark.from);
    progress.mark.from = Infinity;
    if (progress.verifiedEnd >= hw) return;
    const batches = await log.batches();
    const committed = mapOf(this.committed, index);
    for (let k = firstEndingAtOrAfter(batches, progress.verifiedEnd); k < batches.length && batches[k]!.last < hw; k++) {
      const batch = batches[k]!;
      for (let o = batch.base; o <= batch.last; o++) {
        const fixed = committed.get(o);
        if (fixed === undefined) committed.set(o, batch);
        else if (!sameBatch(fixed, batch)) replFail('committed-divergence', `b${b.id} p${index} holds ${formatBatch(batch)} below its HW ${hw}, but ${formatBatch(fixed)} was committed at offset ${o}`);
      }
      progress.verifiedEnd = batch.last + 1;
    }
  }

  /** (3): every member of each partition's ISR holds every acknowledged batch. */
  private async checkAcks(image: MetadataImage, brokers: readonly CheckedBroker[], producer: Producer): Promise<void> {
    const fresh = producer.takeFresh();
    for (const a of fresh) this.checkAckConflict(producer, a.partition, a.batch);
    const t = image.topicsById.get(this.topic.id);
    for (let i = 0; i < this.topic.partitions; i++) {
      const isr = t?.partitions.get(partitionIndex(i))?.isr ?? [];
      for (const b of brokers) {
        const log = b.logOf(this.topic.name, i);
        const progress = this.progressOf(this.ackProgress, `${b.id}:${i}`, log);
        // Out of the ISR, nothing is promised; back in, everything is checked again.
        if (!isr.includes(b.id)) {
          if (progress !== undefined) progress.verifiedEnd = 0;
          continue;
        }
        await this.checkMemberAcks(b, i, log, progress, producer.acked.get(i) ?? [], fresh);
      }
    }
  }

  private async checkMemberAcks(b: CheckedBroker, index: number, log: TrackedLog | undefined, progress: Progress | undefined, acked: readonly BatchId[], fresh: readonly { partition: number; batch: BatchId }[]): Promise<void> {
    const mark = progress?.mark.from ?? 0;
    const recheckFrom = Math.min(progress?.verifiedEnd ?? 0, mark);
    const freshHere = fresh.filter((a) => a.partition === index);
    if (progress !== undefined) progress.mark.from = Infinity;
    const toCheck = acked.slice(firstEndingAtOrAfter(acked, recheckFrom));
    if (toCheck.length === 0 && freshHere.length === 0) return;
    const batches = log === undefined ? [] : await log.batches();
    for (const a of [...toCheck, ...freshHere.map((f) => f.batch)]) {
      const held = batchHolding(batches, a.base);
      if (held === undefined || !sameBatch(held, a)) replFail('ack-lost', `p${index}: acknowledged ${formatBatch(a)} but ISR member b${b.id} holds ${held === undefined ? 'nothing' : formatBatch(held)} at offset ${a.base} (log end ${log?.logEndOffset ?? 0})`);
    }
    if (progress !== undefined) progress.verifiedEnd = Math.max(recheckFrom, (acked.at(-1)?.last ?? -1) + 1);
  }

  private checkAckConflict(producer: Producer, index: number, batch: BatchId): void {
    const other = (producer.acked.get(index) ?? []).find((a) => a !== batch && a.base <= batch.last && batch.base <= a.last);
    if (other !== undefined) replFail('ack-lost', `p${index}: acknowledged both ${formatBatch(other)} and ${formatBatch(batch)} at overlapping offsets`);
  }

  private progressOf<K>(map: Map<K, Progress>, key: K, log: TrackedLog | undefined): Progress | undefined {
    if (log === undefined) return undefined;
    let progress = map.get(key);
    if (progress === undefined) {
      progress = { mark: log.newMark(), verifiedEnd: 0 };
      map.set(key, progress);
    }
    return progress;
  }
}

function mapOf<K, V>(outer: Map<number, Map<K, V>>, index: number): Map<K, V> {
  let inner = outer.get(index);
  if (inner === undefined) {
    inner = new Map();
    outer.set(index, inner);
  }
  return inner;
}
