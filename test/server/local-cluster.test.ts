// LocalCluster with real `flotilla server` processes: three combined nodes and a broker-only one
// start, register and unfence; the admin CLI creates and describes a topic through them; a
// node restarts from its data directory; stop() leaves no process behind.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nodeId } from '../../src/raft/core/types.js';
import { LocalCluster } from '../../src/server/local-cluster.js';
import { flotilla } from '../support/flotilla-cli.js';
import { waitUntil } from '../support/wait.js';

const CLUSTER_DEADLINE_MS = 60_000;
let cluster: LocalCluster;

const admin = (...args: string[]) => flotilla(...args, '--bootstrap-controller', cluster.controllerAddresses().join(','));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  cluster = await LocalCluster.create({ controllers: 3, brokersOnly: 1 });
  await cluster.start();
  await cluster.waitBrokersUnfenced(CLUSTER_DEADLINE_MS);
});

after(async () => {
  await cluster?.stop();
});

test('every node is ready on its own loopback ports and registered', async () => {
  assert.deepEqual(cluster.ids(), [1, 2, 3, 101]);
  for (const id of cluster.ids()) {
    const node = cluster.node(id);
    assert.equal(node.ready?.nodeId, id);
    assert.ok(node.pid !== undefined && alive(node.pid));
    const grpc = node.controller ? 'CONTROLLER' : 'INTERNAL';
    assert.equal(node.ready?.listeners?.[grpc], `127.0.0.1:${node.ports[grpc]}`);
  }
  const r = await admin('brokers', 'list', '--json');
  assert.equal(r.code, 0, r.err);
  const brokers = (JSON.parse(r.out) as { brokers: { id: number; fenced: boolean }[] }).brokers;
  assert.deepEqual(brokers.map((b) => [b.id, b.fenced]).sort((a, b) => Number(a[0]) - Number(b[0])), [[1, false], [2, false], [3, false], [101, false]]);
  const args = cluster.spawnArgs(nodeId(101)).args;
  assert.deepEqual(args.slice(args.indexOf('--roles'), args.indexOf('--roles') + 2), ['--roles', 'broker']);
});

test('topics create through the CLI, then describe shows it with leaders and a full ISR', async () => {
  const created = await admin('topics', 'create', '--topic', 'orders', '--partitions', '3', '--replication-factor', '3');
  assert.equal(created.code, 0, created.err);
  assert.equal(created.out, 'Created topic orders.\n');
  const described = await admin('topics', 'describe', '--topic', 'orders');
  assert.equal(described.code, 0, described.err);
  const lines = described.out.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^Topic: orders\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: $/);
  for (const [i, line] of lines.slice(1).entries()) {
    const m = /^\tTopic: orders\tPartition: (\d+)\tLeader: (\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)\t/.exec(line);
    assert.ok(m, line);
    assert.equal(Number(m[1]), i);
    assert.equal(m[3]?.split(',').length, 3);
    assert.ok(m[3]?.split(',').includes(m[2] ?? ''), 'the leader is a replica');
  }
  const again = await admin('topics', 'create', '--topic', 'orders');
  assert.equal(again.code, 1);
  assert.match(again.err, /^flotilla: TOPIC_ALREADY_EXISTS: /);
});

test('quorum status names a leader among the controllers and the broker-only node as an observer', async () => {
  const r = await admin('quorum', 'status', '--json');
  assert.equal(r.code, 0, r.err);
  const q = JSON.parse(r.out) as { leaderId: number; voters: { id: number }[]; observers: { id: number }[] };
  assert.ok([1, 2, 3].includes(q.leaderId));
  assert.deepEqual(q.voters.map((v) => v.id), [1, 2, 3]);
  assert.deepEqual(q.observers.map((o) => o.id), [101]);
});

test('a killed node restarts from its data directory on its ports and unfences again', async () => {
  const before = cluster.node(nodeId(2));
  await cluster.kill(nodeId(2));
  assert.equal(cluster.isRunning(nodeId(2)), false);
  await cluster.restart(nodeId(2));
  const after = cluster.node(nodeId(2));
  assert.notEqual(after.pid, before.pid);
  assert.deepEqual(after.ports, before.ports);
  await cluster.waitBrokersUnfenced(CLUSTER_DEADLINE_MS);
  const described = await admin('topics', 'describe', '--topic', 'orders', '--json');
  assert.equal(described.code, 0, described.err);
});

test('a terminated node shuts down in a controlled way, exits 0, and restarts', async () => {
  await cluster.terminate(nodeId(3));
  assert.deepEqual(cluster.lastExit(nodeId(3)), { code: 0, signal: null }, cluster.stderrOf(nodeId(3)));
  await cluster.restart(nodeId(3));
  assert.equal(cluster.isRunning(nodeId(3)), true);
  await cluster.waitBrokersUnfenced(CLUSTER_DEADLINE_MS);
});

test('stop() ends every process it started', async () => {
  const pids = cluster.ids().flatMap((id) => cluster.node(id).pid ?? []);
  assert.equal(pids.length, 4);
  await cluster.stop();
  await waitUntil('every node process to be gone', () => pids.every((pid) => !alive(pid)));
});
