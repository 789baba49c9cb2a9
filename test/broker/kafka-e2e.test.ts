// End to end: three combined FlotillaServers in one process, each serving Kafka on PLAINTEXT port 0
// (so the registered port must be the bound one). A topic is created through the controller
// client; then real clients read the cluster: kcat -L -J (librdkafka, flexible ApiVersions v3 and
// Metadata v4) and the KafkaJS admin client (ApiVersions v2, Metadata v6).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import type { FlotillaServer } from '../../src/server/server.js';
import { InProcessCluster } from '../support/in-process-cluster.js';
import { kcatMissing } from '../support/kcat.js';
import { waitUntil } from '../support/wait.js';

const IDS = [1, 2, 3];
const run = promisify(execFile);

interface KcatMetadata {
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

describe('Kafka clients against a 3-node cluster', { timeout: 120_000 }, () => {
  let cluster: InProcessCluster;
  let servers: FlotillaServer[] = [];

  before(async () => {
    cluster = await InProcessCluster.create({ controllers: IDS, config: { brokerHeartbeatIntervalMs: 100 } });
    servers = await Promise.all(IDS.map((id) => cluster.start(id)));
    await waitUntil('three unfenced brokers', () => servers.every((s) => [...s.image.brokers.values()].filter((b) => !b.fenced).length === 3));
    const created = await cluster.client.call('createTopics', { topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 3 }] });
    assert.equal(created.topics?.[0]?.error ?? null, null);
    await waitUntil('every node has the topic', () => servers.every((s) => s.image.topicsByName.get('orders')?.partitions.size === 3));
  });

  after(async () => cluster?.close());

  const bootstrap = () => servers.map((s) => `127.0.0.1:${s.kafkaListeners[0]?.port}`);

  it('registers the bound port, not 0', () => {
    for (const s of servers) {
      const endpoint = s.image.brokers.get(s.config.nodeId as number as never)?.endpoints.find((e) => e.listener === 'PLAINTEXT');
      assert.equal(endpoint?.port, s.kafkaListeners[0]?.port);
      assert.notEqual(endpoint?.port, 0);
    }
  });

  it('kcat -L -J lists the brokers, the topic, its partitions and leaders', async (t) => {
    const missing = await kcatMissing();
    if (missing !== undefined) return t.skip(missing);
    const { stdout } = await run('kcat', ['-L', '-J', '-b', bootstrap()[0]!, '-m', '10']);
    const metadata = JSON.parse(stdout) as KcatMetadata;
    assert.deepEqual(metadata.brokers.map((b) => [b.id, b.name]).sort(), IDS.map((id, i) => [id, bootstrap()[i]]));
    const orders = metadata.topics.find((x) => x.topic === 'orders');
    assert.ok(orders, stdout);
    const image = servers[0]!.image.topicsByName.get('orders')!;
    assert.deepEqual(
      orders.partitions.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id), p.isrs.map((r) => r.id)]),
      [...image.partitions.entries()].map(([i, p]) => [i, p.leader, [...p.replicas], [...p.isr]]),
    );
  });

  it('the KafkaJS admin client sees the cluster and the topic', async () => {
    const kafka = new Kafka({ clientId: 'flotilla-test', brokers: bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.deepEqual(cluster.brokers.map((b) => b.nodeId).sort(), IDS);
      assert.ok(IDS.includes(cluster.controller ?? -1), `controller ${cluster.controller}`);
      const { topics } = await admin.fetchTopicMetadata({ topics: ['orders'] });
      assert.deepEqual(topics[0]?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
      for (const p of topics[0]?.partitions ?? []) assert.ok(IDS.includes(p.leader), `partition ${p.partitionId} leader ${p.leader}`);
    } finally {
      await admin.disconnect();
    }
  });
});
