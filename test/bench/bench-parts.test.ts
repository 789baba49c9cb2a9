// The bench client's own parts: nearest-rank percentiles, the lean RecordBatch builder (checked by
// the broker's own batch checks and record decoder) and the walker that counts fetched records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBatches } from '../../src/broker/log/record-batch.js';
import { decodeRecords } from '../../src/broker/log/records.js';
import { batchBytes, buildBatch, recordsPerBatch, walkBatches } from '../../scripts/bench/records.js';
import { median, quantile, Samples, summarize } from '../../scripts/bench/stats.js';

describe('bench percentiles', () => {
  it('takes the nearest rank', () => {
    const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.equal(quantile(sorted, 0.5), 500);
    assert.equal(quantile(sorted, 0.99), 990);
    assert.equal(quantile(sorted, 0.999), 999);
    assert.equal(quantile(sorted, 1), 1000);
    assert.equal(quantile(sorted, 0), 1);
    assert.ok(Number.isNaN(quantile(new Float64Array(0), 0.5)));
  });

  it('a p99.9 of few samples is their maximum', () => {
    assert.equal(quantile(Float64Array.of(1, 2, 3), 0.999), 3);
  });

  it('summarizes unsorted samples that outgrow the first buffer', () => {
    const s = new Samples();
    for (let i = 5000; i >= 1; i--) s.add(i / 10);
    const sum = summarize(s);
    assert.equal(sum.count, 5000);
    assert.equal(sum.p50Ms, 250);
    assert.equal(sum.p99Ms, 495);
    assert.equal(sum.maxMs, 500);
  });

  it('medians of even and odd counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});

describe('bench record batches', () => {
  it('builds batches the broker accepts, with the values given', () => {
    const values = [Buffer.from('a'), Buffer.alloc(300, 7), Buffer.alloc(0)];
    const batch = buildBatch(values, 1_700_000_000_000);
    const [{ header }] = checkBatches(batch);
    assert.equal(header.recordCount, 3);
    assert.equal(header.baseTimestamp, 1_700_000_000_000);
    assert.deepEqual(
      decodeRecords(batch, header).map((r) => r.value),
      values,
    );
  });

  it('sizes batches exactly and fills them up to a byte limit', () => {
    for (const valueBytes of [1, 100, 1024]) {
      const count = recordsPerBatch(64 * 1024, valueBytes);
      const batch = buildBatch(Array.from({ length: count }, () => Buffer.alloc(valueBytes)), 0);
      assert.equal(batch.length, batchBytes(count, valueBytes));
      assert.ok(batch.length <= 64 * 1024);
      assert.ok(batchBytes(count + 1, valueBytes) > 64 * 1024);
    }
  });

  it('walks whole batches, their records and values, and stops at a partial one', () => {
    const a = buildBatch([Buffer.from('x'), Buffer.from('yy')], 0);
    const b = buildBatch([Buffer.from('zzz')], 0);
    a.writeBigInt64BE(10n, 0); // as stored: offsets 10-11, then 12
    b.writeBigInt64BE(12n, 0);
    const seen: string[] = [];
    const walk = walkBatches(Buffer.concat([a, b, b.subarray(0, 70)]), (v) => seen.push(v.toString()));
    assert.deepEqual(walk, { batches: 2, records: 3, nextOffset: 13 });
    assert.deepEqual(seen, ['x', 'yy', 'zzz']);
    assert.deepEqual(walkBatches(Buffer.alloc(0)), { batches: 0, records: 0, nextOffset: -1 });
  });
});
