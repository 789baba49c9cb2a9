// kafka-python 2.0 (Debian's python3-kafka, seen only by /usr/bin/python3) against a real 3-node
// cluster, through python/kafka_python_client.py: KafkaProducer with acks='all' sends 10,000 keyed
// records with headers, KafkaConsumer reads them back with assign() + seek_to_beginning() (no
// consumer group), once with api_version=(2,0,0) pinned (fixed request versions: Produce v6,
// Fetch v4, ListOffsets v1, Metadata v1) and once auto-detected from ApiVersions. Skipped, with
// the reason, when python3-kafka is not installed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { assertConsumed, bootstrapList, CLIENT_DEADLINE_MS, createTopic, fromJsonLine, makeRecords, pythonModuleMissing, pythonScript, RECORD_COUNT, runPythonJson, startCluster, uniqueTopic, writeRecordsJsonLines, type JsonRecordLine } from './support.js';

const SCRIPT = pythonScript('kafka_python_client.py');
const missing = await pythonModuleMissing('kafka', 'python3-kafka');

interface Produced {
  readonly event: 'produced';
  readonly offsets: readonly number[];
  readonly api_version: readonly number[];
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

  for (const apiVersion of ['2.0.0', 'auto']) {
    it(`api_version=${apiVersion}: KafkaProducer acks='all' then KafkaConsumer assign() + seek_to_beginning(): ${RECORD_COUNT} records in order with offsets, keys, values and headers`, async (t) => {
      const topic = uniqueTopic(`kafka-python-${apiVersion === 'auto' ? 'auto' : 'v200'}`);
      await createTopic(cluster, topic);
      const records = makeRecords({ seed: apiVersion === 'auto' ? 8 : 7 });
      const file = join(dir, `${topic}.jsonl`);
      await writeRecordsJsonLines(file, records);
      const common = ['--bootstrap', bootstrapList(cluster), '--topic', topic, '--api-version', apiVersion];

      const [produced] = (await runPythonJson(SCRIPT, ['produce', ...common, '--records', file])) as [Produced];
      t.diagnostic(`kafka-python produced with api_version ${produced.api_version.join('.')}`);
      if (apiVersion !== 'auto') assert.deepEqual(produced.api_version, [2, 0, 0]);
      const badAck = produced.offsets.findIndex((o, i) => o !== i);
      assert.equal(badAck, -1, `send ${badAck} was acknowledged at offset ${produced.offsets[badAck]}`);
      assert.equal(produced.offsets.length, RECORD_COUNT);

      const lines = await runPythonJson(SCRIPT, ['consume', ...common, '--count', String(RECORD_COUNT)]);
      const end = lines.pop() as End;
      assert.equal(end.event, 'end');
      assertConsumed((lines as JsonRecordLine[]).map(fromJsonLine), records);
      assert.equal(end.position, RECORD_COUNT);
      assert.equal(end.end_offset, RECORD_COUNT);
    });
  }
});
