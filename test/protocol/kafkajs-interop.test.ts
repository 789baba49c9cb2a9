// The data-path codecs against a real client's own encoders and decoders: KafkaJS 2.2.4 (a dev
// dependency) builds Produce, Fetch, ListOffsets and InitProducerId requests at the versions it
// sends, our decoders read them; our responses go through KafkaJS's decoders. The Fetch response
// serves the record batch KafkaJS itself produced, split into slices, and KafkaJS reads the
// message back out of it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { decodeFetchRequest, encodeFetchResponse, type FetchResponse } from '../../src/protocol/apis/fetch.js';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js';
import { decodeProduceRequest, encodeProduceResponse } from '../../src/protocol/apis/produce.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const require = createRequire(import.meta.url);

/** The shape of a KafkaJS request module: arguments in, an encoder with the body bytes out. */
type KafkaJsRequest<A> = (args: A) => { readonly apiVersion: number; encode(): Promise<{ readonly buffer: Buffer }> };
type KafkaJsResponse<T> = { decode(raw: Buffer): Promise<T> };

const kafkajs = <T>(path: string): T => require(`kafkajs/src/protocol/requests/${path}`) as T;

async function body<A>(path: string, args: A): Promise<Buffer> {
  return (await kafkajs<KafkaJsRequest<A>>(`${path}/request.js`)(args).encode()).buffer;
}

function ours(encode: (w: Writer) => void): Buffer {
  const w = new Writer();
  encode(w);
  return Buffer.concat(w.chunks());
}

interface ProduceArgs { acks: number; timeout: number; topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: Array<{ key: string; value: string; timestamp: string }> }> }> }
const produceArgs: ProduceArgs = { acks: -1, timeout: 30_000, topicData: [{ topic: 'orders', partitions: [{ partition: 2, messages: [{ key: 'k1', value: 'hello', timestamp: '1700000000000' }] }] }] };

/** KafkaJS's own RecordBatch v2 for produceArgs, as our Produce decoder hands it over. */
async function kafkaJsBatch(): Promise<Buffer> {
  const records = decodeProduceRequest(new Reader(await body('produce/v7', produceArgs)), 7).topicData[0]!.partitionData[0]!.records;
  assert.ok(records !== null);
  return records;
}

describe('interop with KafkaJS 2.2.4', () => {
  for (const v of [3, 7]) {
    it(`Produce v${v}: its request decodes; our response decodes in KafkaJS`, async () => {
      const r = new Reader(await body(`produce/v${v}`, produceArgs));
      const request = decodeProduceRequest(r, v);
      r.expectEnd('produce');
      assert.equal(request.transactionalId, null);
      assert.equal(request.acks, -1);
      assert.equal(request.timeoutMs, 30_000);
      const partition = request.topicData[0]!.partitionData[0]!;
      assert.equal(request.topicData[0]!.name, 'orders');
      assert.equal(partition.index, 2);
      // RecordBatch v2: magic byte 2 at offset 16, batchLength (offset 8) counts from offset 12.
      assert.equal(partition.records![16], 2);
      assert.equal(partition.records!.readInt32BE(8) + 12, partition.records!.length);

      const raw = ours((w) => encodeProduceResponse(w, v, { responses: [{ name: 'orders', partitionResponses: [
        { index: 2, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1, logStartOffset: 5, recordErrors: [], errorMessage: null },
      ] }], throttleTimeMs: 0 }));
      type Decoded = { topics: Array<{ topicName: string; partitions: Array<{ partition: number; errorCode: number; baseOffset: string; logStartOffset?: string }> }> };
      const decoded = await kafkajs<KafkaJsResponse<Decoded>>(`produce/v${v}/response.js`).decode(raw);
      const p = decoded.topics[0]!.partitions[0]!;
      assert.equal(decoded.topics[0]!.topicName, 'orders');
      assert.deepEqual([p.partition, p.errorCode, p.baseOffset], [2, 0, String(2 ** 40)]);
      if (v >= 5) assert.equal(p.logStartOffset, '5');
    });
  }

  for (const v of [4, 11]) {
    it(`Fetch v${v}: its request decodes; our sliced records decode in KafkaJS`, async () => {
      const args = { replicaId: -1, maxWaitTime: 100, minBytes: 1, maxBytes: 1_000_000, rackId: 'r', topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '7', maxBytes: 4096 }] }] };
      const r = new Reader(await body(`fetch/v${v}`, args));
      const request = decodeFetchRequest(r, v);
      r.expectEnd('fetch');
      assert.deepEqual([request.replicaId, request.maxWaitMs, request.minBytes, request.maxBytes, request.isolationLevel], [-1, 100, 1, 1_000_000, 1]);
      assert.equal(request.rackId, v >= 11 ? 'r' : '');
      const partition = request.topics[0]!.partitions[0]!;
      assert.deepEqual([request.topics[0]!.topic, partition.partition, partition.fetchOffset, partition.partitionMaxBytes], ['orders', 2, 7, 4096]);

      const batch = await kafkaJsBatch();
      const response: FetchResponse = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: 'orders', partitions: [{
        partitionIndex: 2, errorCode: 0, highWatermark: 8, lastStableOffset: 8, logStartOffset: 0, abortedTransactions: [], preferredReadReplica: -1,
        records: [batch.subarray(0, 20), batch.subarray(20)],
      }] }] };
      type Decoded = { responses: Array<{ topicName: string; partitions: Array<{ highWatermark: string; messages: Array<{ key: Buffer; value: Buffer }> }> }> };
      const decoded = await kafkajs<KafkaJsResponse<Decoded>>(`fetch/v${v}/response.js`).decode(ours((w) => encodeFetchResponse(w, v, response)));
      const p = decoded.responses[0]!.partitions[0]!;
      assert.equal(p.highWatermark, '8');
      assert.deepEqual(p.messages.map((m) => [m.key.toString(), m.value.toString()]), [['k1', 'hello']]);
    });
  }

  for (const v of [1, 3]) {
    it(`ListOffsets v${v}: its request decodes; our response decodes in KafkaJS`, async () => {
      const args = { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 2, timestamp: -2 }] }] };
      const r = new Reader(await body(`listOffsets/v${v}`, args));
      const request = decodeListOffsetsRequest(r, v);
      r.expectEnd('list offsets');
      assert.deepEqual(request.topics[0]!.partitions[0], { partitionIndex: 2, currentLeaderEpoch: -1, timestamp: -2, maxNumOffsets: 1 });
      assert.equal(request.isolationLevel, v >= 2 ? 1 : 0);

      const raw = ours((w) => encodeListOffsetsResponse(w, v, { throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [
        { partitionIndex: 2, errorCode: 0, oldStyleOffsets: [], timestamp: -1, offset: 2 ** 35, leaderEpoch: -1 },
      ] }] }));
      type Decoded = { responses: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> };
      const decoded = await kafkajs<KafkaJsResponse<Decoded>>(`listOffsets/v${v}/response.js`).decode(raw);
      assert.deepEqual(decoded.responses[0]!.partitions[0], { partition: 2, errorCode: 0, timestamp: '-1', offset: String(2 ** 35) });
    });
  }

  for (const v of [0, 1]) {
    it(`InitProducerId v${v}: its idempotent request decodes; our response decodes in KafkaJS`, async () => {
      const r = new Reader(await body(`initProducerId/v${v}`, { transactionalId: null, transactionTimeout: 60_000 }));
      assert.deepEqual(decodeInitProducerIdRequest(r, v), { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      r.expectEnd('init producer id');
      const raw = ours((w) => encodeInitProducerIdResponse(w, v, { throttleTimeMs: 0, errorCode: 0, producerId: 4001, producerEpoch: 0 }));
      const decoded = await kafkajs<KafkaJsResponse<{ producerId: string; producerEpoch: number }>>(`initProducerId/v${v}/response.js`).decode(raw);
      assert.deepEqual([decoded.producerId, decoded.producerEpoch], ['4001', 0]);
    });
  }
});
