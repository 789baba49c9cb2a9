// A reader that needs no Kafka client library: Metadata and Fetch through Flotilla's own codecs
// over a plain socket, record batches through the log's own decoder. Used to read back what a
// client that cannot consume without a consumer group (KafkaJS) produced, and to see batch-level
// facts no consumer API exposes (producer id, epoch, base sequence).
import { decodeFetchResponse, encodeFetchRequest, fetchRecordsBytes, type FetchResponsePartition } from '../../src/protocol/apis/fetch.js';
import { decodeMetadataResponse, encodeMetadataRequest, ZERO_UUID, type MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { readResponseHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import type { Writer } from '../../src/protocol/writer.js';
import { BATCH_HEADER_BYTES, checkBatch, COMPRESSION_MASK, readBatchHeader, type BatchHeader } from '../../src/broker/log/record-batch.js';
import { decodeRecords } from '../../src/broker/log/records.js';
import { requestFrame, TestClient } from '../broker/kafka-client.js';
import type { ConsumedRecord } from './support.js';

const METADATA_KEY = 3;
const METADATA_VERSION = 1;
const FETCH_KEY = 1;
/** KafkaJS's Fetch version; not flexible, so request header v1 and response header v0. */
const FETCH_VERSION = 11;
const FETCH_WAIT_MS_MAX = 500;
const FETCH_BYTES_MAX = 1024 * 1024;
const RESPONSE_DEADLINE_MS = 30_000;
const NOT_LEADER_OR_FOLLOWER = 6;
const LEADER_NOT_AVAILABLE = 5;
const UNKNOWN_LEADER_EPOCH = 79;

let correlation = 0;

/** One request on `client`, one response back within RESPONSE_DEADLINE_MS; a non-flexible API. */
async function call<T>(client: TestClient, apiKey: number, version: number, body: (w: Writer) => void, decode: (r: Reader) => T): Promise<T> {
  const correlationId = ++correlation;
  client.send(requestFrame(apiKey, version, correlationId, body));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no response to api ${apiKey} v${version} within ${RESPONSE_DEADLINE_MS} ms`)), RESPONSE_DEADLINE_MS);
  });
  const closed = client.closed.then(() => Promise.reject(new Error(`the broker closed the connection instead of answering api ${apiKey} v${version}`)));
  try {
    const frame = await Promise.race([client.next(), deadline, closed]);
    const r = new Reader(frame);
    const got = readResponseHeader(r, 0);
    if (got !== correlationId) throw new Error(`response correlation id ${got}, expected ${correlationId}`);
    const decoded = decode(r);
    r.expectEnd(`api ${apiKey} v${version} response`);
    return decoded;
  } finally {
    clearTimeout(timer);
  }
}

function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${address}`);
  return port;
}

async function withConnection<T>(port: number, use: (client: TestClient) => Promise<T>): Promise<T> {
  const client = await TestClient.connect(port);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** Metadata v1 for `topics` from the broker at host:port. */
export function fetchMetadata(address: string, topics: readonly string[]): Promise<MetadataResponse> {
  const request = { topics: topics.map((name) => ({ topicId: ZERO_UUID, name })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  return withConnection(portOf(address), (client) =>
    call(client, METADATA_KEY, METADATA_VERSION, (w) => encodeMetadataRequest(w, METADATA_VERSION, request), (r) => decodeMetadataResponse(r, METADATA_VERSION)),
  );
}

/** A record as read, with the header of the batch that held it. */
export interface RawRecord extends ConsumedRecord {
  readonly batch: BatchHeader;
}

export interface PartitionRead {
  readonly records: RawRecord[];
  /** The high-water mark of the last Fetch answer. */
  readonly highWatermark: number;
  readonly leaderId: number;
}

/** The leader's port of `topic`/`partition`, asked of any broker in `bootstrap`. */
async function leaderOf(bootstrap: readonly string[], topic: string, partition: number): Promise<{ leaderId: number; port: number }> {
  for (const address of bootstrap) {
    const md = await fetchMetadata(address, [topic]).catch(() => undefined);
    const p = md?.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
    const broker = md?.brokers.find((b) => b.nodeId === p?.leaderId);
    if (p && p.errorCode === 0 && broker) return { leaderId: broker.nodeId, port: broker.port };
  }
  throw new Error(`no broker of ${bootstrap.join(',')} knows a leader for ${topic}-${partition}`);
}

/**
 * Reads `topic`/`partition` from offset 0 with Fetch v11 (replica id -1, a consumer) from its
 * leader until `count` records have arrived, or throws at `deadlineMs`. Follows a leader change.
 */
export async function readPartition(bootstrap: readonly string[], topic: string, partition: number, count: number, deadlineMs = 120_000): Promise<PartitionRead> {
  const giveUpAt = Date.now() + deadlineMs;
  const records: RawRecord[] = [];
  let highWatermark = -1;
  let nextOffset = 0;
  let last = 'nothing fetched yet';
  while (records.length < count) {
    if (Date.now() > giveUpAt) throw new Error(`read ${records.length} of ${count} records of ${topic}-${partition} within ${deadlineMs} ms (last: ${last})`);
    const { leaderId, port } = await leaderOf(bootstrap, topic, partition);
    const client = await TestClient.connect(port);
    try {
      while (records.length < count && Date.now() <= giveUpAt) {
        const p = await fetchOnce(client, topic, partition, nextOffset);
        highWatermark = p.highWatermark;
        if (p.errorCode === NOT_LEADER_OR_FOLLOWER || p.errorCode === LEADER_NOT_AVAILABLE || p.errorCode === UNKNOWN_LEADER_EPOCH) {
          last = `error ${p.errorCode} from broker ${leaderId}`;
          break;
        }
        if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition} at offset ${nextOffset} from broker ${leaderId}: error code ${p.errorCode}`);
        const fetched = recordsOf(fetchRecordsBytes(p.records), nextOffset);
        records.push(...fetched);
        nextOffset = (fetched.at(-1)?.offset ?? nextOffset - 1) + 1;
        last = `high-water mark ${highWatermark}, ${records.length} records read`;
      }
      if (records.length >= count) return { records, highWatermark, leaderId };
    } finally {
      client.close();
    }
  }
  throw new Error('unreachable');
}

async function fetchOnce(client: TestClient, topic: string, partition: number, fetchOffset: number): Promise<FetchResponsePartition> {
  const request = {
    clusterId: null, replicaId: -1, maxWaitMs: FETCH_WAIT_MS_MAX, minBytes: 1, maxBytes: FETCH_BYTES_MAX, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_BYTES_MAX }] }],
    forgottenTopicsData: [], rackId: '',
  };
  const response = await call(client, FETCH_KEY, FETCH_VERSION, (w) => encodeFetchRequest(w, FETCH_VERSION, request), (r) => decodeFetchResponse(r, FETCH_VERSION));
  if (response.errorCode !== 0) throw new Error(`Fetch: top-level error code ${response.errorCode}`);
  const p = response.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (p === undefined) throw new Error(`Fetch response without ${topic}-${partition}`);
  return p;
}

/**
 * The records at or after `from` in a Fetch answer's bytes. A batch may begin before `from`
 * (the broker serves whole batches), and the last one may be cut short by the byte limit: both
 * are as Kafka does it, and are skipped here.
 */
function recordsOf(bytes: Buffer | null, from: number): RawRecord[] {
  const out: RawRecord[] = [];
  if (bytes === null) return out;
  for (let pos = 0; pos + BATCH_HEADER_BYTES <= bytes.length; ) {
    const size = readBatchHeader(bytes, pos).sizeBytes;
    if (pos + size > bytes.length) break; // a partial batch at the end
    const batch = checkBatch(bytes, pos, size);
    if ((batch.attributes & COMPRESSION_MASK) !== 0) throw new Error(`batch at offset ${batch.baseOffset} is compressed (attributes ${batch.attributes}); this reader expects none`);
    for (const r of decodeRecords(bytes.subarray(pos, pos + size), batch)) {
      const offset = batch.baseOffset + r.offsetDelta;
      if (offset >= from) out.push({ offset, key: r.key, value: r.value, headers: r.headers.map((h) => [h.key, h.value] as const), batch });
    }
    pos += size;
  }
  return out;
}
