// Reads one partition back, whole, from its leader with consumer Fetches up to the high-water mark,
// in a process of its own inside a chaos net's namespace. One JSON line per record on stdout, then
// one line for the end:
//
//   {"offset":34,"value":"12","leaderEpoch":3,"producerId":7000,"sequence":12}
//   {"type":"end","highWatermark":120,"logStartOffset":0,"leader":2,"leaderEpoch":3,"batches":120,"sha256":"..."}
//   {"type":"crash","error":"..."}                       (then exit 1)
//
// sha256 is over the fetched batches' bytes exactly as served (the leader's stored bytes), so the
// test can hold every replica's files against them.
//
// Usage: node data-read-agent.js HOST:PORT,... TOPIC PARTITION
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { checkBatch } from '../../src/broker/log/record-batch.js';
import { decodeRecords } from '../../src/broker/log/records.js';
import { errorNameForCode } from '../../src/metadata/errors.js';
import { fetchRecordsBytes } from '../../src/protocol/apis/fetch.js';
import { fetchBody, requestFetch } from '../support/kafka-requests.js';
import { KafkaConnection, parseBootstrap, type BrokerAddress } from '../support/kafka-wire.js';
import { CLIENT_ID, exitAfterOutput, findLeader, type PartitionLeader } from './data-kafka-client.js';

const FETCH_BYTES_MAX = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const METADATA_TIMEOUT_MS = 2_000;
const RETRY_BACKOFF_MS = 200;
/** Failed attempts (no leader, an error code, a lost connection) before the reader gives up. */
const ATTEMPTS_MAX = 100;
/** Fetches that bring nothing while the offset is still below the HW: a broker that stalls. */
const EMPTY_FETCHES_MAX = 20;

interface Position {
  offset: number;
  highWatermark: number;
  logStartOffset: number;
  batches: number;
  empty: number;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** One fetch at `pos.offset` from `leader`; emits the records and moves `pos` on. */
async function fetchOnce(leader: PartitionLeader, topic: string, partition: number, pos: Position, hash: ReturnType<typeof createHash>): Promise<void> {
  const conn = await KafkaConnection.connect(leader.address, { connectTimeoutMs: METADATA_TIMEOUT_MS, clientId: CLIENT_ID });
  try {
    const body = fetchBody(topic, [{ partition, offset: pos.offset, leaderEpoch: leader.leaderEpoch }], { maxWaitMs: 0, minBytes: 0, partitionMaxBytes: FETCH_BYTES_MAX });
    const p = (await requestFetch(conn, body, REQUEST_TIMEOUT_MS)).responses[0]?.partitions[0];
    if (p === undefined) throw new Error('a fetch response without the partition');
    if (p.errorCode !== 0) throw new Error(`fetch at ${pos.offset} from node ${leader.leaderId}: ${errorNameForCode(p.errorCode)}`);
    pos.highWatermark = p.highWatermark;
    pos.logStartOffset = p.logStartOffset;
    const bytes = fetchRecordsBytes(p.records) ?? Buffer.alloc(0);
    let next = pos.offset;
    for (let at = 0; at < bytes.length; ) {
      const h = checkBatch(bytes, at);
      const batch = bytes.subarray(at, at + h.sizeBytes);
      // The first batch may start below the offset asked for; it was counted already then.
      if (h.baseOffset >= pos.offset) {
        hash.update(batch);
        pos.batches++;
        for (const [i, rec] of decodeRecords(batch, h).entries()) {
          emit({ offset: h.baseOffset + rec.offsetDelta, value: rec.value?.toString('utf8') ?? null, leaderEpoch: h.partitionLeaderEpoch, producerId: h.producerId, sequence: h.baseSequence + i });
        }
      }
      next = Math.max(next, h.baseOffset + h.lastOffsetDelta + 1);
      at += h.sizeBytes;
    }
    pos.empty = next === pos.offset ? pos.empty + 1 : 0;
    pos.offset = next;
  } finally {
    conn.close();
  }
}

async function read(brokers: readonly BrokerAddress[], topic: string, partition: number): Promise<void> {
  const hash = createHash('sha256');
  const pos: Position = { offset: 0, highWatermark: -1, logStartOffset: -1, batches: 0, empty: 0 };
  let leader: PartitionLeader | undefined;
  const errors: string[] = [];
  while (pos.highWatermark < 0 || pos.offset < pos.highWatermark) {
    if (errors.length >= ATTEMPTS_MAX) throw new Error(`gave up after ${errors.length} failed attempts: ${errors.slice(-5).join('; ')}`);
    if (pos.empty > EMPTY_FETCHES_MAX) throw new Error(`${pos.empty} fetches at ${pos.offset} brought nothing below the HW ${pos.highWatermark}`);
    try {
      leader ??= await findLeader(brokers, topic, partition, METADATA_TIMEOUT_MS);
      if (leader === undefined) throw new Error('no broker names a leader');
      await fetchOnce(leader, topic, partition, pos, hash);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
      leader = undefined;
      await delay(RETRY_BACKOFF_MS);
    }
  }
  if (pos.logStartOffset !== 0) throw new Error(`the log starts at ${pos.logStartOffset}, not 0: records are gone`);
  emit({ type: 'end', highWatermark: pos.highWatermark, logStartOffset: pos.logStartOffset, leader: leader?.leaderId, leaderEpoch: leader?.leaderEpoch, batches: pos.batches, sha256: hash.digest('hex'), retries: errors });
}

async function main(): Promise<void> {
  const [bootstrap, topic, partition] = process.argv.slice(2);
  if (bootstrap === undefined || topic === undefined || partition === undefined) throw new Error('usage: data-read-agent.js HOST:PORT,... TOPIC PARTITION');
  await read(parseBootstrap(bootstrap), topic, Number(partition));
  exitAfterOutput(0);
}

main().catch((error: unknown) => {
  emit({ type: 'crash', error: error instanceof Error ? error.stack ?? error.message : String(error) });
  exitAfterOutput(1);
});
