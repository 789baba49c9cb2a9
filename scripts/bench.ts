// npm run bench [-- --seconds 10 --output bench-results.json --phases produce,consume,latency,failover]
//
// The data plane of a local 3-node cluster (combined broker+controller nodes, real `flotilla server`
// processes on loopback, default flags), measured with a small client of our own over the project's
// Kafka codecs (scripts/bench/): KafkaJS costs more CPU per record than the broker does, so it would
// measure itself. Topics have --partitions partitions (default 6), RF 3, leaders spread evenly.
//
//   produce   acks=all, 100 B and 1 KiB values, for --seconds after a warm-up: records/s, payload MB/s
//   consume   Fetch of everything produced, from offset 0 to the high-water mark: records/s, MB/s
//   latency   created -> fetched by a long-polling consumer, at 1,000 records/s and at half the
//             measured produce maximum for --latency-value-bytes: p50/p99/p99.9
//   failover  kill -9 of a partition's leader until the next acknowledged produce (--failover-rounds)
//
// Every phase reports the CPU of each broker process, of the bench client and of the rest of the
// machine (other work running beside the bench counts against it), and which of them looks like the
// limit. MB = 10^6 bytes. Figures are reported, never asserted; the JSON goes to --output.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { LocalCluster } from '../src/server/local-cluster.js';
import { createTopic, waitForLayout } from './bench/client.js';
import { runConsume, type ConsumeResult } from './bench/consume.js';
import { runFailover } from './bench/failover.js';
import { runKafkaJs } from './bench/kafkajs.js';
import { runLatency } from './bench/latency.js';
import { recordsPerBatch } from './bench/records.js';
import { runProduce, type ProduceResult } from './bench/produce.js';
import { table, type BenchResults } from './bench/report.js';
import { waitForQuiet } from './bench/stats.js';

const PHASES = ['produce', 'consume', 'latency', 'failover', 'kafkajs'] as const;
const DEFAULT_PHASES = ['produce', 'consume', 'latency', 'failover'];
type Phase = (typeof PHASES)[number];
const REPLICATION_FACTOR = 3;
const ACKS_ALL = -1;
const PRODUCE_TIMEOUT_MS = 30_000;
const FIXED_RATE_PER_SECOND = 1_000;
/** Concurrent producer.send() calls of the KafkaJS run (its requests in flight across the leaders). */
const KAFKAJS_SENDERS = 8;

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('seconds', { type: 'number', default: 10, describe: 'measured seconds of each produce and latency run' })
    .option('warmup-seconds', { type: 'number', default: 2, describe: 'unmeasured seconds before each produce and latency run' })
    .option('partitions', { type: 'number', default: 6 })
    .option('value-bytes', { type: 'array', default: [100, 1024], describe: 'record value sizes of the produce and consume runs' })
    .option('batch-bytes', { type: 'number', default: 256 * 1024, describe: 'largest batch per partition per Produce request' })
    .option('connections', { type: 'number', default: 1, describe: 'produce connections per partition leader' })
    .option('in-flight', { type: 'number', default: 8, describe: 'produce requests in flight per connection (the broker reads 16 at most)' })
    .option('fetch-bytes', { type: 'number', default: 4 * 1024 * 1024, describe: 'partition max bytes of the consume run' })
    .option('latency-value-bytes', { type: 'number', default: 100 })
    .option('latency-rates', { type: 'array', describe: 'records/s of the latency runs (default: 1000 and half the produce maximum)' })
    .option('latency-in-flight', { type: 'number', default: 5, describe: "the latency producer's requests in flight per connection (Kafka's max.in.flight default)" })
    .option('fetch-max-wait-ms', { type: 'number', default: 500 })
    .option('failover-rounds', { type: 'number', default: 3 })
    .option('retry-backoff-ms', { type: 'number', default: 20, describe: "the failover producer's wait before it refreshes metadata and retries" })
    .option('phases', { type: 'string', default: DEFAULT_PHASES.join(','), describe: `a subset of ${PHASES.join(',')} (kafkajs: the produce run with KafkaJS, for context)` })
    .option('server-flag', { type: 'array', default: [], describe: 'an extra `flotilla server` flag for every node (repeatable)' })
    .option('cpu-prof-dir', { type: 'string', describe: 'run every node with --cpu-prof into this directory (profiles are written at the clean stop)' })
    .option('quiet-wait-seconds', { type: 'number', default: 30, describe: 'before each phase, wait at most this long for other work on the machine to calm down' })
    .option('quiet-below-pct', { type: 'number', default: 20, describe: '"calm": the rest of the machine under this % of a core for a second' })
    .option('output', { type: 'string', default: 'bench-results.json' })
    .strict()
    .parse();
  const phases = new Set(argv.phases.split(',').map((s) => s.trim()).filter((s): s is Phase => (PHASES as readonly string[]).includes(s)));
  const valueSizes = argv['value-bytes'].map(Number);
  const environment = { node: process.version, cores: availableParallelism(), loadavgAtStart: loadavg().map((n) => Math.round(n * 100) / 100), commit: gitCommit(), startedAt: new Date().toISOString() };
  const cluster = await LocalCluster.create({
    controllers: 3,
    serverFlags: argv['server-flag'].map(String),
    execArgv: argv['cpu-prof-dir'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(argv['cpu-prof-dir'])],
  });
  const results: BenchResults = { produce: [], consume: [], latency: [], failover: undefined, kafkajs: [], quietBefore: [] };
  try {
    await cluster.start();
    await cluster.waitBrokersUnfenced();
    const bootstrap = cluster.bootstrapServers();
    const brokerPids = new Map(cluster.ids().map((id) => [id as number, cluster.node(id).pid!]));
    const topics = new Map<number, string>();
    const progress = async (what: string) => {
      const quiet = await waitForQuiet(brokerPids, argv['quiet-wait-seconds'], argv['quiet-below-pct']);
      results.quietBefore.push({ phase: what, ...quiet });
      console.error(`bench: ${what} (other work on the machine: ${quiet.othersPct}% of a core, after waiting ${quiet.waitedSeconds} s)`);
    };

    if (phases.has('produce') || phases.has('consume')) {
      for (const valueBytes of valueSizes) {
        const layout = await createTopic(bootstrap, `bench-produce-${valueBytes}`, argv.partitions, REPLICATION_FACTOR);
        topics.set(valueBytes, layout.topic);
        if (!phases.has('produce')) continue;
        await progress(`produce ${valueBytes} B for ${argv['warmup-seconds']} + ${argv.seconds} s`);
        results.produce.push(
          await runProduce({
            layout,
            valueBytes,
            batchBytesMax: argv['batch-bytes'],
            acks: ACKS_ALL,
            timeoutMs: PRODUCE_TIMEOUT_MS,
            warmupSeconds: argv['warmup-seconds'],
            seconds: argv.seconds,
            connectionsPerLeader: argv.connections,
            inFlightPerConnection: argv['in-flight'],
            brokerPids,
          }),
        );
      }
    }
    if (phases.has('consume')) {
      for (const valueBytes of valueSizes) {
        await progress(`consume ${valueBytes} B`);
        results.consume.push(await consumeTopic(bootstrap, topics.get(valueBytes)!, valueBytes, argv['fetch-bytes'], brokerPids));
      }
    }
    if (phases.has('latency')) {
      const rates = argv['latency-rates']?.map(Number) ?? [FIXED_RATE_PER_SECOND, ...halfOfMax(results.produce, argv['latency-value-bytes'])];
      for (const rate of rates) {
        const layout = await createTopic(bootstrap, `bench-latency-${rate}`, argv.partitions, REPLICATION_FACTOR);
        await progress(`latency at ${rate} records/s for ${argv['warmup-seconds']} + ${argv.seconds} s`);
        results.latency.push(
          await runLatency({
            layout,
            valueBytes: argv['latency-value-bytes'],
            ratePerSecond: rate,
            warmupSeconds: argv['warmup-seconds'],
            seconds: argv.seconds,
            inFlightPerConnection: argv['latency-in-flight'],
            fetchMaxWaitMs: argv['fetch-max-wait-ms'],
            acks: ACKS_ALL,
            timeoutMs: PRODUCE_TIMEOUT_MS,
            brokerPids,
          }),
        );
      }
    }
    if (phases.has('kafkajs')) {
      for (const valueBytes of valueSizes) {
        const layout = await createTopic(bootstrap, `bench-kafkajs-${valueBytes}`, argv.partitions, REPLICATION_FACTOR);
        await progress(`KafkaJS produce ${valueBytes} B for ${argv['warmup-seconds']} + ${argv.seconds} s`);
        const recordsPerSend = recordsPerBatch(argv['batch-bytes'], valueBytes);
        results.kafkajs.push(await runKafkaJs({ bootstrap, layout, valueBytes, recordsPerSend, concurrency: KAFKAJS_SENDERS, warmupSeconds: argv['warmup-seconds'], seconds: argv.seconds, brokerPids }));
      }
    }
    if (phases.has('failover')) {
      const layout = await createTopic(bootstrap, 'bench-failover', 3, REPLICATION_FACTOR);
      await progress(`failover, ${argv['failover-rounds']} rounds`);
      results.failover = await runFailover({ cluster, bootstrap, topic: layout.topic, rounds: argv['failover-rounds'], retryBackoffMs: argv['retry-backoff-ms'], requestTimeoutMs: PRODUCE_TIMEOUT_MS });
    }
  } finally {
    await cluster.stop();
  }
  // yargs gives every flag twice (kebab and camel case) plus `_` and `$0`: keep the flags as typed.
  const config = Object.fromEntries(Object.entries(argv).filter(([key]) => /^[a-z0-9-]+$/.test(key)));
  const report = { environment: { ...environment, loadavgAtEnd: loadavg().map((n) => Math.round(n * 100) / 100) }, config, results };
  writeFileSync(argv.output, JSON.stringify(report, null, 2) + '\n');
  console.log(table(results));
  console.log(notes(environment.cores, argv.output));
}

async function consumeTopic(bootstrap: readonly string[], topic: string, valueBytes: number, partitionMaxBytes: number, brokerPids: ReadonlyMap<number, number>): Promise<ConsumeResult> {
  const layout = await waitForLayout(bootstrap, topic, () => true);
  return runConsume({ layout, valueBytes, partitionMaxBytes, brokerPids, secondsMax: 300 });
}

/** Half the records/s measured for `valueBytes`, if that size was produced. */
function halfOfMax(produce: readonly ProduceResult[], valueBytes: number): number[] {
  const max = produce.find((p) => p.valueBytes === valueBytes)?.recordsPerSecond;
  return max === undefined ? [] : [Math.round(max / 2)];
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function notes(cores: number, output: string): string {
  return [
    '',
    `produce rows: p50/p99/p99.9 are per-request acknowledgement times (in flight: --in-flight per connection); latency rows: per record, created -> fetched.`,
    `CPU: % of one core over the measured window (${cores} cores = ${cores * 100}%); broker = every thread of the node process; others = the rest of the machine.`,
    `broker CPU ms/MB: CPU time of all three brokers per MB of payload moved (the cost of the figure; less sensitive to other work than the rate).`,
    `MB = 10^6 bytes of record values. JSON: ${output}`,
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
