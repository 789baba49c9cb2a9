// KafkaJS 2.2.4 against a real 3-node cluster: its admin client creates, describes and deletes an
// RF 3 topic; its producer writes 10,000 keyed records with headers at acks=-1, plain and
// idempotent. KafkaJS cannot consume without a consumer group, so the records are read back with
// a raw Fetch through Flotilla's own codecs (raw-kafka.ts), which also shows the batches' producer
// ids and sequence numbers; KafkaJS's admin checks the offsets through ListOffsets.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Kafka, logLevel, Partitioners, type LogEntry, type Message, type Producer } from 'kafkajs';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { waitUntil } from '../support/wait.js';
import { readPartition } from './raw-kafka.js';
import { assertConsumed, CLIENT_DEADLINE_MS, CLUSTER_DEADLINE_MS, createTopic, makeRecords, RECORD_COUNT, REPLICATION_FACTOR, startCluster, uniqueTopic, type TestRecord } from './support.js';

/** Records per producer.send(): ten requests of a thousand records each. */
const SEND_CHUNK = 1_000;
const LOG_LINES_SHOWN = 30;
const LEVEL_NAMES: Record<number, string> = { [logLevel.ERROR]: 'ERROR', [logLevel.WARN]: 'WARN', [logLevel.INFO]: 'INFO', [logLevel.DEBUG]: 'DEBUG' };

describe('KafkaJS 2.2.4', { timeout: 5 * CLIENT_DEADLINE_MS }, () => {
  let cluster: LocalCluster;
  const logs: string[] = [];

  const kafka = () =>
    new Kafka({
      clientId: 'flotilla-kafkajs-test',
      brokers: cluster.bootstrapServers(),
      retry: { retries: 10 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => void logs.push(`${LEVEL_NAMES[entry.level] ?? entry.level} ${entry.namespace}: ${entry.log.message} ${JSON.stringify({ ...entry.log, message: undefined, timestamp: undefined })}`),
    });

  /** Runs `body`; on failure, shows KafkaJS's own warnings and errors beside the assertion. */
  async function withLogs(t: TestContext, body: () => Promise<void>): Promise<void> {
    const from = logs.length;
    try {
      await body();
    } catch (error) {
      for (const line of logs.slice(from).slice(-LOG_LINES_SHOWN)) t.diagnostic(line);
      throw error;
    }
  }

  before(async () => {
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('admin: createTopics (RF 3), fetchTopicMetadata, listTopics, deleteTopics', async (t) => {
    await withLogs(t, async () => {
      const topic = uniqueTopic('kafkajs-admin');
      const admin = kafka().admin();
      await admin.connect();
      try {
        assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: REPLICATION_FACTOR }], waitForLeaders: true }), true);
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        assert.equal(topics.length, 1);
        const partitions = [...(topics[0]?.partitions ?? [])].sort((a, b) => a.partitionId - b.partitionId);
        assert.deepEqual(partitions.map((p) => p.partitionId), [0, 1, 2]);
        for (const p of partitions) {
          assert.equal(p.replicas.length, REPLICATION_FACTOR, `partition ${p.partitionId} replicas ${p.replicas}`);
          assert.ok(p.replicas.includes(p.leader), `partition ${p.partitionId}: leader ${p.leader} is one of its replicas ${p.replicas}`);
        }
        await waitUntil(`every replica of ${topic} in sync`, async () => {
          const md = await admin.fetchTopicMetadata({ topics: [topic] });
          return (md.topics[0]?.partitions ?? []).every((p) => p.isr.length === REPLICATION_FACTOR);
        }, CLUSTER_DEADLINE_MS, 100);
        assert.ok((await admin.listTopics()).includes(topic));
        // KafkaJS answers false, not an error, when the topic already exists.
        assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: REPLICATION_FACTOR }] }), false);
        await admin.deleteTopics({ topics: [topic] });
        await waitUntil(`${topic} gone from listTopics`, async () => !(await admin.listTopics()).includes(topic), CLUSTER_DEADLINE_MS, 100);
      } finally {
        await admin.disconnect();
      }
    });
  });

  for (const idempotent of [false, true]) {
    it(`${idempotent ? 'idempotent ' : ''}producer: ${RECORD_COUNT} records at acks=-1 read back in order with their offsets, keys, values and headers`, async (t) => {
      await withLogs(t, async () => {
        const topic = uniqueTopic(idempotent ? 'kafkajs-idempotent' : 'kafkajs');
        await createTopic(cluster, topic);
        const records = makeRecords({ seed: idempotent ? 2 : 1 });
        const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent, ...(idempotent ? { maxInFlightRequests: 1 } : {}) });
        await producer.connect();
        try {
          await produceAll(producer, topic, records);
        } finally {
          await producer.disconnect();
        }

        const read = await readPartition(cluster.bootstrapServers(), topic, 0, RECORD_COUNT, CLIENT_DEADLINE_MS);
        assertConsumed(read.records, records);
        assert.equal(read.highWatermark, RECORD_COUNT);
        for (const r of read.records) {
          if (idempotent) {
            // One producer, one partition: sequence numbers start at 0 and follow the offsets.
            assert.ok(r.batch.producerId >= 0 && r.batch.producerEpoch >= 0, `offset ${r.offset}: producer id ${r.batch.producerId} epoch ${r.batch.producerEpoch}`);
            assert.equal(r.batch.baseSequence, r.batch.baseOffset, `offset ${r.offset}: base sequence ${r.batch.baseSequence} of the batch at ${r.batch.baseOffset}`);
          } else {
            assert.equal(r.batch.producerId, -1, `offset ${r.offset}: a plain producer has no producer id`);
          }
        }
        const ids = new Set(read.records.map((r) => r.batch.producerId));
        assert.equal(ids.size, 1, `producer ids ${[...ids]}`);

        const admin = kafka().admin();
        await admin.connect();
        try {
          assert.deepEqual(await admin.fetchTopicOffsets(topic), [{ partition: 0, offset: String(RECORD_COUNT), high: String(RECORD_COUNT), low: '0' }]);
        } finally {
          await admin.disconnect();
        }
      });
    });
  }
});

/** Sends `records` to partition 0 in chunks, one acknowledged send after another, checking each base offset. */
async function produceAll(producer: Producer, topic: string, records: readonly TestRecord[]): Promise<void> {
  for (let from = 0; from < records.length; from += SEND_CHUNK) {
    const messages: Message[] = records.slice(from, from + SEND_CHUNK).map((r) => ({ partition: 0, key: r.key, value: r.value, headers: Object.fromEntries(r.headers) }));
    const metadata = await producer.send({ topic, acks: -1, messages });
    assert.equal(metadata.length, 1);
    assert.equal(metadata[0]?.errorCode, 0);
    assert.equal(metadata[0]?.baseOffset, String(from), `the send of records ${from}.. was acknowledged at base offset ${metadata[0]?.baseOffset}`);
  }
}
