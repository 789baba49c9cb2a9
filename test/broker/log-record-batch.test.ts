// CRC-32C against published vectors, RecordBatch v2 header checks and rewrites, and the test encoder
// against a batch built by kafka-python 2.0.2 (DefaultRecordBatchBuilder; the fixture's hex).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32c } from '../../src/broker/log/crc32c.js';
import { CorruptRecordError } from '../../src/broker/log/errors.js';
import { checkBatch, checkBatches, lastOffsetOf, readBatchHeader, rewriteBaseOffset, rewritePartitionLeaderEpoch } from '../../src/broker/log/record-batch.js';
import { decodeRecords, encodeBatch, readVarint, varintBytes } from '../../src/broker/log/records.js';
import { offset } from '../../src/broker/log/types.js';

// dist/test/broker -> test/broker/fixtures in the source tree
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../test/broker/fixtures');
const kafkaPythonBatch = (): Buffer => Buffer.from(readFileSync(join(FIXTURES, 'kafka-python-batch.hex'), 'utf8').trim(), 'hex');

describe('crc32c', () => {
  test('RFC 3720 appendix B.4 vectors and the check value', () => {
    const inc = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const dec = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(inc), 0x46dd794e);
    assert.equal(crc32c(dec), 0x113fdb5c);
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(crc32c(Buffer.alloc(0)), 0);
  });

  test('equals a bit-at-a-time reference for every length 0-100 at every start 0-8', () => {
    const reference = (buf: Buffer, start: number, end: number): number => {
      let crc = 0xffffffff;
      for (let i = start; i < end; i++) {
        crc ^= buf[i]!;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    const bytes = Buffer.from(Array.from({ length: 120 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let start = 0; start <= 8; start++) {
      for (let length = 0; length <= 100; length++) assert.equal(crc32c(bytes, start, start + length), reference(bytes, start, start + length), `start ${start} length ${length}`);
    }
  });

  test('a range of a buffer', () => {
    const b = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yy')]);
    assert.equal(crc32c(b, 2, 11), 0xe3069283);
  });
});

describe('varints', () => {
  test('round trip, including values beyond 32 bits', () => {
    for (const n of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 5, -(2 ** 45)]) {
      const b = varintBytes(n);
      assert.deepEqual(readVarint(b, 0), { value: n, next: b.length }, `n=${n}`);
    }
    assert.deepEqual([...varintBytes(-1)], [1]);
    assert.deepEqual([...varintBytes(150)], [0xac, 0x02]);
  });

  test('a truncated varint is corrupt', () => {
    assert.throws(() => readVarint(Buffer.of(0x80, 0x80), 0), CorruptRecordError);
  });
});

describe('record batch v2', () => {
  const records = [
    { timestamp: 1700000000000, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }] },
    { timestamp: 1700000000005, key: null, value: Buffer.from('value-two') },
  ];

  test('the encoder writes the bytes kafka-python writes', () => {
    assert.equal(encodeBatch({ records, partitionLeaderEpoch: 0 }).toString('hex'), kafkaPythonBatch().toString('hex'));
  });

  test('reads the header and the records of a kafka-python batch', () => {
    const buf = kafkaPythonBatch();
    const h = checkBatch(buf, 0);
    assert.equal(h.sizeBytes, buf.length);
    assert.equal(h.magic, 2);
    assert.equal(h.recordCount, 2);
    assert.equal(lastOffsetOf(h), 1);
    assert.equal(h.baseTimestamp, 1700000000000);
    assert.equal(h.maxTimestamp, 1700000000005);
    assert.equal(h.producerId, -1);
    const decoded = decodeRecords(buf, h);
    assert.deepEqual(
      decoded.map((r) => [r.offsetDelta, r.timestamp, r.key?.toString(), r.value?.toString(), r.headers.map((x) => [x.key, x.value?.toString()])]),
      [
        [0, 1700000000000, 'k1', 'v1', [['h', 'x']]],
        [1, 1700000000005, undefined, 'value-two', []],
      ],
    );
  });

  test('baseOffset and partitionLeaderEpoch rewrites keep the CRC valid', () => {
    const buf = kafkaPythonBatch();
    rewriteBaseOffset(buf, 0, offset(2 ** 40));
    rewritePartitionLeaderEpoch(buf, 0, 17);
    const h = checkBatch(buf, 0);
    assert.equal(h.baseOffset, 2 ** 40);
    assert.equal(h.partitionLeaderEpoch, 17);
  });

  test('a flipped bit anywhere under the CRC is caught', () => {
    const clean = kafkaPythonBatch();
    for (let i = 21; i < clean.length; i++) {
      const buf = Buffer.from(clean);
      buf[i] = buf[i]! ^ 0x10;
      assert.throws(() => checkBatch(buf, 0), CorruptRecordError, `byte ${i}`);
    }
  });

  test('bad magic, short header and overlong length are corrupt with the offset and reason', () => {
    const buf = encodeBatch({ records: [{ value: Buffer.from('a') }], baseOffset: 42 });
    const badMagic = Buffer.from(buf);
    badMagic.writeInt8(1, 16);
    assert.throws(() => checkBatch(badMagic, 0), (e: unknown) => e instanceof CorruptRecordError && e.offset === 42 && /magic 1/.test(e.reason));
    assert.throws(() => checkBatch(buf.subarray(0, 40), 0), (e: unknown) => e instanceof CorruptRecordError && /too few/.test(e.reason));
    assert.throws(() => checkBatch(buf.subarray(0, buf.length - 1), 0), (e: unknown) => e instanceof CorruptRecordError && /runs past/.test(e.reason));
  });

  test('checkBatches walks several batches and refuses trailing bytes', () => {
    const a = encodeBatch({ records: [{ value: Buffer.from('a') }] });
    const b = encodeBatch({ records: [{ value: Buffer.from('b') }, { value: null }] });
    const both = Buffer.concat([a, b]);
    assert.deepEqual(
      checkBatches(both).map((x) => [x.position, x.header.recordCount]),
      [
        [0, 1],
        [a.length, 2],
      ],
    );
    assert.throws(() => checkBatches(Buffer.concat([both, Buffer.of(0, 0)])), CorruptRecordError);
    assert.equal(readBatchHeader(both, a.length).recordCount, 2);
  });
});
