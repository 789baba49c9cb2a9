// What "settled" means once every fault is healed and every broker restarted: every broker is
// registered, unfenced and up to date with the controller's image; every partition has a leader
// that leads in the controller's epoch, an ISR of every replica, and replicas holding exactly the
// leader's batches with the HW at the leader's log end. Then the whole produce history is checked:
// every acknowledged batch is in the leader's log at its offsets.
import type { MetadataImage } from '../../../src/metadata/image.js';
import { NO_LEADER, partitionIndex } from '../../../src/metadata/types.js';
import type { HistoryOp } from './acks.js';
import type { SimBroker } from './broker.js';
import type { CheckedTopic } from './checker.js';
import { batchHolding, formatBatch, sameBatch } from './tracked-log.js';
import { replFail } from './violation.js';

/** Why the cluster has not settled yet, or undefined once it has. */
export async function unsettled(image: MetadataImage, brokers: readonly SimBroker[], topic: CheckedTopic): Promise<string | undefined> {
  for (const b of brokers) {
    const reg = image.brokers.get(b.id);
    if (!b.alive || reg === undefined || reg.fenced || !b.knowsItself(image)) return `b${b.id} is not registered and unfenced`;
    if (b.appliedOffset !== image.offset) return `b${b.id} applied image ${b.appliedOffset} of ${image.offset}`;
  }
  for (let i = 0; i < topic.partitions; i++) {
    const why = await partitionUnsettled(image, brokers, topic, i);
    if (why !== undefined) return why;
  }
  return undefined;
}

async function partitionUnsettled(image: MetadataImage, brokers: readonly SimBroker[], topic: CheckedTopic, index: number): Promise<string | undefined> {
  const reg = image.topicsById.get(topic.id)?.partitions.get(partitionIndex(index));
  if (reg === undefined || reg.leader === NO_LEADER) return `p${index} has no leader`;
  if (reg.isr.length !== reg.replicas.length) return `p${index} ISR [${reg.isr.join(',')}] of replicas [${reg.replicas.join(',')}]`;
  const leader = brokers[reg.leader - 1]!.partition(topic.id, index);
  if (leader === undefined || !leader.isActiveLeader || leader.leaderEpoch !== reg.leaderEpoch) return `p${index}: b${reg.leader} does not lead in epoch ${reg.leaderEpoch} yet`;
  const expected = await brokers[reg.leader - 1]!.logOf(topic.name, index)!.batches();
  const end = leader.log.logEndOffset;
  for (const id of reg.replicas) {
    const p = brokers[id - 1]!.partition(topic.id, index);
    const held = await brokers[id - 1]!.logOf(topic.name, index)?.batches();
    if (p === undefined || held === undefined) return `b${id} hosts no p${index}`;
    if (held.length !== expected.length || held.some((b, k) => !sameBatch(b, expected[k]!))) return `b${id} p${index} holds ${held.length} batches to end ${p.log.logEndOffset}, the leader ${expected.length} to ${end}`;
    if (p.highWatermark !== end) return `b${id} p${index} HW ${p.highWatermark}, leader's log end ${end}`;
  }
  return undefined;
}

/** Every acknowledged batch of the history is in the settled leader's log, at its offsets. */
export async function checkHistory(history: readonly HistoryOp[], image: MetadataImage, brokers: readonly SimBroker[], topic: CheckedTopic): Promise<void> {
  for (const op of history) {
    if (op.type !== 'ok' || op.value.batch === undefined) continue;
    const reg = image.topicsById.get(topic.id)?.partitions.get(partitionIndex(op.value.partition));
    const batches = (await brokers[reg!.leader - 1]!.logOf(topic.name, op.value.partition)?.batches()) ?? [];
    const held = batchHolding(batches, op.value.batch.base);
    if (held === undefined || !sameBatch(held, op.value.batch)) {
      replFail('ack-lost', `after healing, p${op.value.partition} lacks ${formatBatch(op.value.batch)}, acknowledged at ${op.timeMs}ms by ${op.process}`);
    }
  }
}
