// The tail cache's budget across logs: the batches appended longest ago go first, whichever log
// holds them; each log's cache stays a contiguous run ending at its log end; forgotten batches pin
// no memory and do not pile up in the budget's queue; a batch that would pin a much larger buffer
// is copied.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBatches, rewriteBaseOffset } from '../../src/broker/log/record-batch.js';
import { TailCache, TailCacheBudget } from '../../src/broker/log/tail-cache.js';
import { offset } from '../../src/broker/log/types.js';
import { batch, ranges } from './log-support.js';

/** Appends a one-batch buffer of `count` records at `base` to `cache`; returns the buffer. */
function append(cache: TailCache, base: number, count = 2): Buffer {
  const buf = batch(count);
  rewriteBaseOffset(buf, 0, offset(base));
  cache.appended(buf, checkBatches(buf));
  return buf;
}

const BATCH_BYTES = batch(2).length;

describe('tail cache', () => {
  it('evicts the oldest batches of any log first, keeping each log a contiguous tail', () => {
    const budget = new TailCacheBudget(BATCH_BYTES * 3);
    const [a, b] = [new TailCache(budget), new TailCache(budget)];
    append(a, 0); // a: 0-1
    append(b, 0); // b: 0-1
    append(a, 2); // a: 2-3
    append(b, 2); // over budget: a's 0-1 goes
    assert.equal(a.read(offset(0), 1 << 20, offset(100)), undefined);
    assert.deepEqual(ranges(a.read(offset(2), 1 << 20, offset(100))!), [[2, 3]]);
    assert.deepEqual(ranges(b.read(offset(0), 1 << 20, offset(100))!), [[0, 1], [2, 3]]);
    append(a, 4); // b's 0-1 goes
    assert.equal(b.read(offset(1), 1 << 20, offset(100)), undefined);
    assert.deepEqual(ranges(a.read(offset(3), 1 << 20, offset(100))!), [[2, 3], [4, 5]]);
    assert.equal(budget.bytes, BATCH_BYTES * 3);
  });

  it('answers as a log read: the holding batch first, the first one whole, none at or above the bound', () => {
    const cache = new TailCache(new TailCacheBudget(1 << 20));
    for (let base = 10; base < 20; base += 2) append(cache, base);
    assert.deepEqual(ranges(cache.read(offset(13), 1, offset(100))!), [[12, 13]], 'the first batch even over maxBytes');
    assert.deepEqual(ranges(cache.read(offset(13), BATCH_BYTES * 2, offset(100))!), [[12, 13], [14, 15]]);
    assert.deepEqual(ranges(cache.read(offset(13), 1 << 20, offset(17))!), [[12, 13], [14, 15]], 'a batch reaching the bound stays out');
    const none = cache.read(offset(12), 1 << 20, offset(12))!;
    assert.deepEqual([none.slices.length, none.nextOffset], [0, 12]);
    assert.equal(cache.read(offset(9), 1 << 20, offset(100)), undefined, 'below the cache: read the files');
    assert.equal(cache.read(offset(20), 1 << 20, offset(100)), undefined, 'at the log end: nothing cached');
  });

  it('forgets truncated and dropped batches at once, and their queue entries do not pile up', () => {
    const budget = new TailCacheBudget(1 << 30);
    const cache = new TailCache(budget);
    for (let round = 0; round < 5_000; round++) {
      const held = append(cache, 0);
      cache.truncateTo(offset(0));
      assert.equal(held.length, BATCH_BYTES);
    }
    assert.equal(budget.bytes, 0);
    assert.ok(budget.queued <= 2_100, `the queue holds ${budget.queued} entries for none cached`);
    for (let base = 0; base < 10; base += 2) append(cache, base);
    cache.dropBelow(offset(4));
    assert.deepEqual(ranges(cache.read(offset(4), 1 << 20, offset(100))!), [[4, 5], [6, 7], [8, 9]]);
    assert.equal(budget.bytes, BATCH_BYTES * 3);
    cache.clear();
    assert.equal(budget.bytes, 0);
  });

  it('copies a batch that would pin a much larger buffer', () => {
    const cache = new TailCache(new TailCacheBudget(1 << 20));
    const frame = Buffer.alloc(BATCH_BYTES * 10);
    const own = batch(2);
    own.copy(frame, 0);
    const buf = frame.subarray(0, BATCH_BYTES);
    cache.appended(buf, checkBatches(buf));
    const read = cache.read(offset(0), 1 << 20, offset(100))!;
    assert.notEqual(read.slices[0]!.buffer, frame.buffer, 'the cached batch does not pin the frame');
    assert.deepEqual(read.slices[0], own);
  });

  it('caches nothing with a zero budget', () => {
    const budget = new TailCacheBudget(0);
    const cache = new TailCache(budget);
    append(cache, 0);
    assert.equal(cache.sizeBatches, 0);
    assert.equal(cache.read(offset(0), 1 << 20, offset(100)), undefined);
  });
});
