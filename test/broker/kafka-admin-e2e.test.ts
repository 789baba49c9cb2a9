// The admin APIs end to end: three combined FlotillaServers in one process, driven by real clients.
// KafkaJS 2.2.4 (CreateTopics v3, DeleteTopics v1, CreatePartitions v1, DescribeConfigs v2) creates
// topics (again: TOPIC_ALREADY_EXISTS; validateOnly; a refused one), sees them in Metadata, adds
// partitions, describes topic and broker configs and deletes topics; kcat -L (librdkafka) lists a
// topic created that way; @platformatic/kafka's Admin (flexible versions: CreateTopics v7,
// DeleteTopics v6, IncrementalAlterConfigs v1, DescribeConfigs v4) does the same round. Each test
// uses its own topic names.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Admin as PlatformaticAdmin, ConfigResourceTypes as PlatformaticResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { Kafka, logLevel, type Admin, type ConfigResourceTypes } from 'kafkajs';
import type { FlotillaServer } from '../../src/server/server.js';
import { InProcessCluster } from '../support/in-process-cluster.js';
import { kcatMissing } from '../support/kcat.js';
import { waitUntil } from '../support/wait.js';

const IDS = [1, 2, 3];
// KafkaJS's ConfigResourceTypes enum is not a named export of its CommonJS module, only a type.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const BROKER_RESOURCE = 4 as ConfigResourceTypes;
const run = promisify(execFile);

interface KcatMetadata {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }> }> }>;
}

describe('Kafka admin clients against a 3-node cluster', { timeout: 180_000 }, () => {
  let cluster: InProcessCluster;
  let servers: FlotillaServer[] = [];
  let kafkajs: Admin;

  before(async () => {
    cluster = await InProcessCluster.create({ controllers: IDS, config: { brokerHeartbeatIntervalMs: 100 } });
    servers = await Promise.all(IDS.map((id) => cluster.start(id)));
    await waitUntil('three unfenced brokers', () => servers.every((s) => [...s.image.brokers.values()].filter((b) => !b.fenced).length === 3));
    kafkajs = new Kafka({ clientId: 'flotilla-admin-test', brokers: bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 5 } }).admin();
    await kafkajs.connect();
  });

  after(async () => {
    await kafkajs?.disconnect();
    await cluster?.close();
  });

  const bootstrap = () => servers.map((s) => `127.0.0.1:${s.kafkaListeners[0]?.port}`);
  const everyNode = (what: string, holds: (s: FlotillaServer) => boolean) => waitUntil(what, () => servers.every(holds));

  it('KafkaJS creates a topic with configs; Metadata sees it at once; a second create answers TOPIC_ALREADY_EXISTS', async () => {
    const created = await kafkajs.createTopics({ topics: [{ topic: 'kjs-orders', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
    assert.equal(created, true);
    const { topics } = await kafkajs.fetchTopicMetadata({ topics: ['kjs-orders'] });
    assert.deepEqual(topics[0]?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
    for (const p of topics[0]?.partitions ?? []) {
      assert.equal(p.replicas.length, 2);
      assert.ok(IDS.includes(p.leader), `partition ${p.partitionId} leader ${p.leader}`);
    }
    assert.equal(await kafkajs.createTopics({ topics: [{ topic: 'kjs-orders', numPartitions: 1 }] }), false, 'KafkaJS answers false for TOPIC_ALREADY_EXISTS');
  });

  it('KafkaJS validateOnly creates nothing; an impossible replication factor is refused with its Kafka error', async () => {
    assert.equal(await kafkajs.createTopics({ topics: [{ topic: 'kjs-dry-run', numPartitions: 2 }], validateOnly: true, waitForLeaders: false }), true);
    assert.ok(servers.every((s) => !s.image.topicsByName.has('kjs-dry-run')));
    await assert.rejects(kafkajs.createTopics({ topics: [{ topic: 'kjs-too-many', numPartitions: 1, replicationFactor: 4 }] }), (error: Error & { errors?: Array<{ type?: string }> }) => {
      assert.equal(error.errors?.[0]?.type, 'INVALID_REPLICATION_FACTOR', error.message);
      return true;
    });
    assert.ok(servers.every((s) => !s.image.topicsByName.has('kjs-too-many')));
  });

  it('KafkaJS adds partitions', async () => {
    await kafkajs.createTopics({ topics: [{ topic: 'kjs-grow', numPartitions: 1, replicationFactor: 3 }] });
    await kafkajs.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 4 }] });
    await everyNode('every node has 4 partitions', (s) => s.image.topicsByName.get('kjs-grow')?.partitions.size === 4);
    const { topics } = await kafkajs.fetchTopicMetadata({ topics: ['kjs-grow'] });
    assert.deepEqual(topics[0]?.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
    await assert.rejects(kafkajs.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 2 }] }), (error: Error & { type?: string }) => error.type === 'INVALID_PARTITIONS');
  });

  it('KafkaJS describes topic and broker configs', async () => {
    await kafkajs.createTopics({ topics: [{ topic: 'kjs-configs', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const described = await kafkajs.describeConfigs({
      resources: [
        { type: TOPIC_RESOURCE, name: 'kjs-configs' },
        { type: BROKER_RESOURCE, name: '2', configNames: ['node.id', 'log.retention.ms'] },
      ],
      includeSynonyms: true,
    });
    const topic = described.resources.find((r) => r.resourceName === 'kjs-configs');
    assert.equal(topic?.errorCode, 0);
    const policy = topic?.configEntries.find((c) => c.configName === 'cleanup.policy');
    assert.deepEqual([policy?.configValue, policy?.isDefault, policy?.readOnly], ['compact', false, false]);
    const retention = topic?.configEntries.find((c) => c.configName === 'retention.ms');
    assert.deepEqual([retention?.configValue, retention?.isDefault], ['604800000', true]);
    const broker = described.resources.find((r) => r.resourceName === '2');
    assert.equal(broker?.errorCode, 0);
    assert.deepEqual(broker?.configEntries.map((c) => [c.configName, c.configValue, c.readOnly]).sort(), [['log.retention.ms', '604800000', false], ['node.id', '2', true]]);
  });

  it('KafkaJS deletes topics; every node drops them', async () => {
    await kafkajs.createTopics({ topics: [{ topic: 'kjs-doomed', numPartitions: 2 }] });
    await kafkajs.deleteTopics({ topics: ['kjs-doomed'] });
    await everyNode('every node dropped the topic', (s) => !s.image.topicsByName.has('kjs-doomed'));
    // UNKNOWN_TOPIC_OR_PARTITION, in KafkaJS's words (it retries it first, as it would against Kafka).
    await assert.rejects(kafkajs.deleteTopics({ topics: ['kjs-never-was'] }), /does not host this topic-partition/);
  });

  it('kcat -L lists a topic created through KafkaJS', async (t) => {
    const missing = await kcatMissing();
    if (missing !== undefined) return t.skip(missing);
    await kafkajs.createTopics({ topics: [{ topic: 'kcat-listed', numPartitions: 2, replicationFactor: 3 }] });
    // KafkaJS waited for the broker it asked; kcat may ask another one, which may replay a moment later.
    await everyNode('every node has the topic', (s) => s.image.topicsByName.has('kcat-listed'));
    const { stdout } = await run('kcat', ['-L', '-J', '-b', bootstrap()[1]!, '-t', 'kcat-listed', '-m', '10']);
    const listed = (JSON.parse(stdout) as KcatMetadata).topics.find((x) => x.topic === 'kcat-listed');
    assert.deepEqual(listed?.partitions.map((p) => [p.partition, p.replicas.length]), [[0, 3], [1, 3]], stdout);
  });

  it("@platformatic/kafka's Admin creates, alters, describes and deletes a topic", async () => {
    const admin = new PlatformaticAdmin({ clientId: 'flotilla-platformatic-admin', bootstrapBrokers: bootstrap(), retries: 5 });
    try {
      const [created] = await admin.createTopics({ topics: ['plat-events'], partitions: 2, replicas: 2 });
      assert.deepEqual([created?.name, created?.partitions, created?.replicas], ['plat-events', 2, 2]);
      assert.equal(created?.id, servers[0]!.image.topicsByName.get('plat-events')?.id ?? (await waitForTopicId(servers, 'plat-events')));
      assert.equal(created?.configuration['retention.ms'], '604800000');
      await assert.rejects(admin.createTopics({ topics: ['plat-events'], partitions: 1, replicas: 1 }));
      const topicResource = { resourceType: PlatformaticResourceTypes.TOPIC, resourceName: 'plat-events' };
      await admin.incrementalAlterConfigs({ resources: [{ ...topicResource, configs: [{ name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: '5000' }] }] });
      const [described] = await admin.describeConfigs({ resources: [{ ...topicResource, configurationKeys: ['retention.ms'] }], includeSynonyms: true });
      const retention = described?.configs.find((c) => c.name === 'retention.ms');
      assert.deepEqual([retention?.value, retention?.configSource, retention?.synonyms.map((s) => s.source)], ['5000', 1, [1, 5]]);
      await admin.deleteTopics({ topics: ['plat-events'] });
      await everyNode('every node dropped the topic', (s) => !s.image.topicsByName.has('plat-events'));
    } finally {
      await admin.close();
    }
  });
});

async function waitForTopicId(servers: readonly FlotillaServer[], name: string): Promise<string> {
  await waitUntil(`node 1 has ${name}`, () => servers[0]!.image.topicsByName.has(name));
  return servers[0]!.image.topicsByName.get(name)!.id;
}
