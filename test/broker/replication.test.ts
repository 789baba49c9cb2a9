// The replica layer in one process: acks=all through the HW, followers converging, ISR shrink and
// expand through AlterPartition, leader failover with truncation of a deposed leader's suffix, and
// a deposed leader that never acknowledges.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { encodeBatch } from '../../src/broker/log/records.js';
import { produceToPartition, type Acks } from '../../src/broker/replica/produce.js';
import { fetchForConsumer } from '../../src/broker/replica/consumer-fetch.js';
import type { ReplicaManager } from '../../src/broker/replica/replica-manager.js';
import { checkBatches, lastOffsetOf } from '../../src/broker/log/record-batch.js';
import { waitUntil } from '../support/wait.js';
import { readAll } from './log-support.js';
import { ReplicationHarness } from './replication-support.js';

const batchOf = (...values: string[]) => encodeBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });

function produce(rm: ReplicaManager, topic: string, values: string[], acks: Acks = -1, timeoutMs = 10_000) {
  return produceToPartition(rm, topic, 0, batchOf(...values), acks, Date.now() + timeoutMs);
}

/** The log end offset of a replica. */
async function logEndOf(rm: ReplicaManager, topicId: string): Promise<number> {
  const p = rm.partition(topicId as never, 0)!;
  return p.log.logEndOffset;
}

async function logBytes(rm: ReplicaManager, topicId: string): Promise<Buffer> {
  return readAll(rm.partition(topicId as never, 0)!.log);
}

const harnesses: ReplicationHarness[] = [];
async function cluster(ids = [1, 2, 3], config = {}): Promise<ReplicationHarness> {
  const h = await ReplicationHarness.start(ids, config);
  harnesses.push(h);
  return h;
}
after(async () => {
  for (const h of harnesses) await h.stop();
});

describe('replication', () => {
  it('acks=all completes once every ISR member holds the batch, and followers converge', async () => {
    const h = await cluster();
    const id = await h.createTopic('t', 1, 3);
    const leader = h.leaderOf('t');
    for (let i = 0; i < 20; i++) {
      const r = await produce(leader, 't', [`v${i}a`, `v${i}b`]);
      assert.equal(r.error, 'NONE', r.errorMessage);
      assert.equal(r.baseOffset, i * 2);
      // At the ack, the HW has passed the batch: every ISR member had it.
      for (const m of h.managers.values()) assert.ok((await logEndOf(m, id)) >= i * 2 + 2, `broker ${m.self} lacks an acknowledged batch`);
    }
    const expected = await logBytes(leader, id);
    await waitUntil('followers hold the same bytes with the same HW', async () => {
      for (const m of h.managers.values()) {
        const p = m.partition(id as never, 0)!;
        if (p.highWatermark !== 40 || !(await logBytes(m, id)).equals(expected)) return false;
      }
      return true;
    });
  });

  it('a consumer fetch sees only committed batches and long-polls for new ones', async () => {
    const h = await cluster();
    await h.createTopic('c', 1, 3);
    const leader = h.leaderOf('c');
    const request = (fetchOffset: number, maxWaitMs: number) => ({ maxWaitMs, minBytes: 1, maxBytes: 1 << 20, partitions: [{ topic: 'c', partition: 0, fetchOffset, currentLeaderEpoch: -1, partitionMaxBytes: 1 << 20 }] });
    const empty = await fetchForConsumer(leader, request(0, 0));
    assert.equal(empty[0]!.error, 'NONE');
    assert.equal(empty[0]!.records.length, 0);
    const waiting = fetchForConsumer(leader, request(0, 10_000));
    assert.equal((await produce(leader, 'c', ['x'])).error, 'NONE');
    const got = await waiting;
    const batches = checkBatches(Buffer.concat(got[0]!.records as Buffer[]));
    assert.equal(batches.length, 1);
    assert.equal(lastOffsetOf(batches[0]!.header), 0);
    const beyond = await fetchForConsumer(leader, request(5, 0));
    assert.equal(beyond[0]!.error, 'OFFSET_OUT_OF_RANGE');
  });

  it('answers NOT_ENOUGH_REPLICAS below min.insync.replicas, and shrinks then expands the ISR', async () => {
    const h = await cluster([1, 2, 3], { replicaLagTimeMsMax: 300 });
    const id = await h.createTopic('m', 1, 3, { 'min.insync.replicas': '3' });
    const reg = h.registration('m');
    const follower = reg.replicas.find((r) => r !== reg.leader)!;
    const leader = h.leaderOf('m');
    assert.equal((await produce(leader, 'm', ['a'])).error, 'NONE');
    h.isolate(follower);
    // Writes keep the leader's log ahead, so the cut-off follower falls behind and out of the ISR.
    const timedOut = await produce(leader, 'm', ['b'], -1, 200);
    assert.equal(timedOut.error, 'REQUEST_TIMED_OUT');
    await waitUntil('the ISR drops the cut-off follower', () => !h.registration('m').isr.includes(follower));
    const refused = await produce(leader, 'm', ['c']);
    assert.equal(refused.error, 'NOT_ENOUGH_REPLICAS');
    assert.equal((await produce(leader, 'm', ['d'], 1)).error, 'NONE', 'acks=1 does not need the ISR');
    await h.heal();
    await waitUntil('the follower rejoins the ISR', () => h.registration('m').isr.includes(follower));
    assert.equal((await produce(leader, 'm', ['e'])).error, 'NONE');
    const expected = await logBytes(leader, id);
    await waitUntil('the follower has every batch', async () => (await logBytes(h.managers.get(follower)!, id)).equals(expected));
  });

  it('a deposed leader never acknowledges, and truncates its divergent suffix when it returns', async () => {
    const h = await cluster();
    const id = await h.createTopic('f', 1, 3);
    const first = h.registration('f');
    const oldLeader = h.managers.get(first.leader)!;
    assert.equal((await produce(oldLeader, 'f', ['committed'])).error, 'NONE');
    h.isolate(first.leader);
    // Cut off, the old leader still takes the write but cannot commit it.
    const pending = produce(oldLeader, 'f', ['lost-1', 'lost-2'], -1, 60_000);
    await h.fence(first.leader);
    const second = h.registration('f');
    assert.notEqual(second.leader, first.leader);
    assert.ok(second.leaderEpoch > first.leaderEpoch);
    const newLeader = h.managers.get(second.leader)!;
    // More than the lost suffix, so the old leader's fetch offset lies inside the new leader's log:
    // only the epoch check (not an out-of-range offset) can reveal the divergence.
    for (let i = 0; i < 4; i++) {
      const r = await produce(newLeader, 'f', [`after-failover-${i}`]);
      assert.equal(r.error, 'NONE', r.errorMessage);
      assert.equal(r.baseOffset, 1 + i, 'the new leader continues after the committed batch');
    }
    await h.heal();
    const answer = await pending;
    assert.equal(answer.error, 'NOT_LEADER_OR_FOLLOWER', 'the deposed leader must not acknowledge');
    const expected = await logBytes(newLeader, id);
    await waitUntil('the old leader truncated and caught up', async () => (await logBytes(oldLeader, id)).equals(expected));
  });

  it('--fsync always: the leader flushes its log before every acknowledgement; by default it does not', async () => {
    const h = await cluster([1, 2, 3], { fsyncAlways: true });
    await h.createTopic('d', 1, 3);
    const leader = h.leaderOf('d');
    for (const acks of [1, -1] as const) assert.equal((await produce(leader, 'd', ['x'], acks)).error, 'NONE');
    assert.equal(h.flushes.get(leader.self) ?? 0, 2);
    const plain = await cluster([1, 2, 3]);
    await plain.createTopic('d', 1, 3);
    assert.equal((await produce(plain.leaderOf('d'), 'd', ['x'])).error, 'NONE');
    assert.equal(plain.flushes.get(plain.leaderOf('d').self) ?? 0, 0);
  });
});
