// Followers keep the producer state too: a follower applying the leader's batches ends with the
// leader's state, so when it becomes leader it answers a producer's retries of batches the old
// leader appended with their original offsets, and appends what the old leader never replicated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import type { PartitionLog } from '../../src/broker/log/partition-log.js';
import { MemorySnapshotStore } from '../../src/broker/producer/producer-snapshot.js';
import { ProducerStateManager } from '../../src/broker/producer/producer-state-manager.js';
import { batchHeadersOf } from '../../src/broker/producer/replay.js';
import { silentLogger } from '../../src/util/log.js';
import { concat, epoch } from './log-support.js';
import { assertSameEntries, producerBatch } from './producer-support.js';

const options = { clockMs: () => 1_000, logger: silentLogger };

interface Replica {
  readonly log: PartitionLog;
  readonly producers: ProducerStateManager;
}

async function replica(): Promise<Replica> {
  const log = new MemoryPartitionLog();
  return { log, producers: await ProducerStateManager.load(new MemorySnapshotStore(), log, options) };
}

const send = (seq: number, records = 2): Buffer => producerBatch({ producerId: 11, producerEpoch: 0, baseSequence: seq, records });

async function produce(leader: Replica, buf: Buffer, leaderEpoch: number): Promise<{ kind: string; baseOffset: number }> {
  const v = leader.producers.checkLeaderAppend(batchHeadersOf(buf));
  if (v.kind === 'error') return { kind: v.error.code, baseOffset: -1 };
  if (v.kind === 'duplicate') return { kind: 'duplicate', baseOffset: v.batch.firstOffset };
  const appended = await leader.log.append(buf, epoch(leaderEpoch));
  v.pending.commit(appended);
  return { kind: 'append', baseOffset: appended.baseOffset };
}

/** One fetch: the follower appends what the leader has beyond its end and applies each batch. */
async function fetch(follower: Replica, leader: Replica): Promise<void> {
  const fetched = concat(await leader.log.read(follower.log.logEndOffset, 1 << 20, leader.log.logEndOffset));
  await follower.log.appendAsFollower(fetched);
  for (const h of batchHeadersOf(fetched)) follower.producers.onAppended(h);
}

test('a new leader deduplicates retries of batches the old leader appended', async () => {
  const [a, b] = [await replica(), await replica()];
  const offsets: number[] = [];
  for (let seq = 0; seq < 12; seq += 2) offsets.push((await produce(a, send(seq), 0)).baseOffset);
  await fetch(b, a);
  assertSameEntries(b.producers.entries(), a.producers.entries(), 'follower vs leader');
  // A appends one more batch that never reaches B, then fails; B leads in epoch 1.
  assert.equal((await produce(a, send(12), 0)).kind, 'append');
  // The producer got no answers for its last five batches and retries them all on the new leader.
  for (let i = 1; i < 6; i++) assert.deepEqual(await produce(b, send(i * 2), 1), { kind: 'duplicate', baseOffset: offsets[i] }, `retry of sequence ${i * 2}`);
  assert.deepEqual(await produce(b, send(0), 1), { kind: 'OUT_OF_ORDER_SEQUENCE_NUMBER', baseOffset: -1 }, 'older than the cached batches');
  assert.deepEqual(await produce(b, send(12), 1), { kind: 'append', baseOffset: 12 }, 'the unreplicated batch is new here');
  assert.equal(b.log.logEndOffset, 14);
});
