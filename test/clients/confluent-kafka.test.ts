// confluent-kafka-python (Debian's python3-confluent-kafka, on librdkafka 2.0) against a real
// 3-node cluster, through python/confluent_kafka_client.py: its Producer sends 10,000 keyed records
// with headers at acks=all, plainly and with enable.idempotence; its Consumer reads them back with
// assign() from OFFSET_BEGINNING. The Python binding insists on a group.id even for assign(), which
// never joins the group. The raw reader shows the producer ids and sequences the batches carried.
// Skipped, with the reason, when python3-confluent-kafka is not installed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { readPartition } from './raw-kafka.js';
import { assertConsumed, bootstrapList, CLIENT_DEADLINE_MS, createTopic, fromJsonLine, makeRecords, pythonModuleMissing, pythonScript, RECORD_COUNT, runPythonJson, startCluster, uniqueTopic, writeRecordsJsonLines, type JsonRecordLine } from './support.js';

const SCRIPT = pythonScript('confluent_kafka_client.py');
const missing = await pythonModuleMissing('confluent_kafka', 'python3-confluent-kafka');

interface Produced {
  readonly event: 'produced';
  readonly offsets: readonly number[];
}

interface End {
  readonly event: 'end';
  readonly low: number;
  readonly high: number;
}

describe('confluent-kafka-python (librdkafka)', { skip: missing, timeout: 3 * CLIENT_DEADLINE_MS }, () => {
  let cluster: LocalCluster;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-confluent-kafka-'));
    cluster = await startCluster();
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const idempotent of [false, true]) {
    it(`${idempotent ? 'idempotent ' : ''}Producer acks=all, then Consumer assign() at OFFSET_BEGINNING: ${RECORD_COUNT} records in order with offsets, keys, values and headers`, async () => {
      const topic = uniqueTopic(idempotent ? 'confluent-idempotent' : 'confluent');
      await createTopic(cluster, topic);
      const records = makeRecords({ seed: idempotent ? 10 : 9 });
      const file = join(dir, `${topic}.jsonl`);
      await writeRecordsJsonLines(file, records);
      const common = ['--bootstrap', bootstrapList(cluster), '--topic', topic];

      const [produced] = (await runPythonJson(SCRIPT, ['produce', ...common, '--records', file, ...(idempotent ? ['--idempotent'] : [])])) as [Produced];
      const badAck = produced.offsets.findIndex((o, i) => o !== i);
      assert.equal(badAck, -1, `record ${badAck} was delivered at offset ${produced.offsets[badAck]}`);
      assert.equal(produced.offsets.length, RECORD_COUNT);

      const lines = await runPythonJson(SCRIPT, ['consume', ...common, '--count', String(RECORD_COUNT), '--group', `unused-${topic}`]);
      const end = lines.pop() as End;
      assert.deepEqual(end, { event: 'end', low: 0, high: RECORD_COUNT });
      assertConsumed((lines as JsonRecordLine[]).map(fromJsonLine), records);

      const raw = await readPartition(cluster.bootstrapServers(), topic, 0, RECORD_COUNT, CLIENT_DEADLINE_MS);
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
