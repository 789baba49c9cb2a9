// Topic configs changed on a live cluster reach the open partition logs (the replica manager hands
// them a new LogConfig when an image changes them), and retention deletes nothing at or above a
// replica's own high-water mark, leader or follower.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { DEFAULT_LOG_CONFIG } from '../../src/broker/log/partition-log.js';
import { offset } from '../../src/broker/log/types.js';
import { MemorySnapshotStore } from '../../src/broker/producer/producer-snapshot.js';
import { ProducerStateManager } from '../../src/broker/producer/producer-state-manager.js';
import { batchHeadersOf } from '../../src/broker/producer/replay.js';
import { Partition } from '../../src/broker/replica/partition.js';
import { produceToPartition } from '../../src/broker/replica/produce.js';
import type { AlterConfigOp } from '../../src/metadata/controller/index.js';
import { brokerId, leaderEpoch, partitionIndex, topicId, type TopicId } from '../../src/metadata/types.js';
import { silentLogger } from '../../src/util/log.js';
import { applyResult } from '../metadata/controller-support.js';
import { waitUntil } from '../support/wait.js';
import { batch, epoch, readAll } from './log-support.js';
import { ReplicationHarness } from './replication-support.js';

const HOUR_MS = 3_600_000;
const BATCH_BYTES = batch(2).length; // every batch(2) has the same size

const set = (topic: string, key: string, value: string): AlterConfigOp => ({ resourceType: 'topic', resourceName: topic, key, op: 'set', value });
const setDefault = (key: string, value: string): AlterConfigOp => ({ resourceType: 'broker', resourceName: '', key, op: 'set', value });

const harnesses: ReplicationHarness[] = [];
after(async () => {
  for (const h of harnesses) await h.stop();
});

/** Brokers 1 and 2, topic `t` (one partition on both) holding five committed batches an hour old. */
async function committedTopic(): Promise<{ h: ReplicationHarness; id: TopicId }> {
  const h = await ReplicationHarness.start([1, 2]);
  harnesses.push(h);
  const id = await h.createTopic('t', 1, 2);
  for (let i = 0; i < 5; i++) {
    const r = await produceToPartition(h.leaderOf('t'), 't', 0, batch(2, Date.now() - HOUR_MS, 10, i), -1, Date.now() + 10_000);
    assert.equal(r.error, 'NONE', r.errorMessage);
  }
  await waitUntil('both replicas hold the batches and know the HW', () => replicas(h, id).every((p) => p.log.logEndOffset === 10 && p.highWatermark === 10));
  return { h, id };
}

const replicas = (h: ReplicationHarness, id: TopicId): Partition[] => [...h.managers.values()].map((m) => m.partition(id, 0)!);
const starts = (h: ReplicationHarness, id: TopicId): number[] => replicas(h, id).map((p) => p.log.logStartOffset);

describe('topic configs reach open logs', () => {
  it('a lower retention.ms deletes on every replica once the image carries it, without waiting for the retention interval', async () => {
    const { h, id } = await committedTopic();
    await h.managers.get(1)!.applyRetention();
    assert.deepEqual(starts(h, id), [0, 0], 'seven days of retention keep an hour-old log');
    await h.alterConfigs([set('t', 'retention.ms', '60000')]);
    assert.deepEqual(
      replicas(h, id).map((p) => p.log.config.retentionMs),
      [60_000, 60_000],
    );
    // The retention interval is five minutes: only the check that follows a retention change runs here.
    assert.deepEqual(starts(h, id), [10, 10], 'everything was below the HW, so everything went');
  });

  it('a retention.bytes set on a live topic deletes the oldest batches on every replica', async () => {
    const { h, id } = await committedTopic();
    await h.alterConfigs([set('t', 'retention.bytes', String(BATCH_BYTES * 2))]);
    assert.deepEqual(starts(h, id), [6, 6], 'the newest two batches make retention.bytes');
  });

  it('a cluster default (log.retention.ms) reaches topics without their own value only', async () => {
    const { h, id } = await committedTopic();
    const other = await h.createTopic('own', 1, 2, { 'retention.ms': '604800000' });
    const before = h.reconfigures.get(1) ?? 0;
    await h.alterConfigs([setDefault('log.retention.ms', '60000')]);
    assert.deepEqual(starts(h, id), [10, 10]);
    assert.equal(h.managers.get(1)!.partition(other, 0)!.log.config.retentionMs, 604_800_000);
    assert.equal((h.reconfigures.get(1) ?? 0) - before, 1, 'only t changed on broker 1');
  });

  it('a lower segment.bytes applies to the next append', async () => {
    const { h, id } = await committedTopic();
    await h.alterConfigs([set('t', 'segment.bytes', String(BATCH_BYTES - 1))]);
    assert.deepEqual(
      replicas(h, id).map((p) => p.log.config.segmentBytesMax),
      [BATCH_BYTES - 1, BATCH_BYTES - 1],
    );
    const r = await produceToPartition(h.leaderOf('t'), 't', 0, batch(2), -1, Date.now() + 10_000);
    assert.equal(r.error, 'RECORD_LIST_TOO_LARGE');
  });

  it('an image that leaves a topic’s log settings alone reconfigures none of its logs', async () => {
    const { h, id } = await committedTopic();
    const counts = () => [h.reconfigures.get(1) ?? 0, h.reconfigures.get(2) ?? 0];
    assert.deepEqual(counts(), [0, 0], 'logs open with the settings of their image');
    await h.alterConfigs([set('t', 'min.insync.replicas', '2'), set('t', 'cleanup.policy', 'delete')]);
    await h.alterConfigs([setDefault('log.cleanup.policy', 'delete')]);
    await h.createTopic('u', 1, 2);
    await h.publish();
    assert.deepEqual(counts(), [0, 0]);
    await h.alterConfigs([set('u', 'retention.ms', '1000')]);
    assert.deepEqual(counts(), [1, 1], 'one log of u on each broker');
    await h.alterConfigs([set('t', 'retention.ms', '604800000')]);
    assert.deepEqual(counts(), [1, 1], 'the value t already had');
    assert.deepEqual(starts(h, id), [0, 0]);
  });

  it('a value the log cannot hold leaves the log working on its old settings', async () => {
    const { h, id } = await committedTopic();
    // The controller refuses segment.bytes above int32 (test/metadata); a record that got past it anyway:
    h.image = applyResult(h.image, {
      records: [{ type: 'config', resourceType: 'topic', resourceName: 't', key: 'segment.bytes', value: String(2 ** 32) }],
      response: undefined,
    });
    await h.publish();
    assert.deepEqual(
      replicas(h, id).map((p) => p.log.config.segmentBytesMax),
      [DEFAULT_LOG_CONFIG.segmentBytesMax, DEFAULT_LOG_CONFIG.segmentBytesMax],
    );
    const r = await produceToPartition(h.leaderOf('t'), 't', 0, batch(2), -1, Date.now() + 10_000);
    assert.equal(r.error, 'NONE', r.errorMessage);
    await h.alterConfigs([set('t', 'segment.bytes', String(BATCH_BYTES * 8))]);
    assert.deepEqual(
      replicas(h, id).map((p) => p.log.config.segmentBytesMax),
      [BATCH_BYTES * 8, BATCH_BYTES * 8],
    );
  });
});

describe('retention and the high-water mark', () => {
  const key = { topicId: topicId('00000000-0000-4000-8000-000000000001'), topic: 't', partition: partitionIndex(0) };

  async function partitionOf(self: number): Promise<Partition> {
    const log = new MemoryPartitionLog({ ...DEFAULT_LOG_CONFIG, retentionMs: 0 });
    const producers = await ProducerStateManager.load(new MemorySnapshotStore(), log, { logger: silentLogger });
    return new Partition(key, log, brokerId(self), offset(0), Date.now, producers);
  }

  /** Three batches of two records at offsets 0..5 as a leader in epoch 1 wrote them. */
  async function leaderBytes(): Promise<Buffer> {
    const source = new MemoryPartitionLog();
    for (let i = 0; i < 3; i++) await source.append(batch(2, 1_000, 10, i), epoch(1));
    return readAll(source);
  }

  it('a follower whose HW lags keeps every batch holding an offset at or above its HW', async () => {
    const p = await partitionOf(2);
    await p.makeFollower(leaderEpoch(1), brokerId(1));
    assert.ok(await p.appendAsFollower(leaderEpoch(1), await leaderBytes(), offset(3)));
    assert.deepEqual([p.log.logEndOffset, p.highWatermark], [6, 3]);
    assert.equal(await p.applyRetention(), 1, 'retention.ms 0 expires everything, but [2,3] holds the HW');
    assert.equal(p.log.logStartOffset, 2);
    assert.ok(await p.appendAsFollower(leaderEpoch(1), Buffer.alloc(0), offset(6)));
    assert.equal(await p.applyRetention(), 2);
    assert.deepEqual([p.log.logStartOffset, p.highWatermark], [6, 6]);
  });

  it('a leader that has not heard from its followers deletes nothing above its HW', async () => {
    const p = await partitionOf(1);
    await p.makeLeader(leaderEpoch(1), [brokerId(1), brokerId(2)], [brokerId(1), brokerId(2)], 0);
    for (let i = 0; i < 3; i++) {
      const b = batch(2, 1_000, 10, i);
      await p.appendAsLeader(b, batchHeadersOf(b), 1);
    }
    assert.deepEqual([p.log.logEndOffset, p.highWatermark], [6, 0]);
    assert.equal(await p.applyRetention(), 0);
    p.onFollowerFetch(brokerId(2), offset(4), 1);
    assert.equal(p.highWatermark, 4);
    assert.equal(await p.applyRetention(), 2);
    assert.equal(p.log.logStartOffset, 4);
  });
});
