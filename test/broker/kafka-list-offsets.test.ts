// ListOffsets through the broker's real path: a Kafka listener with the real handlers in front of a
// partition leader's ReplicaManager (replication harness: memory logs, followers fetching in
// process), asked over a socket with Flotilla's own codecs. The max-timestamp query (-3, v7,
// KIP-734) as Kafka answers a consumer: the first record carrying the largest timestamp, with the
// epoch of its batch; nothing (-1, -1) for an empty partition or a record not yet below the
// high-water mark; UNSUPPORTED_VERSION for the partition when asked below v7.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { handleRequest } from '../../src/broker/kafka/handlers.js';
import { KafkaListener } from '../../src/broker/kafka/listener.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { produceToPartition, type Acks } from '../../src/broker/replica/produce.js';
import { KAFKA_ERRORS } from '../../src/metadata/errors.js';
import { API_KEYS } from '../../src/protocol/api-keys.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest, LIST_OFFSETS_TIMESTAMP, type ListOffsetsResponsePartition } from '../../src/protocol/apis/list-offsets.js';
import { silentLogger } from '../../src/util/log.js';
import { KafkaConnection } from '../support/kafka-wire.js';
import { waitUntil } from '../support/wait.js';
import { ReplicationHarness } from './replication-support.js';

const TOPIC = 'events';
const { latest, earliest, maxTimestamp } = LIST_OFFSETS_TIMESTAMP;
const RESPONSE_DEADLINE_MS = 10_000;

/** One batch whose records carry `timestamps` in order. */
const stamped = (timestamps: readonly number[]): Buffer =>
  encodeBatch({ records: timestamps.map((timestamp, i) => ({ timestamp, key: null, value: Buffer.from(`v${i}`) })) });

describe('ListOffsets at a partition leader', { timeout: 60_000 }, () => {
  let h: ReplicationHarness;
  let listener: KafkaListener;
  let conn: KafkaConnection;
  let leaderEpoch: number;

  before(async () => {
    h = await ReplicationHarness.start([1, 2, 3]);
    await h.createTopic(TOPIC, 1, 3);
    leaderEpoch = h.registration(TOPIC).leaderEpoch;
    const data = { replicas: h.leaderOf(TOPIC), producerIds: { next: async () => ({ error: 'UNKNOWN_SERVER_ERROR' as const }) } };
    const broker = { clusterId: 'test-cluster', image: () => h.image, controllerId: () => 1, data };
    listener = await KafkaListener.start({ listener: { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }, broker, log: silentLogger, handler: handleRequest });
    conn = await KafkaConnection.connect({ host: '127.0.0.1', port: listener.port });
  });

  after(async () => {
    conn?.close();
    await listener?.close();
    await h?.stop();
  });

  /** The answer for partition 0 of TOPIC to ListOffsets `version` asking for `timestamp`. */
  async function listOffset(version: number, timestamp: number): Promise<ListOffsetsResponsePartition> {
    const request = { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] };
    const r = await conn.request(API_KEYS.ListOffsets, version, (w) => encodeListOffsetsRequest(w, version, request), RESPONSE_DEADLINE_MS);
    const response = decodeListOffsetsResponse(r, version);
    r.expectEnd(`ListOffsets v${version} response`);
    return response.topics[0]!.partitions[0]!;
  }

  const answer = (p: ListOffsetsResponsePartition) => ({ error: p.errorCode, offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch });
  const none = { error: 0, offset: -1, timestamp: -1, leaderEpoch: -1 };

  async function produce(timestamps: readonly number[], acks: Acks): Promise<void> {
    const r = await produceToPartition(h.leaderOf(TOPIC), TOPIC, 0, stamped(timestamps), acks, Date.now() + RESPONSE_DEADLINE_MS);
    assert.equal(r.error, 'NONE', r.errorMessage);
  }

  const highWatermark = () => h.leaderOf(TOPIC).partition(h.image.topicsByName.get(TOPIC)!.id, 0)!.highWatermark;

  it('an empty partition has no max-timestamp record', async () => {
    assert.deepEqual(answer(await listOffset(7, maxTimestamp)), none);
  });

  it('v7 -3 answers the first record carrying the largest timestamp, not its batch\'s last offset', async () => {
    await produce([100, 300, 200], -1); // offsets 0-2
    await produce([500, 700, 650, 700], -1); // 3-6: the max is first at 4
    await produce([700, 100], -1); // 7-8: a tie, later
    await produce([600], -1); // 9
    assert.deepEqual(answer(await listOffset(7, maxTimestamp)), { error: 0, offset: 4, timestamp: 700, leaderEpoch });
    assert.deepEqual(answer(await listOffset(7, latest)), { error: 0, offset: 10, timestamp: -1, leaderEpoch });
    assert.deepEqual(answer(await listOffset(7, earliest)), { error: 0, offset: 0, timestamp: -1, leaderEpoch });
  });

  it('below v7 the max-timestamp query is refused for the partition with UNSUPPORTED_VERSION', async () => {
    const refused = { error: KAFKA_ERRORS.UNSUPPORTED_VERSION.code, offset: -1, timestamp: -1, leaderEpoch: -1 };
    for (const v of [1, 4, 6]) assert.deepEqual(answer(await listOffset(v, maxTimestamp)), refused, `v${v}`);
    const v0 = await listOffset(0, maxTimestamp);
    assert.deepEqual([v0.errorCode, v0.oldStyleOffsets], [KAFKA_ERRORS.UNSUPPORTED_VERSION.code, []]);
    assert.deepEqual(answer(await listOffset(6, latest)), { error: 0, offset: 10, timestamp: -1, leaderEpoch });
  });

  it('a max-timestamp record at or above the high-water mark is not answered until it is committed', async () => {
    const followers = [...h.managers.keys()].filter((id) => id !== h.registration(TOPIC).leader);
    for (const id of followers) h.isolate(id);
    await produce([900, 950], 1); // offsets 10-11, on the leader alone
    assert.equal(highWatermark(), 10);
    assert.deepEqual(answer(await listOffset(7, maxTimestamp)), none);
    assert.deepEqual(answer(await listOffset(7, latest)), { error: 0, offset: 10, timestamp: -1, leaderEpoch });
    await h.heal();
    await waitUntil('the HW passes the new batch', () => highWatermark() === 12);
    assert.deepEqual(answer(await listOffset(7, maxTimestamp)), { error: 0, offset: 11, timestamp: 950, leaderEpoch });
  });
});
