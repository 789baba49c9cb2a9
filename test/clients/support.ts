// Shared by the client-compatibility tests: one real 3-node cluster per test file, a fresh RF 3
// topic per test, the records every client produces (10,000 by default, keys `k-<i>`, seeded
// values, headers), and one checker for what a consumer read back: order, contiguous offsets from
// 0, keys, values and headers, failing on the first record that differs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SeededRandom } from '../../src/raft/core/random.js';
import { LocalCluster } from '../../src/server/local-cluster.js';
import { waitUntil } from '../support/wait.js';
import { fetchMetadata } from './raw-kafka.js';

export const RECORD_COUNT = 10_000;
export const REPLICATION_FACTOR = 3;
/** Starting three processes on a loaded 2-core machine, and everything else a test waits for. */
export const CLUSTER_DEADLINE_MS = 90_000;
/** How long one client may take to produce or consume RECORD_COUNT records on a loaded machine. */
export const CLIENT_DEADLINE_MS = 120_000;

export async function startCluster(): Promise<LocalCluster> {
  const cluster = await LocalCluster.create({ controllers: 3 });
  try {
    await cluster.start();
    await cluster.waitBrokersUnfenced(CLUSTER_DEADLINE_MS);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** "127.0.0.1:1234,127.0.0.1:1235,..." */
export const bootstrapList = (cluster: LocalCluster): string => cluster.bootstrapServers().join(',');

let topicSerial = 0;

/** A topic name no other test (nor an earlier run in the same data directory) uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${++topicSerial}`;
}

/**
 * Creates an RF 3 topic through the controller (so that a client's admin API is not what every
 * other test depends on) and waits until every broker's Kafka Metadata answer shows each
 * partition with a leader and a full ISR: only then will any client's first Produce find it.
 */
export async function createTopic(cluster: LocalCluster, name: string, partitions = 1): Promise<void> {
  const created = await cluster.client().call('createTopics', { topics: [{ name, numPartitions: partitions, replicationFactor: REPLICATION_FACTOR }] });
  const error = created.error ?? created.topics?.[0]?.error;
  assert.ok(!error?.code, `createTopics ${name}: ${error?.code}: ${error?.message}`);
  await waitTopicReady(cluster, name, partitions);
}

export async function waitTopicReady(cluster: LocalCluster, name: string, partitions: number): Promise<void> {
  await waitUntil(
    `topic ${name} with ${partitions} partition(s), leaders and full ISRs on every broker`,
    async () => {
      for (const address of cluster.bootstrapServers()) {
        const md = await fetchMetadata(address, [name]);
        const topic = md.topics.find((t) => t.name === name);
        if (topic === undefined || topic.errorCode !== 0 || topic.partitions.length !== partitions) return false;
        if (!topic.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0 && p.isrNodes.length === REPLICATION_FACTOR)) return false;
      }
      return true;
    },
    CLUSTER_DEADLINE_MS,
    100,
  );
}

// ---- records ----

export type Header = readonly [key: string, value: Buffer];

export interface TestRecord {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly headers: readonly Header[];
}

export interface RecordOptions {
  readonly count?: number;
  readonly seed: number;
  /** Values as printable text (hex) instead of raw bytes: for line-oriented tools such as kcat -P. */
  readonly text?: boolean;
  /** The same headers on every record (kcat -H can only do that); default: per-record headers. */
  readonly headers?: readonly Header[];
}

/**
 * Record i: key `k-<i>`, value `v-<i>:` then 0..63 seeded random bytes (as hex when `text`),
 * headers `i=<i>` and `r=<4 seeded bytes as hex>` unless fixed headers are given.
 */
export function makeRecords(options: RecordOptions): TestRecord[] {
  const random = new SeededRandom(options.seed);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => random.int(256)));
  const out: TestRecord[] = [];
  for (let i = 0; i < (options.count ?? RECORD_COUNT); i++) {
    const noise = bytes(random.int(64));
    const value = Buffer.concat([Buffer.from(`v-${i}:`), options.text ? Buffer.from(noise.toString('hex')) : noise]);
    const headers = options.headers ?? [['i', Buffer.from(String(i))], ['r', Buffer.from(bytes(4).toString('hex'))]];
    out.push({ key: Buffer.from(`k-${i}`), value, headers });
  }
  return out;
}

// ---- what a consumer read ----

export interface ConsumedRecord {
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [string, Buffer | null])[];
}

const show = (b: Buffer | null) => (b === null ? 'null' : JSON.stringify(b.toString('latin1')));
const showHeaders = (hs: readonly (readonly [string, Buffer | null])[]) => hs.map(([k, v]) => `${k}=${show(v)}`).join(', ');

/**
 * Asserts that `read` is exactly `expected`, in order, at offsets 0..n-1 (the partition held only
 * these records). Reports the first difference instead of a 10,000-line diff.
 */
export function assertConsumed(read: readonly ConsumedRecord[], expected: readonly TestRecord[]): void {
  for (let i = 0; i < Math.min(read.length, expected.length); i++) {
    const got = read[i]!;
    const want = expected[i]!;
    const where = `record ${i} of ${expected.length}`;
    assert.equal(got.offset, i, `${where}: offset ${got.offset}, expected ${i} (offsets must be 0..n-1, contiguous, in order)`);
    assert.ok(got.key !== null && got.key.equals(want.key), `${where}: key ${show(got.key)}, expected ${show(want.key)}`);
    assert.ok(got.value !== null && got.value.equals(want.value), `${where}: value ${show(got.value)}, expected ${show(want.value)}`);
    const same = got.headers.length === want.headers.length && got.headers.every(([k, v], h) => k === want.headers[h]![0] && v !== null && v.equals(want.headers[h]![1]));
    assert.ok(same, `${where}: headers [${showHeaders(got.headers)}], expected [${showHeaders(want.headers)}]`);
  }
  assert.equal(read.length, expected.length, `read ${read.length} records, expected ${expected.length}`);
}

// ---- external programs ----

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (never through a shell), killing it after `timeoutMs`. Feeds `input` to stdin. */
export function runProgram(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, [...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? CLIENT_DEADLINE_MS, killSignal: 'SIGKILL', env: options.env ?? process.env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${command} ${args.join(' ')}: ${error.message}${error.killed ? ' (killed at its deadline)' : ''}\nstderr: ${stderr}`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined); // a program that exits early closes its stdin; its exit code tells why
    child.stdin?.end(options.input ?? '');
  });
}

const STDERR_TAIL_LINES = 8;

/**
 * A program's stderr for an assertion message: each distinct line once (librdkafka's timestamp
 * field blanked), with its count, so that 10,000 "Delivery failed" lines read as one; then its
 * last lines as they were (a traceback, say).
 */
export function summarizeStderr(stderr: string, linesMax = 30): string {
  const counts = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    const key = line.replace(/^(%\d\|)[\d.]+\|/, '$1|');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const shown = [...counts].slice(0, linesMax).map(([line, n]) => (n > 1 ? `${n} x ${line}` : line));
  if (counts.size > linesMax) shown.push(`... ${counts.size - linesMax} more distinct lines`);
  const tail = stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES);
  return [...shown, `--- the last ${tail.length} lines:`, ...tail].join('\n');
}

/** Whether `command args` runs at all (exit status 0): decides a skip when a Debian client is missing. */
async function runs(command: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await runProgram(command, args, { timeoutMs: 30_000 })).code === 0;
  } catch {
    return false;
  }
}

// ---- the Python clients (Debian's modules, which only /usr/bin/python3 sees) ----

export const PYTHON = '/usr/bin/python3';

/** A script under test/clients/python/: it stays in the source tree (tsc copies only .ts), so from dist/test/clients/ up to the repo. */
export const pythonScript = (name: string): string => fileURLToPath(new URL(`../../../test/clients/python/${name}`, import.meta.url));

/** Why a Python client's tests are skipped, or undefined when `module` imports. */
export async function pythonModuleMissing(module: string, debianPackage: string): Promise<string | undefined> {
  if (await runs(PYTHON, ['-c', `import ${module}`])) return undefined;
  return `${PYTHON} cannot import ${module}: ${debianPackage} is not installed (run scripts/install-debian-packages.sh as root; .ci/run does)`;
}

/** The records as the Python scripts read them: one JSON object per line, bytes in base64. */
export async function writeRecordsJsonLines(file: string, records: readonly TestRecord[]): Promise<void> {
  const b64 = (b: Buffer) => b.toString('base64');
  await writeFile(file, records.map((r) => JSON.stringify({ k: b64(r.key), v: b64(r.value), h: r.headers.map(([k, v]) => [k, b64(v)]) }) + '\n').join(''));
}

/** A record line the Python scripts print. */
export interface JsonRecordLine {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

export function fromJsonLine(l: JsonRecordLine): ConsumedRecord {
  const bytes = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));
  return { offset: l.offset, key: bytes(l.key), value: bytes(l.value), headers: l.headers.map(([k, v]) => [k, bytes(v)] as const) };
}

/** Runs a Python script to its end; asserts exit 0 (showing its stderr if not); returns its stdout's JSON lines. */
export async function runPythonJson(script: string, args: readonly string[]): Promise<unknown[]> {
  const r = await runProgram(PYTHON, [script, ...args, '--deadline', String(CLIENT_DEADLINE_MS / 1000)], { timeoutMs: CLIENT_DEADLINE_MS + 30_000 });
  assert.equal(r.code, 0, `${script} ${args.join(' ')} exited ${r.code}\nstderr:\n${summarizeStderr(r.stderr)}`);
  return r.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
}
