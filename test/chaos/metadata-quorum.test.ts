// The metadata quorum under real faults: three combined broker+controller nodes and two broker-only
// nodes, each a `flotilla server` process in its own network namespace (src/chaos), observed from a
// sixth namespace through the admin agent (controller-agent.ts). Scenarios, in order, each starting
// from a healthy cluster:
//   1. kill -9 of the active controller: another takes over with every committed topic, accepts a
//      new one, and once the killed node is back every voter and observer has the whole log;
//   2. the active controller cut off from every other node: it steps down (CheckQuorum), the
//      majority elects another that accepts a topic and fences the cut-off node's broker, and
//      after healing the old one catches up without deposing the new one (PreVote);
//   3. kill -9 of a broker-only node: it is fenced, its leaderships move inside their ISRs under
//      new leader epochs, it leaves every ISR; restarted from its data directory it catches up
//      (the log is compacted every few entries meanwhile, so through a snapshot) and is unfenced;
//   4. SIGSTOP of a broker-only node past its session: fenced, then unfenced after SIGCONT;
//   5. every node killed once the quorum has caught up: each data directory's log, replayed
//      offline, gives the same sound image (the nodes offer no per-node image to compare live).
// Every describeCluster answer goes through MetadataHistory's invariants (leader in ISR, epochs
// never back, no fenced leader, no topic lost, read offsets never back); a failure prints the
// history and each node's last stderr lines.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chaosSupport } from '../../src/chaos/index.js';
import type { ResponseOf } from '../../src/metadata/controller-service.js';
import { imageAt, lastIndex, readStoredLog, snapshotIndex } from './durable-images.js';
import { FlotillaCluster } from './flotilla-cluster.js';
import { MetadataHistory, observedImage, summarize, untilUnbroken, type DescribeCluster } from './metadata-history.js';

const support = chaosSupport();
const skip = support.ok ? false : support.reason;
if (!support.ok) console.log(`# SKIPPING metadata quorum chaos tests: ${support.reason}`);

const CONTROLLERS = 3;
const BROKERS_ONLY = 2;
const HEARTBEAT_INTERVAL_MS = 250;
const SESSION_TIMEOUT_MS = 2_000;
/** Raft entries between metadata snapshots: small, so a node that was away catches up by snapshot. */
const SNAPSHOT_ENTRIES = 10;
/** Generous: a loaded 2-core machine running five node processes. */
const DEADLINE_MS = 45_000;
const POLL_MS = 200;
const NO_LEADER = -1;

let cluster: FlotillaCluster | undefined;
let creating: Promise<FlotillaCluster> | undefined;
const history = new MetadataHistory();
let failed = false;

after(async () => {
  // The whole history on request (passing runs too): FLOTILLA_CHAOS_HISTORY=1.
  if (process.env.FLOTILLA_CHAOS_HISTORY === '1') console.log(history.tail(Infinity));
  // Node logs are kept on failure, or on request: FLOTILLA_CHAOS_KEEP=1.
  const keep = failed || process.env.FLOTILLA_CHAOS_KEEP === '1';
  const c = cluster ?? (await creating?.catch(() => undefined));
  if (keep && c) console.log(`# node logs kept in ${c.dir}`);
  await c?.destroy(keep);
});

/** Runs one scenario; on failure, the history and the nodes' stderr tails go into the error. */
function scenario(name: string, body: (c: FlotillaCluster) => Promise<void>): void {
  test(name, { skip, timeout: 120_000 }, async () => {
    try {
      cluster = await (creating ??= createCluster()); // once: a failed start fails every scenario
      await body(cluster);
      assert.deepEqual(cluster.crashes, [], 'no node exits unless the test kills it');
    } catch (error) {
      failed = true;
      const detail = `\n=== history (last entries)\n${history.tail()}\n=== nodes\n${cluster?.report() ?? 'no cluster'}`;
      if (error instanceof Error) error.message += detail;
      throw error;
    }
  });
}

/** untilUnbroken with this file's deadline and poll. */
const until = (what: string, condition: () => boolean | Promise<boolean>, timeoutMs = DEADLINE_MS): Promise<void> => untilUnbroken(what, condition, timeoutMs, POLL_MS);

const describe = (c: FlotillaCluster): Promise<DescribeCluster> => observedImage(c, history);

function unfenced(d: DescribeCluster): number[] {
  return (d.brokers ?? []).filter((b) => !b.fenced).map((b) => b.id ?? 0).sort((a, b) => a - b);
}

function fenced(d: DescribeCluster, id: number): boolean {
  return (d.brokers ?? []).find((b) => b.id === id)?.fenced === true;
}

/** Creates a topic; returns the error code if the controller refused (after recording it). */
async function tryCreateTopic(c: FlotillaCluster, name: string, partitions: number, replicationFactor: number): Promise<string | undefined> {
  const created = await c.call('createTopics', { topics: [{ name, numPartitions: partitions, replicationFactor }] });
  const error = created.topics?.[0]?.error;
  history.record(error?.code ? 'fail' : 'ok', 'createTopics', `${name} ${partitions}x${replicationFactor}${error?.code ? ` ${error.code}: ${error.message}` : ''}`);
  return error?.code || undefined;
}

async function createTopic(c: FlotillaCluster, name: string, partitions: number, replicationFactor: number): Promise<void> {
  const code = await tryCreateTopic(c, name, partitions, replicationFactor);
  assert.equal(code, undefined, `createTopics ${name} refused`);
}

/**
 * Creates a topic while brokers may be fenced for a while (too few for the replication factor):
 * retried until enough are back. A retry after a call that failed without an answer may find the
 * topic made by that call.
 */
async function createTopicEventually(c: FlotillaCluster, name: string, partitions: number, replicationFactor: number): Promise<void> {
  let unanswered = false;
  await until(`topic ${name} created`, async () => {
    let code: string | undefined;
    try {
      code = await tryCreateTopic(c, name, partitions, replicationFactor);
    } catch (error) {
      unanswered = true;
      throw error;
    }
    if (code === 'INVALID_REPLICATION_FACTOR') return false;
    if (code === 'TOPIC_ALREADY_EXISTS' && unanswered) return true;
    assert.equal(code, undefined, `createTopics ${name} refused`);
    return true;
  });
}

/** describeQuorum on the active controller: exactly these voters and observers, each with lag 0. */
async function quorumCaughtUp(c: FlotillaCluster): Promise<ResponseOf<'describeQuorum'> | undefined> {
  const q = await c.call('describeQuorum', {});
  if (q.error?.code) return undefined;
  const ids = (rs: typeof q.voters) => (rs ?? []).map((r) => r.id).join(',');
  const lagging = [...(q.voters ?? []), ...(q.observers ?? [])].filter((r) => Number(r.lag) !== 0);
  const ok = ids(q.voters) === c.controllerIds.join(',') && ids(q.observers) === c.brokerOnlyIds.join(',') && lagging.length === 0;
  history.record('check', 'describeQuorum', `leader ${q.leaderId} term ${q.leaderEpoch} hw ${q.highWatermark} voters ${ids(q.voters)} observers ${ids(q.observers)} lagging ${lagging.map((r) => `${r.id}:${r.lag}`).join(',') || 'none'}`);
  return ok ? q : undefined;
}

async function allUnfenced(c: FlotillaCluster): Promise<void> {
  const all = c.nodeIds.join(',');
  await until(`brokers ${all} registered and unfenced`, async () => unfenced(await describe(c)).join(',') === all);
}

async function converged(c: FlotillaCluster): Promise<ResponseOf<'describeQuorum'>> {
  let caughtUp: ResponseOf<'describeQuorum'> | undefined;
  await until('every voter and observer caught up (describeQuorum lag 0)', async () => (caughtUp = await quorumCaughtUp(c)) !== undefined);
  assert.ok(caughtUp);
  return caughtUp;
}

/** Per node, the highest index it compacted its raft log to (from its debug log). */
const compactedIndex = new Map<number, number>();

function watchCompaction(c: FlotillaCluster): FlotillaCluster {
  c.onStderr((id, line) => {
    if (!line.includes('compacted the raft log')) return;
    const index = Number((JSON.parse(line) as { index?: number }).index ?? 0);
    compactedIndex.set(id, Math.max(index, compactedIndex.get(id) ?? 0));
  });
  return c;
}

async function createCluster(): Promise<FlotillaCluster> {
  return watchCompaction(await FlotillaCluster.create({
    controllers: CONTROLLERS,
    brokersOnly: BROKERS_ONLY,
    serverFlags: [
      '--broker-heartbeat-interval-ms', String(HEARTBEAT_INTERVAL_MS),
      '--broker-session-timeout-ms', String(SESSION_TIMEOUT_MS),
      '--metadata-snapshot-max-records', String(SNAPSHOT_ENTRIES),
    ],
    logLevel: 'debug', // for 'compacted the raft log'
  }));
}

scenario('five nodes in five namespaces start, register and are unfenced', async (c) => {
  await c.startAgent();
  await Promise.all(c.nodeIds.map((id) => c.start(id)));
  history.record('ok', 'start', `nodes ${c.nodeIds.join(',')} ready`);
  await allUnfenced(c);
  await createTopic(c, 'before-failover', 6, 3);
  await converged(c);
});

scenario('kill -9 of the active controller: a new one takes over, nothing committed is lost', async (c) => {
  const before = await describe(c);
  const old = before.controllerId ?? 0;
  const topicsBefore = (before.topics ?? []).map((t) => t.name);
  history.record('fault', 'kill -9', `node ${old} (the active controller)`);
  await c.kill(old);
  let now = before;
  await until(`a controller other than ${old}`, async () => (now = await describe(c)).controllerId !== old);
  assert.deepEqual(topicsBefore.filter((t) => !(now.topics ?? []).some((x) => x.name === t)), [], 'topics committed before the kill');
  await createTopic(c, 'after-failover', 4, 3);
  // The killed node was a broker too: the new controller re-armed its session and fences it.
  await until(`broker ${old} fenced by the new controller`, async () => fenced(await describe(c), old));

  history.record('fault', 'restart', `node ${old}`);
  await c.start(old);
  await allUnfenced(c);
  await converged(c);
  const names = ((await describe(c)).topics ?? []).map((t) => t.name);
  assert.deepEqual(names, ['after-failover', 'before-failover']);
});

scenario('the active controller cut off: it steps down, the majority goes on, it rejoins on heal', async (c) => {
  const before = await describe(c);
  const cut = before.controllerId ?? 0;
  // Cut off from every flotilla node but not from the agent's namespace, so the test still sees
  // what the cut-off node says about itself.
  const others = c.nodeIds.filter((id) => id !== cut);
  history.record('fault', 'partition', `[${cut}] | [${others.join(',')}]`);
  await c.net.partition([cut], others);
  let elected: { leader: number; term: number };
  try {
    elected = await cutOff(c, cut);
  } finally {
    history.record('fault', 'heal', 'all');
    await c.net.heal();
  }
  const q = await converged(c);
  await allUnfenced(c);
  const after = await describe(c);
  assert.ok((after.topics ?? []).some((t) => t.name === 'during-partition'));
  // PreVote and CheckQuorum: the returning node must not have deposed the healthy leader.
  assert.equal(q.leaderId, elected.leader, `the leader elected during the partition (${elected.leader}) still leads`);
  assert.equal(Number(q.leaderEpoch), elected.term, 'no election after healing');
});

/**
 * What must happen while node `cut`, the active controller, is cut off from the other nodes;
 * returns the leader the majority elected and its term.
 */
async function cutOff(c: FlotillaCluster, cut: number): Promise<{ leader: number; term: number }> {
  let next: DescribeCluster | undefined;
  await until(`node ${cut} steps down (NOT_CONTROLLER)`, async () => {
    const q = await c.callOne(cut, 'describeQuorum', {});
    history.record('check', `describeQuorum on ${cut}`, q.error?.code ? q.error.code : `leader ${q.leaderId} term ${q.leaderEpoch}`);
    return q.error?.code === 'NOT_CONTROLLER';
  });
  await until(`a controller other than ${cut}`, async () => (next = await describe(c)).controllerId !== cut);
  const leader = next?.controllerId ?? 0;
  // Brokers of the majority may be fenced for a while too: their heartbeats went to the old
  // controller, and on a loaded machine finding the new one can take longer than a session.
  await createTopicEventually(c, 'during-partition', 3, 2);
  // Held until the new controller fences the cut-off node's broker, whose heartbeats cannot reach it.
  await until(`broker ${cut} fenced by controller ${leader}`, async () => fenced(await describe(c), cut));
  const q = await c.callOne(leader, 'describeQuorum', {});
  assert.ok(!q.error?.code, `describeQuorum on ${leader}: ${q.error?.code}`);
  return { leader, term: Number(q.leaderEpoch) };
}

scenario('kill -9 of a broker-only node: fenced, leaderships move inside the ISR, back after restart', async (c) => {
  await createTopic(c, 'spread', 10, 3);
  // Partition leaders add caught-up replicas back to their ISRs (AlterPartition) on their own
  // schedule; the ISRs this scenario checks against must be the ones in force at the kill.
  let before = await describe(c);
  const isrsFull = (d: DescribeCluster) => (d.topics ?? []).every((t) => (t.partitions ?? []).every((p) => (p.isr ?? []).length === (p.replicas ?? []).length));
  await until('every ISR back to its full replica set', async () => isrsFull((before = await describe(c))));
  const ledBy = (d: DescribeCluster, id: number) => (d.topics ?? []).flatMap((t) => (t.partitions ?? []).filter((p) => p.leader === id).map((p) => ({ topic: t.name ?? '', p })));
  const victim = [...c.brokerOnlyIds].sort((a, b) => ledBy(before, b).length - ledBy(before, a).length)[0] ?? 0;
  const led = ledBy(before, victim);
  assert.ok(led.length > 0, `broker ${victim} leads some partition: ${summarize(before)}`);

  history.record('fault', 'kill -9', `node ${victim} (broker-only, leads ${led.length})`);
  await c.kill(victim);
  let now = before;
  await until(`broker ${victim} fenced`, async () => fenced((now = await describe(c)), victim));
  for (const { topic, p } of led) {
    const after = (now.topics ?? []).find((t) => t.name === topic)?.partitions?.find((x) => x.partition === p.partition);
    const where = `${topic}-${p.partition}`;
    assert.ok(after, where);
    const survivors = (p.isr ?? []).filter((id) => id !== victim);
    if (survivors.length === 0) continue; // the last ISR member: offline, as in Kafka
    assert.ok(survivors.includes(after.leader ?? NO_LEADER), `${where}: new leader ${after.leader} from the old ISR [${p.isr?.join(',')}]`);
    assert.ok(Number(after.leaderEpoch) > Number(p.leaderEpoch), `${where}: leader epoch ${p.leaderEpoch} -> ${after.leaderEpoch}`);
  }
  for (const t of now.topics ?? []) {
    for (const p of t.partitions ?? []) {
      const isr = p.isr ?? [];
      if (isr.includes(victim)) assert.ok(isr.length === 1 && p.leader === NO_LEADER, `${t.name}-${p.partition}: fenced ${victim} stays in ISR [${isr.join(',')}]`);
    }
  }

  // While it is away, every voter compacts away the entries it would need next, so whichever
  // leads must send it a snapshot.
  const stoppedAt = lastIndex(await readStoredLog(c.dataDir(victim)));
  const compactedPast = () => c.controllerIds.every((id) => (compactedIndex.get(id) ?? 0) > stoppedAt);
  for (let i = 0; !compactedPast(); i++) {
    assert.ok(i < SNAPSHOT_ENTRIES * 4, `voters compacted past ${stoppedAt}: ${JSON.stringify([...compactedIndex])}`);
    await createTopic(c, `while-away-${i}`, 1, 3);
  }
  history.record('check', 'compaction', `broker ${victim}'s log ends at ${stoppedAt}; voters compacted up to ${c.controllerIds.map((id) => `${id}:${compactedIndex.get(id)}`).join(',')}`);
  history.record('fault', 'restart', `node ${victim}`);
  await c.start(victim);
  await allUnfenced(c);
  await converged(c);
});

scenario('SIGSTOP of a broker-only node past its session: fenced, unfenced after SIGCONT', async (c) => {
  const victim = c.brokerOnlyIds[c.brokerOnlyIds.length - 1] ?? 0;
  history.record('fault', 'pause', `node ${victim}`);
  c.pause(victim);
  try {
    await until(`broker ${victim} fenced while stopped`, async () => fenced(await describe(c), victim));
  } finally {
    c.resume(victim);
    history.record('fault', 'resume', `node ${victim}`);
  }
  await allUnfenced(c);
  await converged(c);
});

scenario('every node\'s durable metadata log replays to the same image', async (c) => {
  const q = await converged(c);
  const hw = Number(q.highWatermark);
  history.record('fault', 'kill -9', `every node (${c.nodeIds.join(',')}) after the quorum reached ${hw}`);
  await Promise.all(c.nodeIds.map((id) => c.kill(id)));
  const logs = await Promise.all(c.nodeIds.map((id) => readStoredLog(c.dataDir(id))));
  // Everything up to the high watermark is committed, and so is anything a node has snapshotted.
  const target = Math.max(hw, ...logs.map(snapshotIndex));
  const images = logs.map((log) => imageAt(log, target));
  history.record('check', 'durable images', logs.map((log, i) => `node ${c.nodeIds[i]}: snapshot ${snapshotIndex(log)} last ${lastIndex(log)}`).join(', ') + ` at ${target}`);
  for (const [i, image] of images.entries()) {
    assert.deepEqual(image.violations, [], `node ${c.nodeIds[i]}'s image is sound`);
    assert.equal(image.json, images[0]?.json, `node ${c.nodeIds[i]} holds the image node ${c.nodeIds[0]} holds at ${target}`);
  }
  assert.ok(logs.some((log) => snapshotIndex(log) > 0), 'some node compacted its log into a snapshot');
  assert.ok(history.observations > 20, `invariants checked over ${history.observations} observations`);
});
