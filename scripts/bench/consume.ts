// Consume throughput: Fetch everything a topic holds, from offset 0 to the high-water mark each
// partition has when the phase starts, as fast as the cluster serves it.
//
// One connection per partition leader; on it one fetch lane per partition (a consumer has one
// fetch per partition outstanding: the next offset is known only from the answer). The client
// walks batch headers to count records and find the next offset; it does not check CRCs or
// decode records (a Java consumer checks CRCs by default; this is the broker's side of the cost).
import { fetchBody, requestFetch } from '../../test/support/kafka-requests.js';
import type { KafkaConnection } from '../../test/support/kafka-wire.js';
import { byLeader, connectTo, errorName, leaderAddress, type TopicLayout } from './client.js';
import { walkBatches } from './records.js';
import { brokerCpuMsPerMB, cpuMeter, round1, round3, type CpuReport } from './stats.js';

export interface ConsumeOptions {
  readonly layout: TopicLayout;
  readonly valueBytes: number;
  readonly partitionMaxBytes: number;
  readonly brokerPids: ReadonlyMap<number, number>;
  /** Give up after this long (the figure is then over what was read). */
  readonly secondsMax: number;
}

export interface ConsumeResult {
  readonly valueBytes: number;
  readonly records: number;
  readonly fetches: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Payload (value) bytes per second, in MB (10^6 bytes). */
  readonly payloadMBPerSecond: number;
  /** Record-batch bytes per second as stored and served (framing of batches and records included). */
  readonly batchMBPerSecond: number;
  /** False if secondsMax ran out before every partition was read to its high-water mark. */
  readonly complete: boolean;
  readonly cpu: CpuReport;
  /** All brokers' CPU ms per MB of payload (see stats.ts). */
  readonly brokerCpuMsPerMB: number;
}

interface Totals {
  records: number;
  batchBytes: number;
  fetches: number;
  complete: boolean;
}

export async function runConsume(o: ConsumeOptions): Promise<ConsumeResult> {
  const leaders = byLeader(o.layout);
  const wires = new Map<number, KafkaConnection>();
  try {
    for (const leader of leaders.keys()) wires.set(leader, await connectTo(leaderAddress(o.layout, leader)));
    const totals: Totals = { records: 0, batchBytes: 0, fetches: 0, complete: true };
    const stopCpu = cpuMeter(o.brokerPids);
    const started = performance.now();
    const giveUpAt = started + o.secondsMax * 1000;
    await Promise.all([...leaders].flatMap(([leader, partitions]) => partitions.map((p) => readPartition(wires.get(leader)!, o.layout.topic, p, o.partitionMaxBytes, giveUpAt, totals))));
    const seconds = (performance.now() - started) / 1000;
    const cpu = stopCpu();
    const payloadMBPerSecond = round1((totals.records * o.valueBytes) / seconds / 1e6);
    return {
      valueBytes: o.valueBytes,
      records: totals.records,
      fetches: totals.fetches,
      seconds: round3(seconds),
      recordsPerSecond: Math.round(totals.records / seconds),
      payloadMBPerSecond,
      batchMBPerSecond: round1(totals.batchBytes / seconds / 1e6),
      complete: totals.complete,
      cpu,
      brokerCpuMsPerMB: brokerCpuMsPerMB(cpu, payloadMBPerSecond),
    };
  } finally {
    for (const wire of wires.values()) wire.close();
  }
}

async function readPartition(wire: KafkaConnection, topic: string, partition: number, partitionMaxBytes: number, giveUpAt: number, totals: Totals): Promise<void> {
  let offset = 0;
  let endOffset = Infinity;
  while (offset < endOffset) {
    if (performance.now() > giveUpAt) {
      totals.complete = false;
      return;
    }
    const body = fetchBody(topic, [{ partition, offset }], { maxWaitMs: 0, minBytes: 1, partitionMaxBytes });
    const response = await requestFetch(wire, body);
    totals.fetches++;
    const p = response.responses[0]?.partitions[0];
    if (response.errorCode !== 0 || p === undefined || p.errorCode !== 0) {
      throw new Error(`Fetch ${topic}-${partition} at ${offset}: ${errorName(p?.errorCode ?? response.errorCode)}`);
    }
    if (endOffset === Infinity) endOffset = p.highWatermark;
    const bytes = p.records?.[0];
    if (bytes === undefined || bytes.length === 0) {
      if (offset < endOffset) throw new Error(`Fetch ${topic}-${partition} at ${offset} returned nothing below the high-water mark ${endOffset}`);
      return;
    }
    const walk = walkBatches(bytes);
    if (walk.nextOffset <= offset) throw new Error(`Fetch ${topic}-${partition} at ${offset}: no whole batch in ${bytes.length} bytes (partition max bytes too small?)`);
    totals.records += walk.records;
    totals.batchBytes += bytes.length;
    offset = walk.nextOffset;
  }
}
