// `flotilla random-cluster-id` and `flotilla format`, run as a user runs them, and the checks a
// server applies to a formatted directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirError, checkIdentity, readMetaProperties, validateClusterId } from '../../src/metadata/data-dir.js';
import { nodeId } from '../../src/raft/core/types.js';
import { LevelRaftStorage } from '../../src/raft/level-storage.js';

const CLI = fileURLToPath(new URL('../../src/cli/flotilla.js', import.meta.url));
let dir: string;

const flotilla = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FLOTILLA_LOG_LEVEL: 'silent' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('random-cluster-id prints a fresh valid id each time', () => {
  const a = flotilla('random-cluster-id').out.trim();
  const b = flotilla('random-cluster-id').out.trim();
  assert.equal(validateClusterId(a), undefined);
  assert.notEqual(a, b);
});

test('format writes meta.properties and a metadata log holding the initial controllers', async () => {
  const id = flotilla('random-cluster-id').out.trim();
  const dataDir = join(dir, 'n1');
  const r = flotilla('format', '--cluster-id', id, '--node-id', '1', '--data-dir', dataDir, '--initial-controllers', '1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093');
  assert.equal(r.code, 0, r.err);
  const meta = await readMetaProperties(dataDir);
  assert.equal(meta.clusterId, id);
  assert.equal(meta.nodeId, 1);
  const storage = await LevelRaftStorage.open(join(dataDir, 'metadata'));
  try {
    assert.deepEqual((await storage.load()).snapshot.meta.conf, { voters: [1, 2, 3], learners: [] });
  } finally {
    await storage.close();
  }
  checkIdentity(meta, { clusterId: id, nodeId: nodeId(1) }, dataDir);
  assert.throws(() => checkIdentity(meta, { clusterId: 'AAAAAAAAAAAAAAAAAAAAAA', nodeId: nodeId(1) }, dataDir), (e: unknown) => e instanceof DataDirError && e.code === 'CLUSTER_ID_MISMATCH');
  assert.throws(() => checkIdentity(meta, { nodeId: nodeId(2) }, dataDir), (e: unknown) => e instanceof DataDirError && e.code === 'NODE_ID_MISMATCH');
});

test('formatting twice is refused and changes nothing', async () => {
  const id = flotilla('random-cluster-id').out.trim();
  const dataDir = join(dir, 'twice');
  assert.equal(flotilla('format', '--cluster-id', id, '--node-id', '4', '--data-dir', dataDir).code, 0);
  const before = await readFile(join(dataDir, 'meta.properties'), 'utf8');
  const other = flotilla('random-cluster-id').out.trim();
  const r = flotilla('format', '--cluster-id', other, '--node-id', '4', '--data-dir', dataDir);
  assert.equal(r.code, 2);
  assert.match(r.err, /already formatted/);
  assert.equal(await readFile(join(dataDir, 'meta.properties'), 'utf8'), before);
});

test('invalid flags say what is wrong, print usage, exit 2, and create nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['format', '--node-id', '1', '--data-dir', join(dir, 'x')], /Missing required argument: cluster-id/],
    [['format', '--cluster-id', 'short', '--node-id', '1', '--data-dir', join(dir, 'x')], /not 22 characters/],
    [['format', '--cluster-id', 'AAAAAAAAAAAAAAAAAAAAAA', '--node-id', '0', '--data-dir', join(dir, 'x')], /positive integer/],
    [['format', '--cluster-id', 'AAAAAAAAAAAAAAAAAAAAAA', '--node-id', '1', '--data-dir', join(dir, 'x'), '--initial-controllers', '1@host'], /expected ID@HOST:PORT/],
    [['frobnicate'], /Unknown argument: frobnicate/],
  ];
  for (const [args, reason] of cases) {
    const r = flotilla(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, reason);
    assert.match(r.err, /format/, 'usage is printed');
  }
  await assert.rejects(readMetaProperties(join(dir, 'x')), (e: unknown) => e instanceof DataDirError && e.code === 'NOT_FORMATTED');
});

test('a damaged meta.properties is reported with the file and line', async () => {
  const dataDir = join(dir, 'damaged');
  const id = flotilla('random-cluster-id').out.trim();
  assert.equal(flotilla('format', '--cluster-id', id, '--node-id', '5', '--data-dir', dataDir).code, 0);
  await writeFile(join(dataDir, 'meta.properties'), 'version=1\ncluster.id\n');
  await assert.rejects(readMetaProperties(dataDir), /meta\.properties:2: expected key=value/);
});
