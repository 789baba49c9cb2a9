// `npm run bench:raft`: three real raft processes on loopback (LevelDB with a sync write per Ready,
// gRPC between nodes), 256-byte proposals from a separate client process. Reports committed
// proposals/s and commit latency (client-observed: a put is answered once applied on the leader)
// at 1 and 64 concurrent proposers, pipelined over one PutStream to the leader, as Kafka clients
// pipeline on one connection; then leader failover time: kill -9 of the leader until the next
// proposal commits, over several rounds. A benchmark reports; it asserts nothing.
import { writeFile } from 'node:fs/promises';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { NodeId } from '../src/raft/core/types.js';
import { KvPipeline } from '../src/raft/kv/client.js';
import { LocalKvCluster } from '../src/raft/kv/cluster.js';

const VALUE = new Uint8Array(256).fill(0x61);

interface DiskUse {
  /** Leader storage writes per second, entries per write, and mean time per write. */
  readonly persistsPerSecond: number;
  readonly entriesPerPersist: number;
  readonly msPerPersist: number;
}

interface LoadResult {
  readonly leaderDisk?: DiskUse;
  readonly concurrency: number;
  readonly proposals: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs a load phase and reads the leader's storage counters around it. */
async function measured(cluster: LocalKvCluster, leader: NodeId, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = await cluster.client.status(leader);
  const result = await run();
  const after = await cluster.client.status(leader);
  const persists = Number(after.persists) - Number(before.persists);
  const entries = Number(after.persistedEntries) - Number(before.persistedEntries);
  const ms = Number(after.persistMs) - Number(before.persistMs);
  return { ...result, leaderDisk: { persistsPerSecond: persists / result.seconds, entriesPerPersist: entries / persists, msPerPersist: ms / persists } };
}

async function load(client: KvPipeline, concurrency: number, seconds: number, prefix: string): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      try {
        await client.put(`${prefix}-${n++}`, VALUE);
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { concurrency, proposals: latencies.length, seconds: elapsed, perSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), failed };
}

/** kill -9 the leader while one client proposes in a loop; time until the next proposal commits. */
async function failoverRound(cluster: LocalKvCluster, round: number): Promise<number> {
  const leader = await cluster.waitForLeader();
  await cluster.client.put(`warm-${round}`, VALUE);
  const killedAt = performance.now();
  await cluster.kill(leader);
  for (let i = 0; ; i++) {
    try {
      await cluster.client.put(`failover-${round}-${i}`, VALUE);
      const ms = performance.now() - killedAt;
      await cluster.startNode(leader);
      await cluster.waitForLeader();
      return ms;
    } catch {
      // the client already retried within its deadline; keep going until a proposal commits
      if (performance.now() - killedAt > 60_000) throw new Error('no commit within 60 s of the kill');
    }
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('seconds', { type: 'number', default: 10, describe: 'duration of each load phase' })
    .option('rounds', { type: 'number', default: 10, describe: 'failover rounds' })
    .option('json', { type: 'string', describe: 'also write the results to this JSON file' })
    .option('cpu-prof-dir', { type: 'string', describe: 'write a CPU profile of every node process here (on clean exit)' })
    .strict()
    .parse();
  const profile = argv['cpu-prof-dir'];
  const cluster = await LocalKvCluster.start({ size: 3, logLevel: 'error', execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [] });
  try {
    const leader = await cluster.waitForLeader();
    const pipeline = new KvPipeline(cluster.kvAddress(leader));
    await load(pipeline, 8, 1, 'warmup');
    const sequential = await measured(cluster, leader, () => load(pipeline, 1, argv.seconds, 'c1'));
    const concurrent = await measured(cluster, leader, () => load(pipeline, 64, argv.seconds, 'c64'));
    pipeline.close();
    const failovers: number[] = [];
    for (let round = 0; round < argv.rounds; round++) failovers.push(await failoverRound(cluster, round));
    const sorted = [...failovers].sort((a, b) => a - b);
    const report = {
      setup: '3 processes on loopback, LevelDB sync write per Ready, 256-byte proposals, tick 50 ms, election timeout 10-20 ticks',
      load: [sequential, concurrent],
      failoverMs: { median: percentile(sorted, 50), max: sorted.at(-1), rounds: failovers },
    };
    console.log('concurrency  proposals/s  p50 ms  p99 ms  failed  leader writes/s  entries/write  ms/write');
    for (const r of report.load) {
      const d = r.leaderDisk;
      const disk = d ? `${d.persistsPerSecond.toFixed(0).padStart(15)}  ${d.entriesPerPersist.toFixed(1).padStart(13)}  ${d.msPerPersist.toFixed(2).padStart(8)}` : '';
      console.log(`${String(r.concurrency).padStart(11)}  ${r.perSecond.toFixed(0).padStart(11)}  ${r.p50Ms.toFixed(2).padStart(6)}  ${r.p99Ms.toFixed(2).padStart(6)}  ${String(r.failed).padStart(6)}  ${disk}`);
    }
    console.log(`leader failover (kill -9 to next commit): median ${report.failoverMs.median.toFixed(0)} ms, max ${report.failoverMs.max?.toFixed(0)} ms over ${argv.rounds} rounds`);
    if (argv.json) await writeFile(argv.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
