// The Kafka listener: ordered responses from out-of-order handlers, bounded frames, connections and
// in-flight requests, a malformed or unsupported request closing only its own connection, the
// ApiVersions fallback, and the Metadata handler over a hand-built image.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { handleRequest, type RequestHandler } from '../../src/broker/kafka/handlers.js';
import { KafkaListener } from '../../src/broker/kafka/listener.js';
import { handleMetadata } from '../../src/broker/kafka/metadata-handler.js';
import type { RequestContext } from '../../src/broker/kafka/context.js';
import { KAFKA_ERRORS } from '../../src/metadata/errors.js';
import { EMPTY_IMAGE, type BrokerRegistration, type MetadataImage, type TopicImage } from '../../src/metadata/image.js';
import { brokerEpoch, brokerId, incarnationId, leaderEpoch, partitionEpoch, partitionIndex, topicId, NO_LEADER } from '../../src/metadata/types.js';
import { API_KEYS, SUPPORTED_APIS } from '../../src/protocol/api-keys.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../../src/protocol/apis/api-versions.js';
import { decodeMetadataResponse, encodeMetadataRequest, ZERO_UUID, type MetadataRequest } from '../../src/protocol/apis/metadata.js';
import { readResponseHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { silentLogger } from '../../src/util/log.js';
import { FrameClient, requestFrame } from '../support/kafka-wire.js';

const ALL_TOPICS = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
const broker = (image: MetadataImage = EMPTY_IMAGE) => ({ clusterId: 'test-cluster', image: () => image, controllerId: () => 1 });

async function listen(options: { handler?: RequestHandler; frameBytesMax?: number; connectionsMax?: number; inFlightMax?: number; image?: MetadataImage } = {}): Promise<KafkaListener> {
  return KafkaListener.start({ listener: { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 }, broker: broker(options.image), log: silentLogger, ...options });
}

const apiVersionsFrame = (version: number, correlationId: number) =>
  requestFrame(API_KEYS.ApiVersions, version, correlationId, (w) => encodeApiVersionsRequest(w, version, { clientSoftwareName: 'test', clientSoftwareVersion: '0' }));
const metadataFrame = (version: number, correlationId: number, request: MetadataRequest) =>
  requestFrame(API_KEYS.Metadata, version, correlationId, (w) => encodeMetadataRequest(w, version, request));
const correlationOf = (frame: Buffer) => frame.readInt32BE(0);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Kafka listener', () => {
  const listeners: KafkaListener[] = [];
  const clients: FrameClient[] = [];
  const start = async (options: Parameters<typeof listen>[0] = {}) => {
    const l = await listen(options);
    listeners.push(l);
    return l;
  };
  const client = async (l: KafkaListener) => {
    const c = await FrameClient.connect({ host: '127.0.0.1', port: l.port });
    clients.push(c);
    return c;
  };
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(listeners.map((l) => l.close()));
  });

  it('answers ApiVersions v0-v3 from the table', async () => {
    const c = await client(await start());
    for (const v of [0, 1, 2, 3]) {
      c.send(apiVersionsFrame(v, 100 + v));
      const r = new Reader(await c.next());
      assert.equal(readResponseHeader(r, 0), 100 + v);
      const body = decodeApiVersionsResponse(r, v);
      r.expectEnd('response');
      assert.equal(body.errorCode, 0);
      assert.deepEqual(body.apiKeys, SUPPORTED_APIS.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })));
    }
  });

  it('answers an unsupported ApiVersions version with UNSUPPORTED_VERSION in the v0 format and keeps the connection', async () => {
    const c = await client(await start());
    c.send(requestFrame(18, 7, 5, (w) => void w.int32(12345), 2));
    const r = new Reader(await c.next());
    assert.equal(readResponseHeader(r, 0), 5);
    const body = decodeApiVersionsResponse(r, 0);
    r.expectEnd('v0 response');
    assert.equal(body.errorCode, KAFKA_ERRORS.UNSUPPORTED_VERSION.code);
    assert.ok(body.apiKeys.some((a) => a.apiKey === 18 && a.maxVersion === 3));
    c.send(apiVersionsFrame(0, 6));
    assert.equal(correlationOf(await c.next()), 6);
  });

  it('writes responses in request order even when handlers finish out of order', async () => {
    const handler: RequestHandler = async (request, context) => {
      await delay((10 - request.header.correlationId) * 15);
      return handleRequest(request, context);
    };
    const c = await client(await start({ handler }));
    c.send(Buffer.concat([1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => metadataFrame(id % 13, id, ALL_TOPICS))));
    const order: number[] = [];
    for (let i = 0; i < 9; i++) order.push(correlationOf(await c.next()));
    assert.deepEqual(order, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stops reading a connection at the in-flight bound and goes on once answers leave', async () => {
    let started = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler: RequestHandler = async (request, context) => {
      started++;
      await gate;
      return handleRequest(request, context);
    };
    const c = await client(await start({ handler, inFlightMax: 2 }));
    c.send(Buffer.concat([1, 2, 3, 4, 5].map((id) => metadataFrame(4, id, ALL_TOPICS))));
    await delay(100);
    assert.equal(started, 2);
    release();
    for (const id of [1, 2, 3, 4, 5]) assert.equal(correlationOf(await c.next()), id);
    assert.equal(started, 5);
  });

  it('stops reading a client that does not read its answers', async () => {
    let handled = 0;
    const topics = Array.from({ length: 20_000 }, (_, i) => ({ errorCode: 0, name: `topic-${i}`.padEnd(50, '.'), topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: 0 }));
    const handler: RequestHandler = async (request, context) => {
      handled++;
      const base = await handleRequest(request, context);
      return base?.api !== 'Metadata' ? base : { api: 'Metadata', body: { ...base.body, topics } };
    };
    const c = await client(await start({ handler }));
    c.socket.pause();
    c.send(Buffer.concat(Array.from({ length: 200 }, (_, id) => metadataFrame(4, id, ALL_TOPICS))));
    await delay(300);
    assert.ok(handled < 50, `handled ${handled} requests of 200 whose ~1 MB answers nobody reads`);
  });

  it('closes a connection that announces a frame above the limit (or a negative size)', async () => {
    const l = await start({ frameBytesMax: 1024 });
    const big = await client(l);
    const header = Buffer.alloc(4);
    header.writeInt32BE(1025);
    big.send(header);
    await big.closed;
    const negative = await client(l);
    negative.send(Buffer.from('ffffffff', 'hex'));
    await negative.closed;
    const ok = await client(l);
    ok.send(apiVersionsFrame(3, 1));
    assert.equal(correlationOf(await ok.next()), 1);
  });

  it('closes only the connection that sent a malformed request', async () => {
    const l = await start();
    const bad = await client(l);
    const good = await client(l);
    // Metadata v4 whose topic array claims 1000 entries in 5 bytes.
    bad.send(requestFrame(3, 4, 1, (w) => void w.int32(1000).int8(0)));
    await bad.closed;
    good.send(metadataFrame(12, 2, ALL_TOPICS));
    assert.equal(correlationOf(await good.next()), 2);
  });

  it('closes a connection asking for an API it does not serve (Produce)', async () => {
    const l = await start();
    const c = await client(l);
    c.send(requestFrame(0, 9, 1, (w) => void w.int16(1), 1));
    await c.closed;
    const other = await client(l);
    other.send(apiVersionsFrame(3, 1));
    assert.equal(correlationOf(await other.next()), 1);
  });

  it('refuses connections beyond the limit', async () => {
    const l = await start({ connectionsMax: 2 });
    const first = await client(l);
    const second = await client(l);
    const third = await client(l);
    await third.closed;
    first.send(apiVersionsFrame(0, 1));
    second.send(apiVersionsFrame(0, 2));
    assert.equal(correlationOf(await first.next()), 1);
    assert.equal(correlationOf(await second.next()), 2);
  });

  it('serves Metadata v0-v12 over the wire', async () => {
    const c = await client(await start({ image: sampleImage() }));
    for (let v = 0; v <= 12; v++) {
      c.send(metadataFrame(v, v, v === 0 ? { ...ALL_TOPICS, topics: [] } : ALL_TOPICS));
      const r = new Reader(await c.next());
      assert.equal(readResponseHeader(r, v >= 9 ? 1 : 0), v);
      const body = decodeMetadataResponse(r, v);
      r.expectEnd(`Metadata v${v}`);
      assert.deepEqual(body.brokers.map((b) => b.nodeId), [1, 2]);
      assert.deepEqual(body.topics.map((t) => t.name), ['orders']);
    }
  });
});

// ---- the Metadata handler over a hand-built image ----

const ORDERS = topicId('11111111-2222-3333-4444-555555555555');

function registration(id: number, fenced: boolean, port: number): BrokerRegistration {
  return {
    id: brokerId(id),
    incarnationId: incarnationId('00000000-0000-0000-0000-00000000000' + id),
    epoch: brokerEpoch(10 + id),
    endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }, { listener: 'INTERNAL', host: '127.0.0.1', port: port + 100, securityProtocol: 'PLAINTEXT' }],
    rack: id === 2 ? 'r2' : null,
    fenced,
  };
}

function sampleImage(): MetadataImage {
  const part = (replicas: number[], isr: number[], leader: number, epoch: number) => ({
    replicas: replicas.map(brokerId), isr: isr.map(brokerId), leader: leader === -1 ? NO_LEADER : brokerId(leader), leaderEpoch: leaderEpoch(epoch), partitionEpoch: partitionEpoch(epoch),
  });
  const orders: TopicImage = {
    name: 'orders',
    id: ORDERS,
    partitions: new Map([
      [partitionIndex(1), part([2, 3], [2], 2, 4)],
      [partitionIndex(0), part([1, 2, 3], [1, 2], 1, 7)],
      [partitionIndex(2), part([3], [3], -1, 9)],
    ]),
  };
  return {
    ...EMPTY_IMAGE,
    brokers: new Map([1, 2, 3].map((id) => [brokerId(id), registration(id, id === 3, 9090 + id)])),
    topicsById: new Map([[ORDERS, orders]]),
    topicsByName: new Map([['orders', orders]]),
  };
}

describe('Metadata handler', () => {
  const context = (listenerName = 'PLAINTEXT'): RequestContext => ({ image: sampleImage(), clusterId: 'cid', controllerId: 2, listenerName });

  it('lists unfenced brokers with their endpoint on the request listener, the cluster id and the controller', () => {
    const response = handleMetadata({ ...ALL_TOPICS, topics: [] }, context());
    assert.deepEqual(response.brokers, [{ nodeId: 1, host: '127.0.0.1', port: 9091, rack: null }, { nodeId: 2, host: '127.0.0.1', port: 9092, rack: 'r2' }]);
    assert.equal(response.clusterId, 'cid');
    assert.equal(response.controllerId, 2);
    assert.deepEqual(response.topics, []);
    assert.deepEqual(handleMetadata(ALL_TOPICS, context('INTERNAL')).brokers.map((b) => b.port), [9191, 9192]);
    assert.deepEqual(handleMetadata(ALL_TOPICS, context('OTHER')).brokers, []);
  });

  it('describes partitions in order: leader, epoch, replicas, ISR, fenced replicas offline, LEADER_NOT_AVAILABLE without a leader', () => {
    const [orders] = handleMetadata(ALL_TOPICS, context()).topics;
    assert.equal(orders?.errorCode, 0);
    assert.equal(orders?.topicId, ORDERS);
    assert.deepEqual(orders?.partitions, [
      { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 7, replicaNodes: [1, 2, 3], isrNodes: [1, 2], offlineReplicas: [3] },
      { errorCode: 0, partitionIndex: 1, leaderId: 2, leaderEpoch: 4, replicaNodes: [2, 3], isrNodes: [2], offlineReplicas: [3] },
      { errorCode: KAFKA_ERRORS.LEADER_NOT_AVAILABLE.code, partitionIndex: 2, leaderId: -1, leaderEpoch: 9, replicaNodes: [3], isrNodes: [3], offlineReplicas: [3] },
    ]);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for an unknown name and UNKNOWN_TOPIC_ID for an unknown id, creating nothing', () => {
    const response = handleMetadata({ ...ALL_TOPICS, allowAutoTopicCreation: true, topics: [{ topicId: ZERO_UUID, name: 'nope' }, { topicId: '99999999-2222-3333-4444-555555555555', name: null }, { topicId: ORDERS, name: null }] }, context());
    assert.deepEqual(response.topics.map((t) => [t.name, t.errorCode, t.partitions.length]), [
      ['nope', KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code, 0],
      [null, KAFKA_ERRORS.UNKNOWN_TOPIC_ID.code, 0],
      ['orders', 0, 3],
    ]);
  });
});

