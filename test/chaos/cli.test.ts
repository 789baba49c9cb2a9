// The chaos command line: bad arguments are refused with a reason and usage (no root needed), and,
// with root, a net is created, faulted, healed and destroyed through the CLI alone, each call a
// separate process that finds the net again by name.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { ChaosNet, chaosSupport } from '../../src/chaos/index.js';
import { listBlocks } from '../../src/chaos/nft.js';
import { waitUntil } from '../support/wait.js';

const CLI = fileURLToPath(new URL('../../scripts/chaos.js', import.meta.url));
const CLI_TIMEOUT_MS = 30_000;
const EXIT_WAIT_MS = 10_000;

const support = chaosSupport();
const skip = support.ok ? false : support.reason;
if (!support.ok) console.log(`# SKIPPING chaos CLI network test: ${support.reason}`);

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function chaos(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Running and not a zombie (a killed orphan stays a zombie until init reaps it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('bad arguments print what is wrong and usage, and exit non-zero', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /give a command/],
    [['bogus'], /Unknown argument: bogus/],
    [['create'], /Missing required argument: nodes/],
    [['create', '--nodes', '0'], /--nodes must be an integer in 1\.\.\d+/],
    [['partition', '--net', 'flt-1-abcd', '1'], /Not enough non-option arguments/],
    [['heal'], /Missing required argument: net/],
    [['kill', '--pid', '1'], /--pid must be a process id greater than 1/],
    [['pause', '--pid', 'x'], /--pid must be a process id/],
    [['run', '--net', 'flt-1-abcd', '--node', '1'], /give the command after --/],
  ];
  for (const [args, message] of cases) {
    const result = await chaos(...args);
    assert.notEqual(result.code, 0, `chaos ${args.join(' ')} exits non-zero`);
    assert.match(result.stderr, message, `chaos ${args.join(' ')}`);
    assert.match(result.stderr, /chaos <command>|Options:/, `chaos ${args.join(' ')} prints usage`);
  }
});

test('operating errors name the problem and exit non-zero', async () => {
  const result = await chaos('resume', '--pid', '2147483646');
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /no process 2147483646/);
});

let created: string | undefined;

after(async () => {
  // Only if the test failed half-way: the CLI's destroy did not run.
  if (created !== undefined) await (await ChaosNet.open(created).catch(() => undefined))?.destroy();
});

test('create, run, partition, heal, pause, resume and destroy through the CLI', { skip }, async () => {
  const made = await chaos('create', '--nodes', '2');
  assert.equal(made.code, 0, made.stderr);
  const info = JSON.parse(made.stdout) as { name: string; nodes: Array<{ id: number; namespace: string; address: string }> };
  created = info.name;
  assert.equal(info.nodes.length, 2);
  const [n1, n2] = info.nodes;
  assert.ok(n1 && n2);

  const ran = await chaos('run', '--net', info.name, '--node', '2', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)');
  assert.equal(ran.code, 0, ran.stderr);
  const pid = (JSON.parse(ran.stdout) as { pid: number }).pid;
  assert.ok(running(pid));

  assert.equal((await chaos('partition', '--net', info.name, '1', '2', '--one-way')).code, 0);
  assert.deepEqual(await listBlocks(n1.namespace), { to: [n2.address], from: [] });
  assert.deepEqual(await listBlocks(n2.namespace), { to: [], from: [n1.address] });
  assert.equal((await chaos('isolate', '--net', info.name, '2')).code, 0);
  assert.deepEqual(await listBlocks(n1.namespace), { to: [n2.address], from: [n2.address] });
  assert.equal((await chaos('heal', '--net', info.name)).code, 0);
  assert.deepEqual(await listBlocks(n1.namespace), { to: [], from: [] });
  assert.deepEqual(await listBlocks(n2.namespace), { to: [], from: [] });

  assert.equal((await chaos('pause', '--pid', String(pid))).code, 0);
  await waitUntil('stopped', () => readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') T'), EXIT_WAIT_MS);
  assert.equal((await chaos('resume', '--pid', String(pid))).code, 0);
  await waitUntil('running again', () => !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') T'), EXIT_WAIT_MS);

  const destroyed = await chaos('destroy', '--net', info.name);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  created = undefined;
  await waitUntil('the process run in the net is killed', () => !running(pid), EXIT_WAIT_MS);
  const gone = await chaos('heal', '--net', info.name);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /no chaos net named/);
});

test('cleanup removes ownerless leftovers with their processes and spares nets whose owner runs', { skip }, async () => {
  // A prefix of our own, so that neither this cleanup nor a concurrent run's touches the other.
  const prefix = `fc${randomBytes(3).toString('hex')}`;
  const live = await ChaosNet.create({ nodes: 1, prefix });
  try {
    const made = await chaos('create', '--nodes', '2', '--prefix', prefix);
    assert.equal(made.code, 0, made.stderr);
    const leftover = (JSON.parse(made.stdout) as { name: string }).name;
    created = leftover;
    const ran = await chaos('run', '--net', leftover, '--node', '1', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)');
    assert.equal(ran.code, 0, ran.stderr);
    const pid = (JSON.parse(ran.stdout) as { pid: number }).pid;

    const cleaned = await chaos('cleanup', '--prefix', prefix);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    const result = JSON.parse(cleaned.stdout) as { removed: string[]; skipped: string[] };
    assert.deepEqual(result.removed.sort(), [`${leftover}-hub`, `${leftover}-n1`, `${leftover}-n2`]);
    assert.deepEqual(result.skipped, [live.name]);
    created = undefined;
    await waitUntil('the leftover\'s process is killed', () => !running(pid), EXIT_WAIT_MS);
    await assert.rejects(() => ChaosNet.open(leftover), /no chaos net/);
    await ChaosNet.open(live.name); // still there
  } finally {
    await live.destroy();
  }
});
