// A reader that needs no Kafka client library: Metadata and Fetch through Flotilla's own codecs
// over a plain socket, record batches through the log's own decoder. Used to read back what a
// client that cannot consume without a consumer group (KafkaJS) produced, and to see batch-level
// facts no consumer API exposes (producer id, epoch, base sequence).
import { fetchRecordsBytes, type FetchResponsePartition } from '../../src/protocol/apis/fetch.js';
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { BATCH_HEADER_BYTES, checkBatch, COMPRESSION_MASK, readBatchHeader, type BatchHeader } from '../../src/broker/log/record-batch.js';
import { decodeRecords } from '../../src/broker/log/records.js';
import { fetchBody, requestFetch, requestMetadata } from '../support/kafka-requests.js';
import { KafkaConnection, withConnection, type BrokerAddress } from '../support/kafka-wire.js';
import type { ConsumedRecord } from './support.js';

const FETCH_WAIT_MS_MAX = 500;
const FETCH_BYTES_MAX = 1024 * 1024;
const RESPONSE_DEADLINE_MS = 30_000;
const NOT_LEADER_OR_FOLLOWER = 6;
const LEADER_NOT_AVAILABLE = 5;
const UNKNOWN_LEADER_EPOCH = 79;

/** Metadata for `topics` from the broker at host:port. */
export function fetchMetadata(address: string, topics: readonly string[]): Promise<MetadataResponse> {
  return withConnection(address, (conn) => requestMetadata(conn, topics, RESPONSE_DEADLINE_MS));
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

/** The leader of `topic`/`partition`, asked of any broker in `bootstrap`. */
async function leaderOf(bootstrap: readonly string[], topic: string, partition: number): Promise<{ leaderId: number; address: BrokerAddress }> {
  for (const address of bootstrap) {
    const md = await fetchMetadata(address, [topic]).catch(() => undefined);
    const p = md?.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
    const broker = md?.brokers.find((b) => b.nodeId === p?.leaderId);
    if (p && p.errorCode === 0 && broker) return { leaderId: broker.nodeId, address: { host: broker.host, port: broker.port } };
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
    const { leaderId, address } = await leaderOf(bootstrap, topic, partition);
    const conn = await KafkaConnection.connect(address);
    try {
      while (records.length < count && Date.now() <= giveUpAt) {
        const p = await fetchOnce(conn, topic, partition, nextOffset);
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
      conn.close();
    }
  }
  throw new Error('unreachable');
}

async function fetchOnce(conn: KafkaConnection, topic: string, partition: number, fetchOffset: number): Promise<FetchResponsePartition> {
  const body = fetchBody(topic, [{ partition, offset: fetchOffset }], { maxWaitMs: FETCH_WAIT_MS_MAX, minBytes: 1, partitionMaxBytes: FETCH_BYTES_MAX });
  const response = await requestFetch(conn, body, RESPONSE_DEADLINE_MS);
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
