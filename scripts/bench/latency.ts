// End-to-end latency at a fixed rate: a producer (acks=all) creates records at `rate` per second,
// each stamped with performance.now() when it is created (the first 8 bytes of its value); a
// consumer long-polls Fetch on every partition and takes, per record, the time it was handed the
// record minus its stamp: created -> produced -> replicated to every in-sync replica -> below the
// high-water mark -> fetched. Producer and consumer share this process and its clock.
//
// The producer ticks every millisecond (a timer, so not a busy loop that would take a core from the
// brokers): each tick creates the records due by then, spread round-robin over the partitions, and
// sends them per leader (one batch per partition) unless `inFlight` requests are already
// outstanding on that leader's connection, in which case they wait, stamped, for the next answer.
// A slow cluster thus shows as latency; a slow client as an achieved rate below the target.
import { fetchBody, produceBody, requestFetch, requestProduce } from '../../test/support/kafka-requests.js';
import { KafkaWireError, type KafkaConnection } from '../../test/support/kafka-wire.js';
import { byLeader, connectTo, errorName, leaderAddress, type TopicLayout } from './client.js';
import { buildBatch, recordsPerBatch, STAMP_BYTES, walkBatches } from './records.js';
import { cpuMeter, Samples, summarize, type CpuReport, type LatencySummary } from './stats.js';

export interface LatencyOptions {
  readonly layout: TopicLayout;
  readonly valueBytes: number;
  readonly ratePerSecond: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly inFlightPerConnection: number;
  readonly fetchMaxWaitMs: number;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly brokerPids: ReadonlyMap<number, number>;
}

export interface LatencyResult {
  readonly valueBytes: number;
  readonly targetRecordsPerSecond: number;
  /** Records acknowledged inside the window per second (below the target: the client fell behind). */
  readonly achievedRecordsPerSecond: number;
  /** Records created inside the window and received by the consumer: the samples. */
  readonly latency: LatencySummary;
  /** Per Produce request, sent -> acknowledged: the produce share of the end-to-end time. */
  readonly produceAckLatency: LatencySummary;
  /** Records acknowledged (whole run) that the consumer never received. */
  readonly missing: number;
  /** Error answers (produce, and fetch ones prefixed "fetch") by name, with counts. */
  readonly errors: Readonly<Record<string, number>>;
  readonly cpu: CpuReport;
}

/**
 * Bytes of one partition's batch at most: records queued behind the in-flight limit go out in
 * batches of this size (well under the topic's max.message.bytes, 1 MiB by default).
 */
const BATCH_BYTES_MAX = 256 * 1024;
const TICK_MS = 1;
const DRAIN_MS_MAX = 10_000;
const FETCH_PARTITION_BYTES_MAX = 1024 * 1024;
const FETCH_ERROR_BACKOFF_MS = 20;

export async function runLatency(o: LatencyOptions): Promise<LatencyResult> {
  const leaders = byLeader(o.layout);
  const producers = new Map<number, KafkaConnection>();
  const consumers = new Map<number, KafkaConnection>();
  try {
    for (const leader of leaders.keys()) {
      producers.set(leader, await connectTo(leaderAddress(o.layout, leader), o.inFlightPerConnection));
      consumers.set(leader, await connectTo(leaderAddress(o.layout, leader)));
    }
    const t0 = performance.now();
    const window = { startMs: t0 + o.warmupSeconds * 1000, endMs: t0 + (o.warmupSeconds + o.seconds) * 1000 };
    const consumer = new Consumer(o, window);
    const consuming = [...leaders].map(([leader, partitions]) => consumer.run(consumers.get(leader)!, partitions));
    const producer = new Producer(o, leaders, producers, window);
    await sleepUntil(window.startMs, () => producer.tick());
    const stopCpu = cpuMeter(o.brokerPids);
    await sleepUntil(window.endMs, () => producer.tick());
    const cpu = stopCpu();
    await producer.drain();
    const drainUntil = performance.now() + DRAIN_MS_MAX;
    while (consumer.received < producer.acked && performance.now() < drainUntil) await sleep(10);
    consumer.stop();
    for (const wire of consumers.values()) wire.close();
    await Promise.all(consuming);
    return {
      valueBytes: o.valueBytes,
      targetRecordsPerSecond: o.ratePerSecond,
      achievedRecordsPerSecond: Math.round(producer.ackedInWindow / o.seconds),
      latency: summarize(consumer.samples),
      produceAckLatency: summarize(producer.ackLatency),
      missing: Math.max(0, producer.acked - consumer.received),
      errors: { ...producer.errors, ...consumer.errors },
      cpu,
    };
  } finally {
    for (const wire of [...producers.values(), ...consumers.values()]) wire.close();
  }
}

/** Calls `tick` every TICK_MS until `atMs`. */
async function sleepUntil(atMs: number, tick: () => void): Promise<void> {
  while (performance.now() < atMs) {
    tick();
    await sleep(TICK_MS);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Producer {
  acked = 0;
  ackedInWindow = 0;
  readonly errors: Record<string, number> = {};
  /** Per Produce request, send -> acknowledgement (acks=all), inside the window. */
  readonly ackLatency = new Samples();
  private created = 0;
  private readonly startedMs = performance.now();
  private readonly partitions: number[];
  /** Per partition, stamps of records created and not yet sent. */
  private readonly queued = new Map<number, number[]>();
  private readonly outstanding = new Set<Promise<void>>();
  private readonly pad: Buffer;
  private readonly recordsPerBatchMax: number;

  constructor(
    private readonly o: LatencyOptions,
    private readonly leaders: ReadonlyMap<number, readonly number[]>,
    private readonly wires: ReadonlyMap<number, KafkaConnection>,
    private readonly window: { startMs: number; endMs: number },
  ) {
    this.partitions = o.layout.partitions.map((p) => p.partition);
    for (const p of this.partitions) this.queued.set(p, []);
    this.pad = Buffer.alloc(Math.max(0, o.valueBytes - STAMP_BYTES), 0x61);
    this.recordsPerBatchMax = recordsPerBatch(BATCH_BYTES_MAX, Math.max(o.valueBytes, STAMP_BYTES));
  }

  /** Creates the records due by now and sends what the in-flight limits allow. */
  tick(): void {
    const now = performance.now();
    if (now < this.window.endMs) {
      const due = Math.floor(((now - this.startedMs) / 1000) * this.o.ratePerSecond);
      for (; this.created < due; this.created++) this.queued.get(this.partitions[this.created % this.partitions.length]!)!.push(now);
    }
    for (const leader of this.leaders.keys()) this.send(leader);
  }

  private send(leader: number): void {
    const wire = this.wires.get(leader)!;
    if (wire.inFlight >= this.o.inFlightPerConnection) return;
    const batches = new Map<number, Buffer>();
    const counts = new Map<number, number>();
    for (const p of this.leaders.get(leader)!) {
      const stamps = this.queued.get(p)!.splice(0, this.recordsPerBatchMax);
      if (stamps.length === 0) continue;
      batches.set(p, buildBatch(stamps.map((s) => this.value(s)), Date.now()));
      counts.set(p, stamps.length);
    }
    if (batches.size === 0) return;
    const body = produceBody(this.o.layout.topic, this.o.acks, this.o.timeoutMs, batches);
    const sentMs = performance.now();
    const done = requestProduce(wire, body)
      .then((response) => {
        const ackedMs = performance.now();
        const inWindow = ackedMs >= this.window.startMs && ackedMs <= this.window.endMs;
        if (inWindow) this.ackLatency.add(ackedMs - sentMs);
        for (const p of response.responses.flatMap((t) => t.partitionResponses)) {
          if (p.errorCode !== 0) {
            this.errors[errorName(p.errorCode)] = (this.errors[errorName(p.errorCode)] ?? 0) + 1;
            continue;
          }
          this.acked += counts.get(p.index) ?? 0;
          if (inWindow) this.ackedInWindow += counts.get(p.index) ?? 0;
        }
        this.send(leader);
      })
      .catch((error: unknown) => {
        // Counted, not thrown: the figure then says how many records were lost to the error.
        const name = error instanceof KafkaWireError ? 'CONNECTION' : String(error);
        this.errors[name] = (this.errors[name] ?? 0) + 1;
      })
      .finally(() => this.outstanding.delete(done));
    this.outstanding.add(done);
  }

  private value(stamp: number): Buffer {
    const v = Buffer.allocUnsafe(STAMP_BYTES + this.pad.length);
    v.writeDoubleLE(stamp, 0);
    this.pad.copy(v, STAMP_BYTES);
    return v;
  }

  /** Sends what is still queued and waits for every answer. */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000 && ([...this.queued.values()].some((q) => q.length > 0) || this.outstanding.size > 0); i++) {
      this.tick();
      await Promise.race([Promise.all(this.outstanding), sleep(TICK_MS)]);
    }
  }
}

class Consumer {
  received = 0;
  readonly errors: Record<string, number> = {};
  readonly samples = new Samples();
  private stopped = false;

  constructor(private readonly o: LatencyOptions, private readonly window: { startMs: number; endMs: number }) {}

  stop(): void {
    this.stopped = true;
  }

  async run(wire: KafkaConnection, partitions: readonly number[]): Promise<void> {
    const offsets = new Map(partitions.map((p) => [p, 0]));
    const onValue = (receivedMs: number) => (value: Buffer) => {
      this.received++;
      const stamp = value.readDoubleLE(0);
      if (stamp >= this.window.startMs && stamp <= this.window.endMs) this.samples.add(receivedMs - stamp);
    };
    while (!this.stopped) {
      const body = fetchBody(this.o.layout.topic, [...offsets].map(([partition, offset]) => ({ partition, offset })), { maxWaitMs: this.o.fetchMaxWaitMs, minBytes: 1, partitionMaxBytes: FETCH_PARTITION_BYTES_MAX });
      let response;
      try {
        response = await requestFetch(wire, body);
      } catch (error) {
        if (this.stopped && error instanceof KafkaWireError) return;
        throw error;
      }
      const receivedMs = performance.now();
      let failed = false;
      for (const p of response.responses.flatMap((t) => t.partitions)) {
        if (p.errorCode !== 0) {
          // Leadership moved or is not applied yet: counted, retried after a pause, as a consumer would.
          const name = `fetch ${errorName(p.errorCode)}`;
          this.errors[name] = (this.errors[name] ?? 0) + 1;
          failed = true;
          continue;
        }
        const bytes = p.records?.[0];
        if (bytes === undefined || bytes.length === 0) continue;
        const walk = walkBatches(bytes, onValue(receivedMs));
        if (walk.nextOffset > 0) offsets.set(p.partitionIndex, walk.nextOffset);
      }
      if (failed) await sleep(FETCH_ERROR_BACKOFF_MS);
    }
  }
}
