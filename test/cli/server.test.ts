// `flotilla server` as an operator runs it: bad configuration and unformatted directories are
// refused with the reason (exit 2); a one-node cluster from a server.properties file prints its
// ready line, serves the admin commands, and exits 0 on SIGTERM, or when a supervising parent's
// stdin pipe closes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { formatDataDir, randomClusterId } from '../../src/metadata/data-dir.js';
import { nodeId } from '../../src/raft/core/types.js';
import { freePort } from '../../src/util/ports.js';
import { CLI, flotilla, exited } from '../support/flotilla-cli.js';
import { waitUntil } from '../support/wait.js';

const SERVER_DEADLINE_MS = 60_000;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-server-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('invalid configuration: every problem, the usage, exit 2', async () => {
  const r = await flotilla('server', '--node-id', '1', '--roles', 'broker', '--controller-quorum', '1@127.0.0.1:19091', '--listeners', 'PLAINTEXT://127.0.0.1:9092', '--data-dir', join(dir, 'x'));
  assert.equal(r.code, 2);
  assert.equal(
    r.err.split('\n\n')[0],
    [
      'flotilla: invalid server configuration:',
      '  - node 1 is in --controller-quorum but has no controller role (--roles broker)',
      '  - a broker-only node needs an INTERNAL listener for node-to-node gRPC, e.g. INTERNAL://127.0.0.1:0',
    ].join('\n'),
  );
  assert.match(r.err, /--controller-quorum/, 'usage is printed');
  const missing = await flotilla('server', '--config', join(dir, 'nope.properties'));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^flotilla: cannot read --config \S+nope\.properties: ENOENT/);
  const unknown = await flotilla('server', '--node-id', '1', '--frobnicate', 'x');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^flotilla: Unknown arguments?: frobnicate/);
});

test('an unformatted or foreign data directory is refused with the fix', async () => {
  const flags = ['--roles', 'broker,controller', '--controller-quorum', '1@127.0.0.1:19091', '--listeners', 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19091'];
  const fresh = join(dir, 'fresh');
  const r = await flotilla('server', '--node-id', '1', ...flags, '--data-dir', fresh);
  assert.equal(r.code, 2);
  assert.equal(r.err.split('\n')[0], `flotilla: ${fresh} is not formatted: run \`flotilla format --cluster-id ID --node-id N --data-dir ${fresh}\` first`);
  const other = join(dir, 'other');
  await formatDataDir({ dataDir: other, clusterId: randomClusterId(), nodeId: nodeId(2), initialVoters: [nodeId(2)] });
  const foreign = await flotilla('server', '--node-id', '1', ...flags, '--data-dir', other);
  assert.equal(foreign.code, 2);
  assert.equal(foreign.err.split('\n')[0], `flotilla: ${other} was formatted for node 2, not 1`);
});

test('a one-node cluster from server.properties: ready line, admin commands, exit 0 on SIGTERM', { timeout: 3 * SERVER_DEADLINE_MS }, async () => {
  const dataDir = join(dir, 'solo');
  const [kafkaPort, controllerPort] = [await freePort(), await freePort()];
  await formatDataDir({ dataDir, clusterId: randomClusterId(), nodeId: nodeId(1), initialVoters: [nodeId(1)] });
  const file = join(dir, 'server.properties');
  await writeFile(
    file,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      'controller.listener.names=CONTROLLER',
      'log.dirs=/not/this/one',
      'num.partitions=2',
      '',
    ].join('\n'),
  );
  const server = spawn(process.execPath, [CLI, 'server', '--config', file, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn' } });
  const out: string[] = [];
  let err = '';
  createInterface({ input: server.stdout! }).on('line', (line) => out.push(line));
  server.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  try {
    await waitUntil('the ready line', () => out.length > 0 || server.exitCode !== null, SERVER_DEADLINE_MS, 20);
    const ready = JSON.parse(out[0] ?? '{}') as Record<string, unknown>;
    assert.deepEqual(ready.listeners, { PLAINTEXT: `127.0.0.1:${kafkaPort}`, CONTROLLER: `127.0.0.1:${controllerPort}` }, err);
    assert.equal(ready.event, 'ready');
    assert.equal(ready.nodeId, 1);
    const bootstrap = ['--bootstrap-controller', `127.0.0.1:${controllerPort}`];
    await waitUntil('broker 1 unfenced', async () => (await flotilla('brokers', 'list', ...bootstrap)).out.includes('1   unfenced'), SERVER_DEADLINE_MS, 100);
    const created = await flotilla('topics', 'create', '--topic', 't', ...bootstrap);
    assert.equal(created.code, 0, created.err);
    const described = await flotilla('topics', 'describe', '--topic', 't', ...bootstrap);
    assert.match(described.out, /PartitionCount: 2\tReplicationFactor: 1/, 'num.partitions from the file is the default');
    server.kill('SIGTERM');
    assert.equal(await exited(server), 0, err);
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  // Again from the same directory, supervised: the node stops when its parent's stdin pipe closes.
  const supervised = spawn(process.execPath, [CLI, 'server', '--config', file, '--data-dir', dataDir, '--stop-with-parent'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn' } });
  const lines: string[] = [];
  createInterface({ input: supervised.stdout! }).on('line', (line) => lines.push(line));
  supervised.stderr!.resume();
  try {
    await waitUntil('the supervised node to be ready', () => lines.length > 0 || supervised.exitCode !== null, SERVER_DEADLINE_MS, 20);
    assert.match(lines[0] ?? '', /"event":"ready"/);
    supervised.stdin!.end();
    assert.equal(await exited(supervised), 0);
  } finally {
    if (supervised.exitCode === null) supervised.kill('SIGKILL');
  }
});
