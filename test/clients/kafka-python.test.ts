// kafka-python 2.0 (Debian's python3-kafka, seen only by /usr/bin/python3) against a real 3-node
// cluster, through python/kafka_python_client.py: KafkaProducer with acks='all' sends 10,000 keyed
// records with headers, KafkaConsumer reads them back with assign() + seek_to_beginning() (no
// consumer group), once with api_version=(2,0,0) pinned (fixed request versions: Produce v6,
// Fetch v4, ListOffsets v1, Metadata v1) and once auto-detected from ApiVersions. Skipped, with
// the reason, when python3-kafka is not installed.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { assertConsumed, bootstrapList, CLIENT_DEADLINE_MS, createTopic, makeRecords, RECORD_COUNT, runProgram, runs, startCluster, summarizeStderr, uniqueTopic, type ConsumedRecord } from './support.js';

const PYTHON = '/usr/bin/python3';
// The script stays in the source tree (tsc copies only .ts): from dist/test/clients/ up to the repo.
const SCRIPT = fileURLToPath(new URL('../../../test/clients/python/kafka_python_client.py', import.meta.url));
const missing = (await runs(PYTHON, ['-c', 'import kafka'])) ? undefined : `${PYTHON} cannot import kafka: python3-kafka is not installed (run scripts/install-debian-packages.sh as root; .ci/run does)`;

interface Produced {
  readonly event: 'produced';
  readonly offsets: readonly number[];
  readonly api_version: readonly number[];
}

interface ConsumedLine {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, string | null]>;
}

interface End {
  readonly event: 'end';
  readonly position: number;
  readonly end_offset: number;
  readonly api_version: readonly number[];
}

describe('kafka-python 2.0', { skip: missing, timeout: 3 * CLIENT_DEADLINE_MS }, () => {
  let cluster: LocalCluster;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-kafka-python-'));
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs the script; returns its stdout's JSON lines. */
  const python = async (args: readonly string[]): Promise<unknown[]> => {
    const deadlineS = String(CLIENT_DEADLINE_MS / 1000);
    const r = await runProgram(PYTHON, [SCRIPT, ...args, '--bootstrap', bootstrapList(cluster), '--deadline', deadlineS], { timeoutMs: CLIENT_DEADLINE_MS + 30_000 });
    assert.equal(r.code, 0, `kafka_python_client.py ${args.join(' ')} exited ${r.code}\nstderr:\n${summarizeStderr(r.stderr)}`);
    return r.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
  };

  for (const apiVersion of ['2.0.0', 'auto']) {
    it(`api_version=${apiVersion}: KafkaProducer acks='all' then KafkaConsumer assign() + seek_to_beginning(): ${RECORD_COUNT} records in order with offsets, keys, values and headers`, async (t) => {
      const topic = uniqueTopic(`kafka-python-${apiVersion === 'auto' ? 'auto' : 'v200'}`);
      await createTopic(cluster, topic);
      const records = makeRecords({ seed: apiVersion === 'auto' ? 8 : 7 });
      const file = join(dir, `${topic}.jsonl`);
      const b64 = (b: Buffer) => b.toString('base64');
      await writeFile(file, records.map((r) => JSON.stringify({ k: b64(r.key), v: b64(r.value), h: r.headers.map(([k, v]) => [k, b64(v)]) }) + '\n').join(''));

      const [produced] = (await python(['produce', '--topic', topic, '--api-version', apiVersion, '--records', file])) as [Produced];
      t.diagnostic(`kafka-python produced with api_version ${produced.api_version.join('.')}`);
      if (apiVersion !== 'auto') assert.deepEqual(produced.api_version, [2, 0, 0]);
      const badAck = produced.offsets.findIndex((o, i) => o !== i);
      assert.equal(badAck, -1, `send ${badAck} was acknowledged at offset ${produced.offsets[badAck]}`);
      assert.equal(produced.offsets.length, RECORD_COUNT);

      const lines = await python(['consume', '--topic', topic, '--api-version', apiVersion, '--count', String(RECORD_COUNT)]);
      const end = lines.pop() as End;
      assert.equal(end.event, 'end');
      const fromB64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));
      const read: ConsumedRecord[] = (lines as ConsumedLine[]).map((l) => ({ offset: l.offset, key: fromB64(l.key), value: fromB64(l.value), headers: l.headers.map(([k, v]) => [k, fromB64(v)] as const) }));
      assertConsumed(read, records);
      assert.equal(end.position, RECORD_COUNT);
      assert.equal(end.end_offset, RECORD_COUNT);
    });
  }
});
