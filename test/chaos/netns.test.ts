// The chaos library on real network namespaces and nftables: three namespaces on one bridge, a TCP
// echo server in each; partitions (two-way and one-way), isolation and heal checked by connecting
// between every pair; pause/resume of a server; and a destroy that leaves nothing behind. Needs
// root with iproute2 and nftables; without them every test here is skipped with the reason shown.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { ChaosNet, chaosSupport, isAlive, pause, resume } from '../../src/chaos/index.js';
import { READY_MS_MAX, startEchoServer, tcpProbe, udpProbe, waitForLine } from './helpers.js';

/** A probe expected to get through may take this long (generous: ARP, a loaded machine). */
const REACH_MS = 10_000;
/** A probe expected to be blocked gives up after this; a blocked one can only ever time out. */
const BLOCKED_MS = 1_000;

const support = chaosSupport();
const skip = support.ok ? false : support.reason;
if (!support.ok) console.log(`# SKIPPING chaos network tests: ${support.reason}`);

let net: ChaosNet | undefined;
const servers = new Map<number, ChildProcess>();
let rootLinksBefore = new Set<string>();

before(async () => {
  if (!support.ok) return;
  rootLinksBefore = rootBridgeAndVethLinks();
  net = await ChaosNet.create({ nodes: 3 });
  for (const { id } of net.nodes) servers.set(id, startEchoServer(net, id));
  for (const [id, server] of servers) {
    const line = await waitForLine(server, /^ready \d+/, READY_MS_MAX);
    // `ip netns exec` execs in place: the pid we hold is the server's own pid.
    assert.equal(Number(line.split(' ')[1]), server.pid, `node ${id}: pid seen by the server`);
  }
});

after(async () => {
  await net?.destroy(); // idempotent: the last test destroys it already when all goes well
});

function theNet(): ChaosNet {
  assert.ok(net, 'net was created');
  return net;
}

type Pair = readonly [number, number];
const ALL_PAIRS: readonly Pair[] = [[1, 2], [2, 1], [1, 3], [3, 1], [2, 3], [3, 2]];

async function assertReach(pairs: readonly Pair[], expected: 'ok' | 'timeout'): Promise<void> {
  const ms = expected === 'ok' ? REACH_MS : BLOCKED_MS;
  const results = await Promise.all(pairs.map(([from, to]) => tcpProbe(theNet(), from, to, ms)));
  pairs.forEach(([from, to], i) => assert.equal(results[i], expected, `tcp ${from} -> ${to}`));
}

function rootBridgeAndVethLinks(): Set<string> {
  const links = JSON.parse(execFileSync('ip', ['-d', '-j', 'link', 'show']).toString()) as Array<{ ifname: string; linkinfo?: { info_kind?: string } }>;
  return new Set(links.filter((l) => ['veth', 'bridge'].includes(l.linkinfo?.info_kind ?? '')).map((l) => l.ifname));
}

test('nodes have their own namespaces and addresses, and every pair connects', { skip }, async () => {
  const n = theNet();
  assert.deepEqual(n.nodes.map((node) => node.address), [1, 2, 3].map((id) => `10.77.${n.cluster}.${id}`));
  const listed = execFileSync('ip', ['netns', 'list']).toString();
  for (const node of n.nodes) {
    assert.match(listed, new RegExp(`^${node.namespace}\\b`, 'm'));
    const pids = execFileSync('ip', ['netns', 'pids', node.namespace]).toString().split('\n').map(Number);
    assert.ok(pids.includes(servers.get(node.id)?.pid ?? -1), `server ${node.id} runs inside ${node.namespace}`);
  }
  await assertReach(ALL_PAIRS, 'ok');
});

test('partition {1} | {2,3} blocks 1<->2 and 1<->3 but not 2<->3; heal restores all', { skip }, async () => {
  const n = theNet();
  await n.partition([1], [2, 3]);
  await Promise.all([assertReach([[1, 2], [2, 1], [1, 3], [3, 1]], 'timeout'), assertReach([[2, 3], [3, 2]], 'ok')]);
  await n.heal();
  await assertReach(ALL_PAIRS, 'ok');
});

test('one-way partition 1 -> 2 drops only what 1 sends to 2', { skip }, async () => {
  const n = theNet();
  await n.partitionOneWay([1], [2]);
  const [oneToTwo, twoToOne, oneToThree] = await Promise.all([
    udpProbe(n, 1, 2, BLOCKED_MS),
    udpProbe(n, 2, 1, REACH_MS),
    udpProbe(n, 1, 3, REACH_MS),
  ]);
  assert.equal(oneToTwo, 'timeout', 'udp 1 -> 2 is dropped');
  assert.equal(twoToOne, 'ok', 'udp 2 -> 1 still arrives');
  assert.equal(oneToThree, 'ok', 'udp 1 -> 3 is untouched');
  // TCP needs both directions, so it fails either way between 1 and 2.
  await Promise.all([assertReach([[1, 2], [2, 1]], 'timeout'), assertReach([[1, 3], [3, 2]], 'ok')]);
  await n.heal();
  await assertReach(ALL_PAIRS, 'ok');
});

test('isolate 2 cuts it off from both others', { skip }, async () => {
  const n = theNet();
  await n.isolate(2);
  await Promise.all([assertReach([[2, 1], [1, 2], [2, 3], [3, 2]], 'timeout'), assertReach([[1, 3], [3, 1]], 'ok')]);
  await n.heal();
  await assertReach(ALL_PAIRS, 'ok');
});

test('a paused server stops answering and answers again once resumed', { skip }, async () => {
  const n = theNet();
  const pid = servers.get(3)?.pid;
  assert.ok(pid !== undefined);
  pause(pid);
  try {
    // The kernel still completes the handshake for a stopped process; only the echo is missing.
    assert.equal(await tcpProbe(n, 1, 3, BLOCKED_MS), 'timeout');
  } finally {
    resume(pid);
  }
  await assertReach([[1, 3], [2, 3]], 'ok');
});

test('destroy kills the processes first and leaves no namespace, veth or bridge', { skip }, async () => {
  const n = theNet();
  const namespaces = [n.hub, ...n.nodes.map((node) => node.namespace)];
  const pids = [...servers.values()].map((s) => s.pid ?? -1);
  await n.destroy();
  for (const pid of pids) assert.equal(isAlive(pid), false, `server pid ${pid} is gone`);
  const listed = execFileSync('ip', ['netns', 'list']).toString();
  for (const ns of namespaces) assert.doesNotMatch(listed, new RegExp(`^${ns}\\b`, 'm'));
  assert.doesNotMatch(listed, new RegExp(`^${n.name}-`, 'm'));
  const newLinks = [...rootBridgeAndVethLinks()].filter((name) => !rootLinksBefore.has(name));
  assert.deepEqual(newLinks, [], 'no veth or bridge left in the root namespace');
  await assert.rejects(() => ChaosNet.open(n.name), /no chaos net/);
});
