// Typed requests over a KafkaConnection (kafka-wire.ts), one helper per API the tests, the chaos
// agents and the benchmark send, each at one non-flexible version: the same RecordBatch v2 bytes
// reach the broker's hot path in every version, and fewer moving parts stay on the client's side.
// Every answer is decoded whole: trailing bytes mean the version was misread, and throw.
//
// Produce and Fetch bodies are built apart from sending them (produceBody, fetchBody), so a
// throughput loop encodes a body once and sends the same bytes again and again.
import { API_KEYS } from '../../src/protocol/api-keys.js';
import { decodeCreateTopicsResponse, encodeCreateTopicsRequest, type CreateTopicsRequest, type CreateTopicsResponse } from '../../src/protocol/apis/create-topics.js';
import { decodeFetchResponse, encodeFetchRequest, type FetchResponse } from '../../src/protocol/apis/fetch.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest, type InitProducerIdRequest, type InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { decodeMetadataResponse, encodeMetadataRequest, ZERO_UUID, type MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { decodeProduceResponse, encodeProduceRequest, type ProduceResponse } from '../../src/protocol/apis/produce.js';
import type { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import type { KafkaConnection } from './kafka-wire.js';

/** Leader epochs in partitions (v7+), not yet flexible. */
export const METADATA_VERSION = 8;
export const CREATE_TOPICS_VERSION = 4;
export const PRODUCE_VERSION = 8;
/** KafkaJS's Fetch version. */
export const FETCH_VERSION = 11;
export const INIT_PRODUCER_ID_VERSION = 1;

/** Decodes a whole response body with `decode`, throwing on bytes left over. */
function whole<T>(r: Reader, decode: (r: Reader, version: number) => T, version: number, what: string): T {
  const decoded = decode(r, version);
  r.expectEnd(`${what} v${version} response`);
  return decoded;
}

/** Metadata of the named `topics` (none: brokers only), never creating a topic. */
export async function requestMetadata(conn: KafkaConnection, topics: readonly string[], timeoutMs?: number): Promise<MetadataResponse> {
  const request = {
    topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  const r = await conn.request(API_KEYS.Metadata, METADATA_VERSION, (w) => encodeMetadataRequest(w, METADATA_VERSION, request), timeoutMs);
  return whole(r, decodeMetadataResponse, METADATA_VERSION, 'Metadata');
}

export async function requestCreateTopics(conn: KafkaConnection, request: CreateTopicsRequest, timeoutMs?: number): Promise<CreateTopicsResponse> {
  const r = await conn.request(API_KEYS.CreateTopics, CREATE_TOPICS_VERSION, (w) => encodeCreateTopicsRequest(w, CREATE_TOPICS_VERSION, request), timeoutMs);
  return whole(r, decodeCreateTopicsResponse, CREATE_TOPICS_VERSION, 'CreateTopics');
}

export async function requestInitProducerId(conn: KafkaConnection, request: InitProducerIdRequest, timeoutMs?: number): Promise<InitProducerIdResponse> {
  const r = await conn.request(API_KEYS.InitProducerId, INIT_PRODUCER_ID_VERSION, (w) => encodeInitProducerIdRequest(w, INIT_PRODUCER_ID_VERSION, request), timeoutMs);
  return whole(r, decodeInitProducerIdResponse, INIT_PRODUCER_ID_VERSION, 'InitProducerId');
}

/** A Produce body: one topic, one RecordBatch (or several, concatenated) per partition. */
export function produceBody(topic: string, acks: number, timeoutMs: number, batches: ReadonlyMap<number, Buffer>): Buffer {
  const w = new Writer();
  encodeProduceRequest(w, PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: topic, partitionData: [...batches].map(([index, records]) => ({ index, records })) }],
  });
  return Buffer.from(w.written);
}

/** Sends a body from produceBody() as it is. */
export function requestProduce(conn: KafkaConnection, body: Buffer, timeoutMs?: number): Promise<ProduceResponse> {
  return conn.send(API_KEYS.Produce, PRODUCE_VERSION, body, timeoutMs).then((r) => whole(r, decodeProduceResponse, PRODUCE_VERSION, 'Produce'));
}

export interface FetchPosition {
  readonly partition: number;
  readonly offset: number;
  /** The leader epoch the reader believes current; the leader fences an older one. Default -1: unchecked. */
  readonly leaderEpoch?: number;
}

export interface FetchLimits {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** Per partition; the request's max_bytes is this times the partitions. */
  readonly partitionMaxBytes: number;
}

/** A consumer's Fetch body (replica id -1, read uncommitted, no session). */
export function fetchBody(topic: string, positions: readonly FetchPosition[], limits: FetchLimits): Buffer {
  const w = new Writer();
  encodeFetchRequest(w, FETCH_VERSION, {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: limits.maxWaitMs,
    minBytes: limits.minBytes,
    maxBytes: limits.partitionMaxBytes * positions.length,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic,
      partitions: positions.map((p) => ({
        partition: p.partition, currentLeaderEpoch: p.leaderEpoch ?? -1, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: limits.partitionMaxBytes,
      })),
    }],
    forgottenTopicsData: [],
    rackId: '',
  });
  return Buffer.from(w.written);
}

/** Sends a body from fetchBody() as it is. */
export function requestFetch(conn: KafkaConnection, body: Buffer, timeoutMs?: number): Promise<FetchResponse> {
  return conn.send(API_KEYS.Fetch, FETCH_VERSION, body, timeoutMs).then((r) => whole(r, decodeFetchResponse, FETCH_VERSION, 'Fetch'));
}
