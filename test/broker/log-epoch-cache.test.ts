// The leader-epoch cache (Kafka's LeaderEpochFileCache rules) and the atomic checkpoint files.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CorruptCheckpointError, HighWatermarkCheckpoint } from '../../src/broker/log/checkpoint.js';
import { LeaderEpochCache, UNDEFINED_EPOCH, readEpochCheckpoint, writeEpochCheckpoint } from '../../src/broker/log/leader-epoch-cache.js';
import { offset } from '../../src/broker/log/types.js';
import { epoch, withTempDir } from './log-support.js';

const cacheOf = (...pairs: [number, number][]): LeaderEpochCache => {
  const c = new LeaderEpochCache();
  for (const [e, o] of pairs) c.assign(epoch(e), offset(o));
  return c;
};
const end = (c: LeaderEpochCache, e: number, leo: number): [number, number] => {
  const r = c.endOffsetFor(epoch(e), offset(leo));
  return [r.epoch, r.endOffset];
};

describe('leader epoch cache', () => {
  test('assign keeps only newer epochs', () => {
    const c = cacheOf([1, 0], [1, 5], [3, 10], [2, 12]);
    assert.deepEqual(c.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ]);
    assert.equal(c.latestEpoch, 3);
  });

  test('a newer epoch starting below existing entries replaces them', () => {
    const c = cacheOf([1, 0], [2, 10], [5, 7]);
    assert.deepEqual(c.entries, [
      { epoch: 1, startOffset: 0 },
      { epoch: 5, startOffset: 7 },
    ]);
  });

  test('endOffsetFor: latest epoch -> log end; older -> next epoch start; unknown newer -> undefined', () => {
    const c = cacheOf([2, 0], [4, 10], [7, 25]);
    assert.deepEqual(end(c, 7, 40), [7, 40]);
    assert.deepEqual(end(c, 4, 40), [4, 25]);
    assert.deepEqual(end(c, 2, 40), [2, 10]);
    // An epoch this replica never saw between two it did: the floor epoch and the next start.
    assert.deepEqual(end(c, 5, 40), [4, 25]);
    assert.deepEqual(end(c, 8, 40), [UNDEFINED_EPOCH, -1]);
    assert.deepEqual(end(c, -1, 40), [UNDEFINED_EPOCH, -1]);
  });

  test('endOffsetFor an epoch below every entry answers the first start (Kafka: data gone, replicate from there)', () => {
    const c = cacheOf([3, 100], [4, 150]);
    assert.deepEqual(end(c, 1, 200), [1, 100]);
  });

  test('an empty cache knows no epoch', () => {
    assert.deepEqual(end(new LeaderEpochCache(), 0, 10), [UNDEFINED_EPOCH, -1]);
  });

  test('truncateFromEnd drops epochs starting at or after the new end', () => {
    const c = cacheOf([1, 0], [2, 10], [3, 20]);
    assert.equal(c.truncateFromEnd(offset(20)), true);
    assert.deepEqual(c.entries.map((e) => e.epoch), [1, 2]);
    assert.equal(c.truncateFromEnd(offset(30)), false);
    c.truncateFromEnd(offset(0));
    assert.deepEqual(c.entries, []);
  });

  test('truncateFromStart moves the covering epoch to the new start', () => {
    const c = cacheOf([1, 0], [2, 10], [3, 20]);
    assert.equal(c.truncateFromStart(offset(15)), true);
    assert.deepEqual(c.entries, [
      { epoch: 2, startOffset: 15 },
      { epoch: 3, startOffset: 20 },
    ]);
    assert.equal(c.truncateFromStart(offset(15)), false);
    assert.equal(c.truncateFromStart(offset(3)), false);
  });
});

describe('checkpoint files', () => {
  test('epoch checkpoint round trip, written through a tmp file that does not stay', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'leader-epoch-checkpoint');
      assert.deepEqual(await readEpochCheckpoint(path), []);
      await writeEpochCheckpoint(path, cacheOf([1, 0], [4, 99]).entries);
      assert.deepEqual(await readEpochCheckpoint(path), [
        { epoch: 1, startOffset: 0 },
        { epoch: 4, startOffset: 99 },
      ]);
      assert.deepEqual(await readdir(dir), ['leader-epoch-checkpoint']);
    });
  });

  test('high-water mark checkpoint round trip; a damaged file is an error, not a zero', async () => {
    await withTempDir(async (dir) => {
      const hw = new HighWatermarkCheckpoint(join(dir, 'hw'));
      assert.equal(await hw.read(), undefined);
      await hw.write(offset(1234));
      assert.equal(await hw.read(), 1234);
      await writeFile(join(dir, 'hw'), '0\n2\n5\n');
      await assert.rejects(hw.read(), CorruptCheckpointError);
      await writeFile(join(dir, 'hw'), '9\n1\n5\n');
      await assert.rejects(hw.read(), CorruptCheckpointError);
    });
  });
});
