// The data plane under real faults: three combined broker+controller nodes, each a `flotilla
// server` process in its own network namespace (src/chaos), and an idempotent acks=all producer
// (data-producer-agent.ts) in a fourth namespace writing unique, increasing values to one partition
// (replication factor 3, min.insync.replicas 2) while the partition's leader fails. Three runs, each
// on a topic of its own whose leader is not the active controller, so that the failover is the data
// plane's own:
//   1. the leader is killed (-9) mid-stream, and restarted from its data directory;
//   2. the leader is cut off from the other nodes (not from the producer, which keeps talking to
//      it and must not get an acknowledgement it cannot keep), then the partition heals;
//   3. the leader is paused (SIGSTOP) past its broker session, then resumed: a leader that wakes
//      up believing it still leads.
// In each run the producer keeps writing through the failover, the old leader's return and its
// catching up, and the preferred leader (the old one) taking the partition back, then stops; the partition is
// read back from its leader up to the high-water mark (data-read-agent.ts) and the whole history
// is checked (data-history.ts): every acknowledged value present exactly once at its acknowledged
// offset, in send order, nothing never invoked, nothing given up as failed. Then every node is
// stopped and each replica's files are read offline (data-replica-logs.ts): every replica holds the
// same bytes, which are the bytes the leader served.
//
// Every describeCluster answer goes through MetadataHistory's invariants too. A failure prints the
// run's history (faults, leaders, retries, give-ups; acknowledgements folded into runs) and each
// node's last stderr lines. FLOTILLA_CHAOS_HISTORY=1 prints the histories of passing runs too;
// FLOTILLA_CHAOS_KEEP=1 keeps the node logs.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chaosSupport } from '../../src/chaos/index.js';
import { waitUntil } from '../support/wait.js';
import { DataHistory, summarizeCheck, type LogRecord } from './data-history.js';
import type { ProducerOptions } from './data-producer-agent.js';
import { readReplicaLog } from './data-replica-logs.js';
import { FlotillaCluster, KAFKA_PORT } from './flotilla-cluster.js';
import { MetadataHistory, observedImage, untilUnbroken, type DescribeCluster } from './metadata-history.js';

const support = chaosSupport();
const skip = support.ok ? false : support.reason;
if (!support.ok) console.log(`# SKIPPING data-plane failover chaos tests: ${support.reason}`);

const PRODUCER = fileURLToPath(new URL('./data-producer-agent.js', import.meta.url));
const READER = fileURLToPath(new URL('./data-read-agent.js', import.meta.url));
const NODES = 3;
const PARTITION = 0;
const HEARTBEAT_INTERVAL_MS = 250;
const SESSION_TIMEOUT_MS = 2_000;
/** leader.imbalance.check.interval.seconds: the preferred leader gets its partition back soon. */
const LEADER_IMBALANCE_CHECK_SECONDS = 2;
const PRODUCER_OPTIONS: ProducerOptions = {
  window: 5,
  // Enough to keep every phase busy, little enough for a loaded 2-core machine shared with others.
  opsPerSecondMax: 250,
  opDeadlineMs: 30_000,
  produceTimeoutMs: 3_000,
  opsMax: 100_000,
};
/** Acknowledgements wanted before the fault, after it, and after the ISR is whole again. */
const OKS_PER_PHASE = 100;
/** Generous: a loaded 2-core machine running three node processes and the agents. */
const DEADLINE_MS = 45_000;
const POLL_MS = 200;
/** The producer settles its last operations within its delivery timeout, plus start-up slack. */
const PRODUCER_STOP_MS = PRODUCER_OPTIONS.opDeadlineMs + 20_000;
const READ_MS = 60_000;
const NO_LEADER = -1;

interface RunResult {
  readonly topic: string;
  readonly highWatermark: number;
  readonly sha256: string;
}

let cluster: FlotillaCluster | undefined;
let creating: Promise<FlotillaCluster> | undefined;
const metadata = new MetadataHistory();
let current: DataHistory | undefined;
const runs: RunResult[] = [];
let failed = false;

after(async () => {
  const keep = failed || process.env.FLOTILLA_CHAOS_KEEP === '1';
  const c = cluster ?? (await creating?.catch(() => undefined));
  if (keep && c) console.log(`# node logs kept in ${c.dir}`);
  await c?.destroy(keep);
});

function scenario(name: string, body: (c: FlotillaCluster, t: TestContext) => Promise<void>): void {
  test(name, { skip, timeout: 240_000 }, async (t) => {
    try {
      cluster = await (creating ??= createCluster());
      await body(cluster, t);
      assert.deepEqual(cluster.crashes, [], 'no node exits unless the test kills it');
    } catch (error) {
      failed = true;
      const detail = `\n=== data history (last lines)\n${current?.render() ?? 'none'}\n=== metadata (last entries)\n${metadata.tail(40)}\n=== nodes\n${cluster?.report() ?? 'no cluster'}`;
      if (error instanceof Error) error.message += detail;
      throw error;
    }
  });
}

async function createCluster(): Promise<FlotillaCluster> {
  return watchTruncations(await FlotillaCluster.create({
    controllers: NODES,
    brokersOnly: 0,
    serverFlags: [
      '--broker-heartbeat-interval-ms', String(HEARTBEAT_INTERVAL_MS),
      '--broker-session-timeout-ms', String(SESSION_TIMEOUT_MS),
      '--leader-imbalance-check-interval-seconds', String(LEADER_IMBALANCE_CHECK_SECONDS),
    ],
  }));
}

/**
 * A replica cutting off a divergent suffix (the old leader's unreplicated appends) goes into the
 * current run's history: it shows what the fault left behind, and the check shows none of it counted.
 */
function watchTruncations(c: FlotillaCluster): FlotillaCluster {
  c.onStderr((id, line) => {
    if (!line.includes('follower diverged')) return;
    const { topic, partition, leaderEnd, truncateTo } = JSON.parse(line) as { topic?: string; partition?: number; leaderEnd?: number; truncateTo?: number };
    current?.record('check', 'truncation', `node ${id} truncates its ${topic}-${partition} to ${truncateTo} (leader's end for its epoch: ${leaderEnd})`);
  });
  return c;
}

/** untilUnbroken with this file's deadline and poll. */
const until = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs = DEADLINE_MS): Promise<void> => untilUnbroken(what, condition, timeoutMs, POLL_MS);

const describe = (c: FlotillaCluster): Promise<DescribeCluster> => observedImage(c, metadata);

interface PartitionView {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

function partitionOf(d: DescribeCluster, topic: string): PartitionView | undefined {
  const p = d.topics?.find((t) => t.name === topic)?.partitions?.find((x) => (x.partition ?? 0) === PARTITION);
  return p === undefined ? undefined : { leader: p.leader ?? NO_LEADER, leaderEpoch: p.leaderEpoch ?? 0, isr: p.isr ?? [] };
}

function bootstrap(c: FlotillaCluster): string {
  return c.nodeIds.map((id) => `${c.net.node(id).address}:${KAFKA_PORT}`).join(',');
}

/**
 * Creates `topic` (one partition, every node a replica, min.insync.replicas 2) led by a node that
 * is not the active controller; returns that leader once the whole ISR stands.
 */
async function createDataTopic(c: FlotillaCluster, topic: string, history: DataHistory): Promise<number> {
  const d = await describe(c);
  const leader = c.nodeIds.find((id) => id !== d.controllerId) ?? c.nodeIds[0]!;
  const replicas = [leader, ...c.nodeIds.filter((id) => id !== leader)];
  const created = await c.call('createTopics', { topics: [{
    name: topic, numPartitions: -1, replicationFactor: -1,
    assignments: [{ partition: PARTITION, brokerIds: replicas }],
    configs: [{ key: 'min.insync.replicas', value: '2' }],
  }] });
  const error = created.topics?.[0]?.error;
  assert.ok(!error?.code, `createTopics ${topic}: ${error?.code}: ${error?.message}`);
  await until(`${topic} led by ${leader} with replicas ${replicas.join(',')} all in the ISR`, async () => {
    const p = partitionOf(await describe(c), topic);
    return p?.leader === leader && p.isr.length === NODES;
  });
  history.record('check', 'topic', `${topic}: replicas [${replicas.join(',')}], leader ${leader}, controller ${d.controllerId}, min.insync.replicas 2`);
  return leader;
}

interface ProducerHandle {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly stderr: string[];
}

function startProducer(c: FlotillaCluster, topic: string, history: DataHistory): ProducerHandle {
  const child = c.net.spawn(c.agentNode, process.execPath, [PRODUCER, bootstrap(c), topic, String(PARTITION), JSON.stringify(PRODUCER_OPTIONS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => history.add(line));
  // The exit counts once every line is in: 'close' comes after stdout has ended.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, stderr };
}

/** Asks the producer to stop and waits until it has settled every operation and exited. */
async function stopProducer(p: ProducerHandle, history: DataHistory): Promise<void> {
  history.record('check', 'stop', 'the producer is asked to stop');
  p.child.stdin?.end('stop\n');
  let code: number | null | undefined;
  void p.exited.then((c) => (code = c));
  try {
    await waitUntil('the producer settles its operations and exits', () => code !== undefined, PRODUCER_STOP_MS, POLL_MS);
  } finally {
    if (code === undefined && p.child.pid !== undefined) p.child.kill('SIGKILL');
  }
  assert.equal(code, 0, `the producer exited with ${code}: ${history.crash ?? p.stderr.join('')}`);
  assert.ok(history.done, 'the producer said it was done');
}

/** Waits on the producer's history; fails at once if the producer died. */
async function untilProduced(p: ProducerHandle, history: DataHistory, what: string, condition: () => boolean): Promise<void> {
  await waitUntil(what, () => {
    if (history.crash !== undefined || p.child.exitCode !== null) throw new Error(`the producer stopped: ${history.crash ?? p.stderr.join('')}`);
    return condition();
  }, DEADLINE_MS, POLL_MS);
}

interface ReadBack {
  readonly records: LogRecord[];
  readonly highWatermark: number;
  readonly sha256: string;
  readonly leader: number;
  readonly retries: readonly string[];
}

/** The whole partition, read from its leader up to the HW by the read agent inside the net. */
async function readBack(c: FlotillaCluster, topic: string): Promise<ReadBack> {
  const child = c.net.spawn(c.agentNode, process.execPath, [READER, bootstrap(c), topic, String(PARTITION)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: READ_MS });
  const records: LogRecord[] = [];
  let end: { highWatermark: number; sha256: string; leader: number; retries: string[] } | undefined;
  let crash = '';
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as LogRecord | { type: 'end'; highWatermark: number; sha256: string; leader: number; retries: string[] } | { type: 'crash'; error: string };
    if (!('type' in parsed)) records.push(parsed);
    else if (parsed.type === 'end') end = parsed;
    else crash = parsed.error;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  assert.ok(code === 0 && end !== undefined, `the reader exited with ${code}: ${crash}${stderr.join('')}`);
  return { records, ...end };
}

/**
 * One run: a topic, a producer, `fault` on the leader once writes flow, the cluster's new leader
 * and more writes, `repair` and the whole ISR back with more writes, then the check of the history
 * against the partition read back.
 */
async function failoverRun(
  c: FlotillaCluster,
  t: TestContext,
  name: string,
  fault: { readonly label: string; readonly inject: (leader: number) => Promise<void>; readonly repairLabel: string; readonly repair: (leader: number) => Promise<void> },
): Promise<void> {
  const history = new DataHistory();
  current = history;
  const topic = `data-${name}`;
  const leader = await createDataTopic(c, topic, history);
  const producer = startProducer(c, topic, history);
  let faultAt = 0;
  let repaired = true;
  try {
    await untilProduced(producer, history, `${OKS_PER_PHASE} acknowledged writes before the fault`, () => history.oks >= OKS_PER_PHASE);
    faultAt = history.record('fault', fault.label, `node ${leader} (the leader of ${topic}-${PARTITION})`);
    repaired = false;
    await fault.inject(leader);
    let next: PartitionView | undefined;
    await until(`a leader of ${topic} other than ${leader}`, async () => {
      next = partitionOf(await describe(c), topic);
      return next !== undefined && next.leader !== leader && next.leader !== NO_LEADER;
    });
    history.record('check', 'new leader', `node ${next?.leader} at epoch ${next?.leaderEpoch}, ISR [${next?.isr.join(',')}]`);
    await untilProduced(producer, history, `${OKS_PER_PHASE} acknowledged writes after the fault`, () => history.oksSince(faultAt) >= OKS_PER_PHASE);
    history.record('fault', fault.repairLabel, `node ${leader}`);
    await fault.repair(leader);
    repaired = true;
    await until(`node ${leader} back in the ISR of ${topic}`, async () => partitionOf(await describe(c), topic)?.isr.length === NODES);
    history.record('check', 'ISR whole', JSON.stringify(partitionOf(await describe(c), topic)));
    // auto.leader.rebalance hands the partition back to its preferred leader: one more leader
    // change under load, a planned one this time.
    let back: PartitionView | undefined;
    await until(`node ${leader}, the preferred leader, leads ${topic} again`, async () => (back = partitionOf(await describe(c), topic))?.leader === leader);
    const backAt = history.record('check', 'preferred leader back', JSON.stringify(back));
    await untilProduced(producer, history, `${OKS_PER_PHASE} acknowledged writes with the preferred leader back`, () => history.oksSince(backAt) >= OKS_PER_PHASE);
  } catch (error) {
    // The producer's history up to here is what explains the failure; stop it without masking
    // that, and leave the cluster whole for the next scenario.
    await stopProducer(producer, history).catch(() => undefined);
    if (!repaired) await fault.repair(leader).catch(() => undefined);
    throw error;
  }
  await stopProducer(producer, history);
  const read = await readBack(c, topic);
  history.record('check', 'read back', `${read.records.length} records up to HW ${read.highWatermark} from node ${read.leader}${read.retries.length ? `; retries: ${read.retries.join('; ')}` : ''}`);
  const check = history.check(read.records);
  const gap = history.gapAfter(faultAt);
  const gapToNewLeader = history.gapAfter(faultAt, leader);
  const longest = history.longestAckGap();
  t.diagnostic(`${topic}: ${summarizeCheck(check)}`);
  t.diagnostic(`${topic}: failover gap ${gapToNewLeader} ms (${fault.label} to the first acknowledgement by another node; ${gap} ms to the first at all); longest gap between acknowledgements ${longest.ms} ms at ${((longest.from - history.startedAt) / 1000).toFixed(1)}s`);
  if (process.env.FLOTILLA_CHAOS_HISTORY === '1') console.log(history.render(Infinity));
  assert.deepEqual(check.violations, [], `the history of ${topic} holds against its log`);
  assert.ok(check.ok >= OKS_PER_PHASE * 3, `at least ${OKS_PER_PHASE * 3} acknowledged writes (${check.ok})`);
  assert.ok(gapToNewLeader !== undefined, 'another node acknowledged writes after the fault');
  assert.equal(read.highWatermark, read.records.length, 'the partition holds one record per offset from 0 to the HW');
  runs.push({ topic, highWatermark: read.highWatermark, sha256: read.sha256 });
}

scenario('three nodes in three namespaces start, register and are unfenced', async (c) => {
  await c.startAgent();
  await Promise.all(c.nodeIds.map((id) => c.start(id)));
  await until('every broker registered and unfenced', async () => {
    const brokers = (await describe(c)).brokers ?? [];
    return brokers.filter((b) => !b.fenced).length === NODES;
  });
});

scenario('kill -9 of the partition leader under an idempotent acks=all producer: every acknowledged write once, in order', async (c, t) => {
  await failoverRun(c, t, 'kill', {
    label: 'kill -9',
    inject: (leader) => c.kill(leader),
    repairLabel: 'restart',
    repair: (leader) => c.start(leader),
  });
});

scenario('the partition leader cut off from the other nodes (not from the producer): every acknowledged write once, in order', async (c, t) => {
  await failoverRun(c, t, 'partition', {
    label: 'partition',
    inject: (leader) => c.net.partition([leader], c.nodeIds.filter((id) => id !== leader)),
    repairLabel: 'heal',
    repair: () => c.net.heal(),
  });
});

scenario('the partition leader paused (SIGSTOP) past its session, then resumed: every acknowledged write once, in order', async (c, t) => {
  // The resumed leader still believes it leads until it reads the metadata log, with whatever the
  // producer had sent it still in its sockets: it must acknowledge none of it.
  await failoverRun(c, t, 'pause', {
    label: 'pause',
    inject: async (leader) => c.pause(leader),
    repairLabel: 'resume',
    repair: async (leader) => c.resume(leader),
  });
});

scenario('every replica holds the same bytes, the ones the leader served', async (c, t) => {
  assert.equal(runs.length, 3, 'every run finished');
  await Promise.all(c.nodeIds.map((id) => c.kill(id)));
  for (const run of runs) {
    for (const id of c.nodeIds) {
      const replica = await readReplicaLog(c.dataDir(id), run.topic, PARTITION, run.highWatermark);
      const where = `node ${id}'s replica of ${run.topic}-${PARTITION}`;
      t.diagnostic(`${where}: offsets ${replica.logStartOffset}..${replica.logEndOffset}, ${replica.batches} batches, leader epochs from offset ${replica.epochStarts.map(([e, o]) => `${e}@${o}`).join(' ')}`);
      assert.equal(replica.logStartOffset, 0, `${where} starts at 0`);
      assert.equal(replica.logEndOffset, run.highWatermark, `${where} ends at the HW the leader served (nothing uncommitted left over, nothing missing)`);
      assert.equal(replica.sha256UpTo, run.sha256, `${where} holds the bytes the leader served`);
    }
  }
});
