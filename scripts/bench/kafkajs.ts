// For context only: the same produce run with KafkaJS (acks=all, no compression), to show what a
// popular pure-JavaScript client reaches against the same cluster and how much CPU it spends doing
// so. Each of `concurrency` senders awaits producer.send() of `recordsPerSend` records again and
// again; the figures are records acknowledged inside the window.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { TopicLayout } from './client.js';
import { brokerCpuMsPerMB, cpuMeter, round1, type CpuReport } from './stats.js';

export interface KafkaJsOptions {
  readonly bootstrap: readonly string[];
  readonly layout: TopicLayout;
  readonly valueBytes: number;
  readonly recordsPerSend: number;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly brokerPids: ReadonlyMap<number, number>;
}

export interface KafkaJsResult {
  readonly client: 'kafkajs';
  readonly valueBytes: number;
  readonly recordsPerSecond: number;
  readonly payloadMBPerSecond: number;
  readonly errors: number;
  readonly cpu: CpuReport;
  /** All brokers' CPU ms per MB of payload (see stats.ts). */
  readonly brokerCpuMsPerMB: number;
}

export async function runKafkaJs(o: KafkaJsOptions): Promise<KafkaJsResult> {
  const kafka = new Kafka({ clientId: 'flotilla-bench-kafkajs', brokers: [...o.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const value = randomBytes(o.valueBytes);
    const partitions = o.layout.partitions.map((p) => p.partition);
    const t0 = performance.now();
    const window = { startMs: t0 + o.warmupSeconds * 1000, endMs: t0 + (o.warmupSeconds + o.seconds) * 1000 };
    let records = 0;
    let errors = 0;
    let stopCpu: (() => CpuReport) | undefined;
    let cpu: CpuReport | undefined;
    const startTimer = setTimeout(() => (stopCpu = cpuMeter(o.brokerPids)), o.warmupSeconds * 1000);
    const endTimer = setTimeout(() => (cpu = stopCpu?.()), (o.warmupSeconds + o.seconds) * 1000);
    await Promise.all(
      Array.from({ length: o.concurrency }, async (_, sender) => {
        while (performance.now() < window.endMs) {
          // Spread over the partitions explicitly, as the default partitioner would for keyless records.
          const messages = Array.from({ length: o.recordsPerSend }, (_, i) => ({ value, partition: partitions[(sender + i) % partitions.length]! }));
          try {
            await producer.send({ topic: o.layout.topic, acks: -1, messages });
            const ackedMs = performance.now();
            if (ackedMs >= window.startMs && ackedMs <= window.endMs) records += messages.length;
          } catch {
            errors++;
          }
        }
      }),
    );
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    const measured = cpu ?? stopCpu?.();
    if (measured === undefined) throw new Error('the KafkaJS run ended before its window');
    const payloadMBPerSecond = round1((records * o.valueBytes) / o.seconds / 1e6);
    return {
      client: 'kafkajs',
      valueBytes: o.valueBytes,
      recordsPerSecond: Math.round(records / o.seconds),
      payloadMBPerSecond,
      errors,
      cpu: measured,
      brokerCpuMsPerMB: brokerCpuMsPerMB(measured, payloadMBPerSecond),
    };
  } finally {
    await producer.disconnect();
  }
}
