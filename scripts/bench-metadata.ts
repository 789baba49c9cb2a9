// npm run bench:metadata [-- --rounds 10 --partitions 100000 --json]
//
// Measures the metadata quorum as real processes on this machine (a local 3-node combined
// cluster, default flags unless noted) and reports:
//   cold start          `flotilla dev` (npm start) until it prints its bootstrap servers; and spawn of
//                       3 nodes until every broker is registered and unfenced
//   idle RSS            per node, a few seconds after start
//   create rate         partitions created per second (topics of 100 partitions, RF 3)
//   controller failover kill -9 of the active controller until a CreateTopics succeeds (N rounds)
//   broker failover     kill -9 of a broker until every partition it led has a new leader in the image
//   at scale            with --partitions P (RF 3) in the image: RSS per node, kill -9 and restart of
//                       all nodes until a write succeeds again (image from the snapshot plus the log
//                       tail), controller failover
// Every node runs with default flags except snapshots every 1 MiB of records (see coldStart).
// Figures go to stdout; nothing is asserted (timing belongs here, not in tests).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { ControllerClient } from '../src/metadata/controller-client.js';
import { nodeId, type NodeId } from '../src/raft/core/types.js';
import { LocalCluster } from '../src/server/local-cluster.js';

const POLL_MS = 10;
const SNAPSHOT_BYTES = 1024 * 1024;
const WAIT_MS_MAX = 60_000;

interface Summary {
  median: number;
  max: number;
  samples: number[];
}

function summary(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length === 0 ? NaN : (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
  return { median: round(median), max: round(sorted.at(-1) ?? NaN), samples: samples.map(round) };
}

const round = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return round(Number(line?.split(/\s+/)[1] ?? NaN) / 1024);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS_MAX): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(POLL_MS);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

async function activeController(client: ControllerClient): Promise<NodeId> {
  const desc = await client.call('describeCluster', {});
  if (desc.error?.code) throw new Error(`describeCluster: ${desc.error.code} ${desc.error.message}`);
  return nodeId(desc.controllerId ?? 0);
}

let topicSeq = 0;
async function createTopic(client: ControllerClient, partitions: number, replicationFactor: number): Promise<boolean> {
  const res = await client.call('createTopics', { topics: [{ name: `bench-${process.pid}-${topicSeq++}`, numPartitions: partitions, replicationFactor }] });
  return !res.error?.code && !res.topics?.[0]?.error?.code;
}

/** `flotilla dev` (what `npm start` runs, without npm's own start-up) until it prints its bootstrap servers. */
async function devColdStart(): Promise<number> {
  const started = performance.now();
  const dev = spawn(process.execPath, ['dist/src/cli/flotilla.js', 'dev'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const lines = createInterface({ input: dev.stdout });
    for await (const line of lines) if (/bootstrap servers:/.test(line)) return round(performance.now() - started);
    throw new Error('bench: flotilla dev exited before printing its bootstrap servers');
  } finally {
    const exited = new Promise((resolve) => dev.once('exit', resolve));
    dev.kill('SIGTERM');
    await exited;
  }
}

async function coldStart(): Promise<{ cluster: LocalCluster; ms: number }> {
  // Snapshots every 1 MiB of records (Kafka's default is 20 MiB) so that the at-scale restart
  // loads its image from a snapshot (Kafka's 20 MiB would not be reached by 100,000 partitions).
  const cluster = await LocalCluster.create({ controllers: 3, serverFlags: ['--metadata-log-max-record-bytes-between-snapshots', String(SNAPSHOT_BYTES)] });
  const started = performance.now();
  await cluster.start();
  await cluster.waitBrokersUnfenced();
  return { cluster, ms: round(performance.now() - started) };
}

async function createRate(client: ControllerClient, seconds: number): Promise<number> {
  const started = performance.now();
  let partitions = 0;
  while (performance.now() - started < seconds * 1000) {
    if (await createTopic(client, 100, 3)) partitions += 100;
  }
  return round(partitions / ((performance.now() - started) / 1000));
}

async function controllerFailover(cluster: LocalCluster, rounds: number): Promise<Summary> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const client = cluster.client();
    const victim = await activeController(client);
    const killed = performance.now();
    await cluster.kill(victim);
    await until('a create after failover', async () => ((await createTopic(client, 1, 1)) ? true : undefined));
    samples.push(performance.now() - killed);
    await cluster.restart(victim);
    await cluster.waitBrokersUnfenced();
  }
  return summary(samples);
}

async function brokerFailover(cluster: LocalCluster, rounds: number): Promise<Summary> {
  const samples: number[] = [];
  const client = cluster.client();
  for (let round = 0; round < rounds; round++) {
    // A fresh topic gives every broker leaderships again: a restarted broker rejoins no ISR until
    // the data plane re-adds it, so it leads nothing of the older topics.
    await cluster.waitBrokersUnfenced();
    if (!(await createTopic(client, 30, 3))) throw new Error('bench: could not create a topic');
    const controller = await activeController(client);
    let victim = nodeId(0);
    let led = new Set<string>();
    for (const id of cluster.ids().filter((id) => id !== controller)) {
      const mine = await ledBy(client, id);
      if (mine.size > led.size) [victim, led] = [id, mine];
    }
    if (led.size === 0) throw new Error('bench: no broker but the controller leads a partition');
    const killed = performance.now();
    await cluster.kill(victim);
    await until('every partition of the dead broker led elsewhere', async () => ((await ledBy(client, victim)).size === 0 ? true : undefined));
    samples.push(performance.now() - killed);
    await cluster.restart(victim);
    await cluster.waitBrokersUnfenced();
  }
  return summary(samples);
}

/** The partitions `broker` leads, as topic-partition names. */
async function ledBy(client: ControllerClient, broker: NodeId): Promise<Set<string>> {
  const desc = await client.call('describeCluster', {});
  if (desc.error?.code) throw new Error(`describeCluster: ${desc.error.code}`);
  const out = new Set<string>();
  for (const t of desc.topics ?? []) for (const p of t.partitions ?? []) if (p.leader === broker) out.add(`${t.name}-${p.partition}`);
  return out;
}

async function partitionCount(client: ControllerClient): Promise<number> {
  const desc = await client.call('describeCluster', {});
  if (desc.error?.code) throw new Error(`describeCluster: ${desc.error.code}`);
  return (desc.topics ?? []).reduce((n, t) => n + (t.partitions?.length ?? 0), 0);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('rounds', { type: 'number', default: 10, describe: 'failover rounds' })
    .option('create-seconds', { type: 'number', default: 5 })
    .option('partitions', { type: 'number', default: 100_000, describe: 'partitions in the image for the at-scale figures (0: skip)' })
    .option('json', { type: 'boolean', default: false })
    .strict()
    .parse();
  const report: Record<string, unknown> = {};
  report.devColdStartMs = await devColdStart();
  const { cluster, ms } = await coldStart();
  try {
    report.coldStartMs = ms;
    await sleep(3000);
    report.idleRssMb = Object.fromEntries(cluster.ids().map((id) => [id, rssMb(cluster.node(id).pid)]));
    const client = cluster.client();
    // Failovers first, on a small image: the broker failover is observed by polling DescribeCluster,
    // whose cost grows with the image and would otherwise be part of the figure.
    report.controllerFailoverMs = await controllerFailover(cluster, argv.rounds);
    report.brokerFailoverMs = await brokerFailover(cluster, Math.min(argv.rounds, 5));
    report.partitionsCreatedPerSecond = await createRate(client, argv['create-seconds']);
    if (argv.partitions > 0) report.atScale = await atScale(cluster, argv.partitions, Math.min(argv.rounds, 5));
  } finally {
    await cluster.stop();
  }
  if (argv.json) console.log(JSON.stringify(report));
  else console.log(JSON.stringify(report, null, 2));
}

async function atScale(cluster: LocalCluster, partitions: number, rounds: number): Promise<Record<string, unknown>> {
  const client = cluster.client();
  const have = await partitionCount(client);
  const perTopic = 1000;
  for (let made = have; made < partitions; made += perTopic) {
    if (!(await createTopic(client, Math.min(perTopic, partitions - made), 3))) throw new Error('bench: create failed while filling the image');
  }
  const total = await partitionCount(client);
  await sleep(2000);
  const rss = Object.fromEntries(cluster.ids().map((id) => [id, rssMb(cluster.node(id).pid)]));
  // Restart every node from disk; the image comes back from the metadata snapshot plus the log tail.
  await Promise.all(cluster.ids().map((id) => cluster.kill(id)));
  const started = performance.now();
  await Promise.all(cluster.ids().map((id) => cluster.restart(id)));
  const fresh = cluster.client();
  // Served again = an active controller holding the whole image accepts a write. (Polling the whole
  // image instead would measure the poll, each a DescribeCluster of every partition.)
  await until('a create after the restart', async () => ((await createTopic(fresh, 1, 1)) ? true : undefined), 120_000);
  const restartMs = round(performance.now() - started);
  const served = await partitionCount(fresh);
  if (served < total) throw new Error(`bench: ${served} partitions served after the restart, ${total} before`);
  await cluster.waitBrokersUnfenced();
  const failover = await controllerFailover(cluster, rounds);
  return { partitions: total, rssMb: rss, restartUntilServedMs: restartMs, controllerFailoverMs: failover };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
