// kcat (librdkafka 2.0.x, Debian's package) against a real 3-node cluster: -L -J lists the brokers
// and an RF 3 topic; -P sends 10,000 keyed records from a file (-l, key delimiter -K) with headers
// (-H) at acks=all, plainly and with -X enable.idempotence=true; -C -e -o beginning reads them back
// with a -f format printing offset, key, value and headers. Skipped, with the reason, when kcat is
// not installed (scripts/install-debian-packages.sh installs it; .ci/run does so before npm test).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { kcatMissing } from '../support/kcat.js';
import { readPartition } from './raw-kafka.js';
import { assertConsumed, bootstrapList, CLIENT_DEADLINE_MS, createTopic, makeRecords, RECORD_COUNT, REPLICATION_FACTOR, runProgram, summarizeStderr, startCluster, uniqueTopic, type ConsumedRecord, type Header } from './support.js';

const KCAT = 'kcat';
const missing = await kcatMissing();
/** kcat -H can only give every record the same headers. */
const HEADERS: readonly Header[] = [['source', Buffer.from('kcat')], ['run', Buffer.from(String(process.pid))]];
const FIELD = '\t';
/** A delivery that fails is reported well inside the test's deadline instead of after librdkafka's default 5 minutes. */
const MESSAGE_TIMEOUT_MS = 60_000;

interface KcatMetadata {
  readonly brokers: ReadonlyArray<{ readonly id: number; readonly name: string }>;
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly error?: string; readonly partitions: ReadonlyArray<{ readonly partition: number; readonly leader: number; readonly replicas: ReadonlyArray<{ readonly id: number }>; readonly isrs: ReadonlyArray<{ readonly id: number }> }> }>;
}

describe('kcat (librdkafka)', { skip: missing, timeout: 4 * CLIENT_DEADLINE_MS }, () => {
  let cluster: LocalCluster;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-kcat-'));
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const kcat = async (args: readonly string[]) => {
    const r = await runProgram(KCAT, ['-b', bootstrapList(cluster), ...args]);
    assert.equal(r.code, 0, `kcat ${args.join(' ')} exited ${r.code}\nstderr:\n${summarizeStderr(r.stderr)}`);
    return r;
  };

  it('-L -J lists the three brokers and the topic, each partition led by one of its 3 in-sync replicas', async () => {
    const topic = uniqueTopic('kcat-metadata');
    await createTopic(cluster, topic, 3);
    const { stdout } = await kcat(['-L', '-J', '-t', topic]);
    const md = JSON.parse(stdout) as KcatMetadata;
    assert.deepEqual(md.brokers.map((b) => b.name).sort(), [...cluster.bootstrapServers()].sort());
    const t = md.topics.find((x) => x.topic === topic);
    assert.ok(t && t.error === undefined, stdout);
    assert.deepEqual(t.partitions.map((p) => p.partition).sort(), [0, 1, 2]);
    for (const p of t.partitions) {
      const replicas = p.replicas.map((r) => r.id);
      assert.equal(replicas.length, REPLICATION_FACTOR, `partition ${p.partition}: replicas ${replicas}`);
      assert.ok(replicas.includes(p.leader), `partition ${p.partition}: leader ${p.leader} among replicas ${replicas}`);
      assert.deepEqual(p.isrs.map((r) => r.id).sort(), [...replicas].sort(), `partition ${p.partition}: ISR`);
    }
  });

  for (const idempotent of [false, true]) {
    it(`-P ${idempotent ? '-X enable.idempotence=true ' : ''}-K -H -l of ${RECORD_COUNT} records at acks=all, then -C -e -o beginning -f reads them back`, async () => {
      const topic = uniqueTopic(idempotent ? 'kcat-idempotent' : 'kcat');
      await createTopic(cluster, topic);
      const records = makeRecords({ seed: idempotent ? 6 : 5, text: true, headers: HEADERS });
      const file = join(dir, `${topic}.txt`);
      await writeFile(file, records.map((r) => `${r.key}${FIELD}${r.value}\n`).join(''));

      const produce = ['-P', '-t', topic, '-p', '0', '-K', FIELD, ...HEADERS.flatMap(([k, v]) => ['-H', `${k}=${v}`]), '-l', file, '-X', 'acks=all', '-X', `message.timeout.ms=${MESSAGE_TIMEOUT_MS}`];
      await kcat([...produce, ...(idempotent ? ['-X', 'enable.idempotence=true'] : [])]);

      const { stdout } = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o\\t%k\\t%s\\t%h\\n']);
      assertConsumed(parseFormatted(stdout), records);

      // What kcat cannot print: the producer id and sequence numbers its batches carried.
      const raw = await readPartition(cluster.bootstrapServers(), topic, 0, RECORD_COUNT, CLIENT_DEADLINE_MS);
      assertConsumed(raw.records, records);
      for (const r of raw.records) {
        if (!idempotent) assert.equal(r.batch.producerId, -1, `offset ${r.offset}: producer id without idempotence`);
        else {
          assert.ok(r.batch.producerId >= 0 && r.batch.producerEpoch >= 0, `offset ${r.offset}: producer id ${r.batch.producerId} epoch ${r.batch.producerEpoch}`);
          assert.equal(r.batch.baseSequence, r.batch.baseOffset, `offset ${r.offset}: base sequence ${r.batch.baseSequence} of the batch at ${r.batch.baseOffset}`);
        }
      }
    });
  }
});

/** Lines of "offset TAB key TAB value TAB name=value,name=value" (values here never hold those characters). */
function parseFormatted(stdout: string): ConsumedRecord[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'kcat output ends with a newline');
  return lines.map((line, i) => {
    const fields = line.split(FIELD);
    assert.equal(fields.length, 4, `output line ${i} has ${fields.length} fields: ${JSON.stringify(line.slice(0, 200))}`);
    const [offset, key, value, headers] = fields as [string, string, string, string];
    const parsed = headers === '' ? [] : headers.split(',').map((h) => {
      const eq = h.indexOf('=');
      return [h.slice(0, eq), Buffer.from(h.slice(eq + 1))] as const;
    });
    return { offset: Number(offset), key: Buffer.from(key), value: Buffer.from(value), headers: parsed };
  });
}
