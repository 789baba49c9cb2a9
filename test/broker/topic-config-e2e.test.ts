// Topic configs changed through IncrementalAlterConfigs reach the open log of a live partition: one
// combined FlotillaServer (disk logs), KafkaJS producing and @platformatic/kafka's Admin altering
// segment.bytes, retention.bytes and retention.ms. The new segment size shows at the next roll, the
// new retention at once (the replica manager checks a topic whose retention changed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import type { Partition } from '../../src/broker/replica/partition.js';
import type { FlotillaServer } from '../../src/server/server.js';
import { InProcessCluster } from '../support/in-process-cluster.js';
import { waitUntil } from '../support/wait.js';
import { readAll } from './log-support.js';

const TOPIC = 'live-config';

describe('IncrementalAlterConfigs on a live topic', { timeout: 120_000 }, () => {
  let cluster: InProcessCluster;
  let server: FlotillaServer;
  let producer: Producer;
  let admin: Admin;

  before(async () => {
    cluster = await InProcessCluster.create({ controllers: [1], config: { brokerHeartbeatIntervalMs: 100 } });
    server = await cluster.start(1);
    await waitUntil('an unfenced broker', () => [...server.image.brokers.values()].some((b) => !b.fenced));
    const bootstrap = [`127.0.0.1:${server.kafkaListeners[0]?.port}`];
    const kafka = new Kafka({ clientId: 'flotilla-config-test', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    assert.equal(await kafkaAdmin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }), true);
    await kafkaAdmin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    admin = new Admin({ clientId: 'flotilla-config-admin', bootstrapBrokers: bootstrap, retries: 5 });
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.close();
    await cluster?.close();
  });

  const partition = (): Partition => server.replicas!.partition(server.image.topicsByName.get(TOPIC)!.id, 0)!;
  const log = (): DiskPartitionLog => partition().log as DiskPartitionLog;
  /** One batch per send, all the same size (fixed-width key and value). */
  const send = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: 'k', value: `value-${String(i).padStart(6, '0')}` }] });
  };
  const alter = (name: string, value: string) =>
    admin.incrementalAlterConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: TOPIC, configs: [{ name, configOperation: IncrementalAlterConfigOperationTypes.SET, value }] }] });

  it('segment.bytes rolls at the new size, retention.bytes and retention.ms delete at once', async () => {
    await send(1);
    const batchBytes = (await readAll(log())).length;
    await send(5);
    assert.deepEqual(log().segmentBaseOffsets, [0], 'a gigabyte segment holds them all');

    await alter('segment.bytes', String(batchBytes * 3));
    await waitUntil('the log has the new segment.bytes', () => log().config.segmentBytesMax === batchBytes * 3);
    await send(6);
    // The six-batch segment rolls at the first append after the change, then every three batches.
    assert.deepEqual(log().segmentBaseOffsets, [0, 6, 9]);

    await alter('retention.bytes', String(batchBytes * 3));
    // Dropping [0..5] leaves six batches, dropping [6..8] too leaves three: still retention.bytes.
    await waitUntil('retention.bytes deleted the two oldest segments', () => log().logStartOffset === 9);
    assert.deepEqual(log().segmentBaseOffsets, [9]);
    assert.ok(log().logStartOffset <= partition().highWatermark);

    await new Promise((resolve) => setTimeout(resolve, 20)); // every batch older than 1 ms
    await alter('retention.ms', '1');
    await waitUntil('retention.ms deleted everything below the HW, the active segment included', () => log().logStartOffset === 12);
    assert.deepEqual([log().logEndOffset, partition().highWatermark], [12, 12]);
    await send(1);
    assert.equal(log().logEndOffset, 13, 'the emptied log still takes appends');
  });
});
