// Produce throughput: as many acknowledged records as the cluster takes, for a fixed time.
//
// Per partition leader, `connections` sockets with `inFlight` lanes each; a lane sends one Produce
// holding one batch per partition that broker leads, waits for its answer, and sends again. The
// request bodies are built once (random values, chosen once, as Kafka's producer-perf-test does)
// and sent again and again, so the client spends almost nothing per record: the figure is the
// broker's. Records count when acknowledged (error NONE) inside the measuring window, after a
// warm-up; requests in flight at the end are drained and not counted.
import { randomBytes } from 'node:crypto';
import { produceBody, requestProduce } from '../../test/support/kafka-requests.js';
import type { KafkaConnection } from '../../test/support/kafka-wire.js';
import { byLeader, connectTo, errorName, leaderAddress, sleep, type TopicLayout } from './client.js';
import { buildBatch, recordsPerBatch } from './records.js';
import { brokerCpuMsPerMB, cpuMeter, round1, Samples, summarize, type CpuReport, type LatencySummary } from './stats.js';

const ERROR_BACKOFF_MS = 20;

export interface ProduceOptions {
  readonly layout: TopicLayout;
  readonly valueBytes: number;
  /** Largest batch per partition per request. */
  readonly batchBytesMax: number;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connectionsPerLeader: number;
  readonly inFlightPerConnection: number;
  /** Broker id -> pid, for the CPU figures. */
  readonly brokerPids: ReadonlyMap<number, number>;
}

export interface ProduceResult {
  readonly valueBytes: number;
  readonly recordsPerBatch: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Payload (value) bytes per second, in MB (10^6 bytes). */
  readonly payloadMBPerSecond: number;
  /** Request bytes per second on the wire (batch framing included), in MB. */
  readonly wireMBPerSecond: number;
  readonly requests: number;
  /** Per-request time from send to acknowledgement. */
  readonly requestLatency: LatencySummary;
  /** Error name -> partition answers with it, inside the window. */
  readonly errors: Readonly<Record<string, number>>;
  readonly cpu: CpuReport;
  /** All brokers' CPU ms per MB of payload (see stats.ts). */
  readonly brokerCpuMsPerMB: number;
}

export async function runProduce(o: ProduceOptions): Promise<ProduceResult> {
  const perBatch = recordsPerBatch(o.batchBytesMax, o.valueBytes);
  const values = Array.from({ length: perBatch }, () => randomBytes(o.valueBytes));
  const batch = buildBatch(values, Date.now());
  const leaders = byLeader(o.layout);
  const wires: KafkaConnection[] = [];
  const counters = { records: 0, requests: 0, wireBytes: 0, errors: {} as Record<string, number> };
  const latency = new Samples();
  try {
    for (const leader of leaders.keys()) {
      for (let c = 0; c < o.connectionsPerLeader; c++) wires.push(await connectTo(leaderAddress(o.layout, leader), o.inFlightPerConnection));
    }
    const t0 = performance.now();
    const window = { startMs: t0 + o.warmupSeconds * 1000, endMs: t0 + (o.warmupSeconds + o.seconds) * 1000 };
    let stopCpu: (() => CpuReport) | undefined;
    const startCpu = setTimeout(() => (stopCpu = cpuMeter(o.brokerPids)), Math.max(0, window.startMs - performance.now()));
    let endCpu: CpuReport | undefined;
    const endTimer = setTimeout(() => (endCpu = stopCpu?.()), Math.max(0, window.endMs - performance.now()));
    const lanes: Promise<void>[] = [];
    let w = 0;
    for (const [leader, partitions] of leaders) {
      const body = produceBody(o.layout.topic, o.acks, o.timeoutMs, new Map(partitions.map((p) => [p, batch])));
      for (let c = 0; c < o.connectionsPerLeader; c++, w++) {
        const wire = wires[w]!;
        for (let l = 0; l < o.inFlightPerConnection; l++) lanes.push(lane(wire, body, window, perBatch, counters, latency, leader));
      }
    }
    await Promise.all(lanes);
    clearTimeout(startCpu);
    clearTimeout(endTimer);
    const cpu = endCpu ?? stopCpu?.();
    if (cpu === undefined) throw new Error('the produce phase ended before its window');
    const payloadMBPerSecond = round1((counters.records * o.valueBytes) / o.seconds / 1e6);
    return {
      valueBytes: o.valueBytes,
      recordsPerBatch: perBatch,
      records: counters.records,
      seconds: o.seconds,
      recordsPerSecond: Math.round(counters.records / o.seconds),
      payloadMBPerSecond,
      wireMBPerSecond: round1(counters.wireBytes / o.seconds / 1e6),
      requests: counters.requests,
      requestLatency: summarize(latency),
      errors: counters.errors,
      cpu,
      brokerCpuMsPerMB: brokerCpuMsPerMB(cpu, payloadMBPerSecond),
    };
  } finally {
    for (const wire of wires) wire.close();
  }
}

interface Counters {
  records: number;
  requests: number;
  wireBytes: number;
  errors: Record<string, number>;
}

async function lane(wire: KafkaConnection, body: Buffer, window: { startMs: number; endMs: number }, perBatch: number, counters: Counters, latency: Samples, leader: number): Promise<void> {
  while (performance.now() < window.endMs) {
    const sentMs = performance.now();
    const response = await requestProduce(wire, body);
    const ackedMs = performance.now();
    if (ackedMs < window.startMs || ackedMs > window.endMs) {
      if (response.responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== 0))) await sleep(ERROR_BACKOFF_MS);
      continue;
    }
    counters.requests++;
    counters.wireBytes += body.length;
    latency.add(ackedMs - sentMs);
    let failed = false;
    for (const t of response.responses) {
      for (const p of t.partitionResponses) {
        if (p.errorCode === 0) counters.records += perBatch;
        else {
          const name = `${errorName(p.errorCode)} (leader ${leader})`;
          counters.errors[name] = (counters.errors[name] ?? 0) + 1;
          failed = true;
        }
      }
    }
    // An error answer comes back at once: without a pause the lane would spin and take CPU from the brokers.
    if (failed) await sleep(ERROR_BACKOFF_MS);
  }
}
