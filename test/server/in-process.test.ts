// A whole metadata quorum in one process: three combined nodes and one broker-only node, each a
// FlotillaServer over LevelDB and gRPC on loopback. Checks the controller's life cycle end to end:
// registration and unfencing after catch-up, the broker-only node following the log as a learner,
// fencing on session expiry with leaders moved inside the ISR, re-registration and preferred leader
// rebalancing, controller failover with sessions re-armed, and controlled shutdown.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RequestOf, ResponseOf } from '../../src/metadata/controller-service.js';
import { findImageViolations, type MetadataImage } from '../../src/metadata/image.js';
import { InProcessCluster } from '../support/in-process-cluster.js';
import { waitUntil } from '../support/wait.js';

const CONTROLLERS = [1, 2, 3];
const BROKER_ONLY = 101;

function ledBy(image: MetadataImage, broker: number): number {
  let n = 0;
  for (const t of image.topicsById.values()) for (const p of t.partitions.values()) if (p.leader === broker) n++;
  return n;
}

describe('a metadata quorum of FlotillaServers in one process', { timeout: 120_000 }, () => {
  let cluster: InProcessCluster;
  before(async () => {
    // Short sessions so that fencing is quick to see.
    cluster = await InProcessCluster.create({ controllers: CONTROLLERS, brokersOnly: [BROKER_ONLY], config: { brokerHeartbeatIntervalMs: 100, brokerSessionTimeoutMs: 1_500, leaderImbalanceCheckIntervalMs: 500 } });
    await Promise.all([...CONTROLLERS, BROKER_ONLY].map((id) => cluster.start(id)));
  });
  after(async () => cluster?.close());

  it('registers every broker and unfences each once it has caught up', async () => {
    await waitUntil('all four brokers unfenced', () => cluster.unfenced().join(',') === '1,2,3,101');
    const desc = await cluster.client.call('describeCluster', {});
    assert.equal(desc.error ?? null, null);
    assert.deepEqual(desc.brokers?.map((b) => [b.id, b.fenced]), [[1, false], [2, false], [3, false], [101, false]]);
  });

  it('creates a topic that every node, the broker-only learner too, replays identically', async () => {
    const created = await cluster.client.call('createTopics', { topics: [{ name: 'orders', numPartitions: 8, replicationFactor: 3 }] });
    assert.equal(created.topics?.[0]?.error ?? null, null, JSON.stringify(created.topics?.[0]?.error));
    const again = await cluster.client.call('createTopics', { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1 }] });
    assert.equal(again.topics?.[0]?.error?.code, 'TOPIC_ALREADY_EXISTS');
    await waitUntil('every node has the topic', () => cluster.converged() && cluster.servers.get(BROKER_ONLY)?.image.topicsByName.has('orders') === true);
    assert.deepEqual(findImageViolations(cluster.image()), []);
    assert.ok(ledBy(cluster.image(), BROKER_ONLY) > 0, 'placement gives the broker-only node some leaderships');
  });

  it('fences a broker whose heartbeats stop and moves its leaderships inside the ISR with new epochs', async () => {
    const before = cluster.image();
    await cluster.stop(BROKER_ONLY);
    await waitUntil('broker 101 fenced', () => cluster.image().brokers.get(BROKER_ONLY as never)?.fenced === true, 30_000);
    const image = cluster.image();
    assert.equal(ledBy(image, BROKER_ONLY), 0);
    for (const [index, p] of image.topicsByName.get('orders')?.partitions ?? []) {
      const old = before.topicsByName.get('orders')?.partitions.get(index);
      assert.ok(old !== undefined);
      assert.ok(!p.isr.includes(BROKER_ONLY as never), `partition ${index} keeps 101 in its ISR`);
      assert.ok(p.isr.includes(p.leader), `partition ${index}: leader ${p.leader} outside ISR`);
      if (old.leader === (BROKER_ONLY as never)) assert.ok(p.leaderEpoch > old.leaderEpoch, `partition ${index}: leader epoch not bumped`);
    }
    assert.deepEqual(findImageViolations(image), []);
  });

  it('unfences the restarted broker once it catches up and moves preferred leaderships back', async () => {
    await cluster.start(BROKER_ONLY);
    await waitUntil('broker 101 unfenced again', () => cluster.image().brokers.get(BROKER_ONLY as never)?.fenced === false, 30_000);
    // Back in sync, as each partition's leader would find from its fetches: the leader asks the
    // controller to add 101 to the ISR (AlterPartition, guarded by the epochs it knows).
    // A leader that loses a race with another change (its epochs are stale) learns the new state
    // and asks again, as the data plane's leader does.
    const topic = cluster.image().topicsByName.get('orders');
    assert.ok(topic !== undefined);
    let staleChecked = false;
    for (const index of topic.partitions.keys()) {
      await waitUntil(`101 back in the ISR of orders-${index}`, async () => {
        const image = cluster.image();
        const p = image.topicsById.get(topic.id)?.partitions.get(index);
        assert.ok(p !== undefined);
        if (!p.replicas.includes(BROKER_ONLY as never) || p.isr.includes(BROKER_ONLY as never)) return true;
        const leader = image.brokers.get(p.leader);
        assert.ok(leader !== undefined);
        const request: RequestOf<'alterPartition'> = { brokerId: p.leader, brokerEpoch: leader.epoch, topicId: topic.id, partition: index, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
        const expanded: ResponseOf<'alterPartition'> = await cluster.client.call('alterPartition', { ...request, newIsr: [...p.isr, BROKER_ONLY] });
        if (expanded.error?.code) return false;
        assert.ok(expanded.partition?.isr?.includes(BROKER_ONLY));
        if (!staleChecked) {
          // The same request again carries a stale partition epoch now, and changes nothing.
          const stale = await cluster.client.call('alterPartition', { ...request, newIsr: [...p.isr] });
          assert.equal(stale.error?.code, 'INVALID_UPDATE_VERSION');
          staleChecked = true;
        }
        return true;
      });
    }
    await waitUntil('101 leads its preferred partitions again', () => ledBy(cluster.image(), BROKER_ONLY) > 0, 30_000);
    await waitUntil('the learner caught up', () => cluster.converged());
  });

  it('fails over the controller: a new one takes over, keeps every record and re-arms sessions', async () => {
    const old = cluster.activeController();
    assert.ok(old !== undefined);
    const oldId = old.config.nodeId as number;
    const topicsBefore = [...cluster.image().topicsByName.keys()];
    await cluster.stop(oldId);
    await waitUntil('a new active controller', () => cluster.activeController() !== undefined, 30_000);
    const created = await cluster.client.call('createTopics', { topics: [{ name: 'after-failover', numPartitions: 2, replicationFactor: 2 }] });
    assert.equal(created.topics?.[0]?.error ?? null, null, JSON.stringify(created.topics?.[0]?.error));
    assert.deepEqual(topicsBefore.filter((t) => !cluster.image().topicsByName.has(t)), []);
    // The stopped controller was also a broker: the new controller fences it after a session.
    await waitUntil(`broker ${oldId} fenced by the new controller`, () => cluster.image().brokers.get(oldId as never)?.fenced === true, 30_000);
    await cluster.start(oldId);
    await waitUntil('all unfenced again', () => cluster.unfenced().length === 4, 30_000);
    await waitUntil('converged', () => cluster.converged());
  });

  it('controlled shutdown moves a broker\'s leaderships away before it stops', async () => {
    const victim = CONTROLLERS.find((id) => cluster.activeController()?.config.nodeId !== id && ledBy(cluster.image(), id) > 0) ?? 2;
    await cluster.stop(victim, true);
    const image = cluster.image();
    assert.equal(image.brokers.get(victim as never)?.fenced, true);
    assert.equal(ledBy(image, victim), 0);
    assert.deepEqual(findImageViolations(image), []);
  });
});
