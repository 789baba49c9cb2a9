// `flotilla dev` as a user runs it: it prints the bootstrap lines once every broker is unfenced,
// the admin commands work against it, and SIGTERM stops every node and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { CLI, flotilla, exited } from '../support/flotilla-cli.js';
import { waitUntil } from '../support/wait.js';

const DEV_DEADLINE_MS = 90_000;

test('flotilla dev: bootstrap lines, a working cluster, a clean stop on SIGTERM', { timeout: 3 * DEV_DEADLINE_MS }, async () => {
  const dev = spawn(process.execPath, [CLI, 'dev', '--nodes', '3'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: 'error' } });
  const out: string[] = [];
  let err = '';
  createInterface({ input: dev.stdout! }).on('line', (line) => out.push(line));
  dev.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  try {
    const up = () => out.some((l) => l.startsWith('bootstrap controllers: '));
    await waitUntil('the bootstrap lines of flotilla dev (or its exit)', () => up() || dev.exitCode !== null, DEV_DEADLINE_MS, 50).catch((error: Error) => {
      throw new Error(`${error.message}\nstdout:\n${out.join('\n')}\nstderr:\n${err.slice(-4000)}`);
    });
    assert.ok(up(), `flotilla dev exited (${dev.exitCode}):\n${err.slice(-4000)}`);
    const servers = out.filter((l) => l.includes('bootstrap servers: '));
    assert.equal(servers.length, 1, out.join('\n'));
    assert.match(servers[0] ?? '', /^bootstrap servers: 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+( \(registered, but not served yet: the Kafka protocol listener arrives with the data plane\))?$/);
    const controllers = (out.find((l) => l.startsWith('bootstrap controllers: ')) ?? '').slice('bootstrap controllers: '.length);
    const dataDir = /data in (\S+)/.exec(out[0] ?? '')?.[1] ?? '';
    assert.ok(existsSync(dataDir), out.join('\n'));
    const r = await flotilla('topics', 'create', '--topic', 'demo', '--bootstrap-controller', controllers);
    assert.equal(r.code, 0, r.err);
    dev.kill('SIGTERM');
    assert.equal(await exited(dev), 0, err);
    assert.equal(existsSync(dataDir), false, 'the temp data dir is removed');
  } finally {
    if (dev.exitCode === null) dev.kill('SIGKILL');
  }
});
