// End to end: three combined FlotillaServers in one process, each serving Kafka on PLAINTEXT port 0
// (so the registered port must be the bound one). A topic is created through the controller
// client; then real clients read the cluster: kcat -L -J (librdkafka, flexible ApiVersions v3 and
// Metadata v4) and the KafkaJS admin client (ApiVersions v2, Metadata v6).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ControllerClient } from '../../src/metadata/controller-client.js';
import { formatDataDir, randomClusterId } from '../../src/metadata/data-dir.js';
import { nodeId, type NodeId } from '../../src/raft/core/types.js';
import { SERVER_DEFAULTS, type Role, type ServerConfig } from '../../src/server/config.js';
import { FlotillaServer } from '../../src/server/server.js';
import { silentLogger } from '../../src/util/log.js';
import { waitUntil } from '../support/wait.js';

const IDS = [1, 2, 3];
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function hasKcat(): Promise<boolean> {
  try {
    await run('kcat', ['-V']);
    return true;
  } catch {
    return false;
  }
}

interface KcatMetadata {
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

describe('Kafka clients against a 3-node cluster', { timeout: 120_000 }, () => {
  const servers: FlotillaServer[] = [];
  let dir: string;
  let client: ControllerClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-kafka-e2e-'));
    const quorum = new Map<NodeId, string>();
    for (const id of IDS) quorum.set(nodeId(id), `127.0.0.1:${await freePort()}`);
    const clusterId = randomClusterId();
    for (const id of IDS) await formatDataDir({ dataDir: join(dir, `n${id}`), clusterId, nodeId: nodeId(id), initialVoters: [...quorum.keys()] });
    const config = (id: number): ServerConfig => {
      const [host, port] = (quorum.get(nodeId(id)) ?? '').split(':');
      const kafka = { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 };
      return {
        ...SERVER_DEFAULTS,
        nodeId: nodeId(id),
        roles: new Set<Role>(['broker', 'controller']),
        controllerQuorum: quorum,
        listeners: [kafka, { name: 'CONTROLLER', host: host ?? '127.0.0.1', port: Number(port) }],
        advertisedListeners: [kafka],
        dataDir: join(dir, `n${id}`),
        brokerHeartbeatIntervalMs: 100,
      };
    };
    servers.push(...(await Promise.all(IDS.map((id) => FlotillaServer.start(config(id), { log: silentLogger })))));
    client = new ControllerClient(quorum, { deadlineMs: 20_000 });
    await waitUntil('three unfenced brokers', () => servers.every((s) => [...s.image.brokers.values()].filter((b) => !b.fenced).length === 3));
    const created = await client.call('createTopics', { topics: [{ name: 'orders', numPartitions: 3, replicationFactor: 3 }] });
    assert.equal(created.topics?.[0]?.error ?? null, null);
    await waitUntil('every node has the topic', () => servers.every((s) => s.image.topicsByName.get('orders')?.partitions.size === 3));
  });

  after(async () => {
    client?.close();
    await Promise.allSettled(servers.map((s) => s.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const bootstrap = () => servers.map((s) => `127.0.0.1:${s.kafkaListeners[0]?.port}`);

  it('registers the bound port, not 0', () => {
    for (const s of servers) {
      const endpoint = s.image.brokers.get(s.config.nodeId as number as never)?.endpoints.find((e) => e.listener === 'PLAINTEXT');
      assert.equal(endpoint?.port, s.kafkaListeners[0]?.port);
      assert.notEqual(endpoint?.port, 0);
    }
  });

  it('kcat -L -J lists the brokers, the topic, its partitions and leaders', async (t) => {
    if (!(await hasKcat())) return t.skip('kcat is not installed (scripts/install-debian-packages.sh installs it)');
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
