// @platformatic/kafka 1.x against a real 3-node cluster: its producer writes 10,000 keyed records
// with headers at acks=-1, plain and idempotent, and its consumer reads them back. The consumer's
// stream API (consume()) always joins a consumer group, so the records come back through
// Consumer.fetch(), its groupless Fetch to one broker, from the partition leader; its
// listOffsets() checks the end offset, and listOffsetsWithTimestamps() the max-timestamp query.
//
// @platformatic/kafka 1.35 implements Fetch v12-v17 only and names the topic in v12's topic field
// with whatever `topicId` it is given: the topic's name for a broker whose Fetch stops at v12, its
// id from v13 on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { assertConsumed, CLIENT_DEADLINE_MS, createTopic, makeRecords, RECORD_COUNT, startCluster, uniqueTopic, type ConsumedRecord, type TestRecord } from './support.js';

const SEND_CHUNK = 1_000;
const FETCH_BYTES_MAX = 1024 * 1024;
const FETCH_WAIT_MS_MAX = 500;
/** The first Fetch version that names topics by id. */
const FETCH_TOPIC_IDS_FROM = 13;

interface BatchFacts {
  readonly firstOffset: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly firstSequence: number;
}

describe('@platformatic/kafka 1.x', { timeout: 4 * CLIENT_DEADLINE_MS }, () => {
  let cluster: LocalCluster;

  before(async () => {
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  const options = () => ({ clientId: 'flotilla-platformatic-test', bootstrapBrokers: cluster.bootstrapServers(), retries: 10, retryDelay: 250, autocreateTopics: false });

  it('listOffsetsWithTimestamps at -3 (ListOffsets v7, KIP-734): the first record carrying the largest timestamp', async () => {
    const topic = uniqueTopic('platformatic-max-timestamp');
    await createTopic(cluster, topic);
    const now = BigInt(Date.now());
    const timestamps = [now - 3000n, now, now - 1000n, now, now - 500n]; // the max first at offset 1
    const producer = new Producer(options());
    try {
      // acks per send: a non-idempotent producer of this client ignores the constructor's (it sends acks=1).
      await producer.send({ acks: ProduceAcks.ALL, messages: timestamps.map((timestamp, i) => ({ topic, partition: 0, value: Buffer.from(`v${i}`), timestamp })) });
    } finally {
      await producer.close();
    }
    const consumer = new Consumer({ ...options(), groupId: `unused-${topic}` });
    try {
      assert.equal((await consumer.listApis()).find((a) => a.name === 'ListOffsets')?.maxVersion, 7);
      const found = await consumer.listOffsetsWithTimestamps({ topics: [topic], timestamp: -3n });
      assert.deepEqual(found.get(topic)?.get(0), { offset: 1n, timestamp: now });
    } finally {
      await consumer.close();
    }
  });

  for (const idempotent of [false, true]) {
    it(`${idempotent ? 'idempotent ' : ''}producer at acks=-1, then the consumer's Fetch: ${RECORD_COUNT} records in order with offsets, keys, values and headers`, async () => {
      const topic = uniqueTopic(idempotent ? 'platformatic-idempotent' : 'platformatic');
      await createTopic(cluster, topic);
      const records = makeRecords({ seed: idempotent ? 4 : 3 });

      const producer = new Producer({ ...options(), acks: ProduceAcks.ALL, idempotent });
      try {
        await produceAll(producer, topic, records);
      } finally {
        await producer.close();
      }

      const consumer = new Consumer({ ...options(), groupId: `unused-${topic}` });
      try {
        const { read, batches } = await fetchAll(consumer, topic, RECORD_COUNT);
        assertConsumed(read, records);
        for (const b of batches) {
          if (idempotent) {
            assert.ok(b.producerId >= 0n && b.producerEpoch >= 0, `batch at ${b.firstOffset}: producer id ${b.producerId} epoch ${b.producerEpoch}`);
            assert.equal(b.firstSequence, b.firstOffset, `batch at ${b.firstOffset}: first sequence ${b.firstSequence}`);
          } else {
            assert.equal(b.producerId, -1n, `batch at ${b.firstOffset}: a plain producer has no producer id`);
          }
        }
        assert.equal(new Set(batches.map((b) => b.producerId)).size, 1);
        const end = await consumer.listOffsets({ topics: [topic] });
        assert.deepEqual(end.get(topic), [BigInt(RECORD_COUNT)]);
      } finally {
        await consumer.close();
      }
    });
  }
});

async function produceAll(producer: Producer, topic: string, records: readonly TestRecord[]): Promise<void> {
  for (let from = 0; from < records.length; from += SEND_CHUNK) {
    const messages = records.slice(from, from + SEND_CHUNK).map((r) => ({ topic, partition: 0, key: r.key, value: r.value, headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), v])) }));
    // acks per send: a non-idempotent producer of this client ignores the constructor's (it sends acks=1).
    const result = await producer.send({ acks: ProduceAcks.ALL, messages });
    assert.deepEqual(result.offsets, [{ topic, partition: 0, offset: BigInt(from) }], `the send of records ${from}..`);
  }
}

/** Reads partition 0 from offset 0 with Consumer.fetch() at its leader until `count` records arrived. */
async function fetchAll(consumer: Consumer, topic: string, count: number): Promise<{ read: ConsumedRecord[]; batches: BatchFacts[] }> {
  const apis = await consumer.listApis();
  const fetchVersionMax = apis.find((a) => a.name === 'Fetch')?.maxVersion ?? -1;
  const giveUpAt = Date.now() + CLIENT_DEADLINE_MS;
  const read: ConsumedRecord[] = [];
  const batches: BatchFacts[] = [];
  let next = 0n;
  while (read.length < count) {
    if (Date.now() > giveUpAt) throw new Error(`read ${read.length} of ${count} records of ${topic} within ${CLIENT_DEADLINE_MS} ms`);
    const metadata = await consumer.metadata({ topics: [topic], forceUpdate: read.length === 0 });
    const meta = metadata.topics.get(topic);
    assert.ok(meta, `metadata without ${topic}`);
    const leader = meta.partitions[0]?.leader ?? -1;
    const topicId = fetchVersionMax >= FETCH_TOPIC_IDS_FROM ? meta.id : topic;
    const response = await consumer.fetch({
      node: leader, maxWaitTime: FETCH_WAIT_MS_MAX, minBytes: 1, maxBytes: FETCH_BYTES_MAX,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: FETCH_BYTES_MAX, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
    });
    const partition = response.responses[0]?.partitions[0];
    assert.ok(partition, `Fetch response without ${topic}-0: ${JSON.stringify(response, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    assert.equal(partition.errorCode, 0, `Fetch ${topic}-0 at ${next} from broker ${leader}`);
    for (const batch of partition.records ?? []) {
      if (batch.firstOffset + BigInt(batch.lastOffsetDelta) < next) continue; // read before, served again whole
      batches.push({ firstOffset: Number(batch.firstOffset), producerId: batch.producerId, producerEpoch: batch.producerEpoch, firstSequence: batch.firstSequence });
      for (const r of batch.records) {
        const offset = batch.firstOffset + BigInt(r.offsetDelta);
        if (offset < next) continue; // the broker serves whole batches, which may begin before `next`
        read.push({ offset: Number(offset), key: r.key, value: r.value, headers: r.headers.map(([k, v]) => [k?.toString('utf8') ?? '', v] as const) });
        next = offset + 1n;
      }
    }
  }
  return { read, batches };
}
