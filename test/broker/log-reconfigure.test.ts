// A partition log's config changed while it is open (reconfigure), and retention bounded by the
// high-water mark, on DiskPartitionLog and its in-memory twin alike.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import { LogError } from '../../src/broker/log/errors.js';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig, type PartitionLog } from '../../src/broker/log/partition-log.js';
import { offset } from '../../src/broker/log/types.js';
import { silentLogger } from '../../src/util/log.js';
import { batch, epoch, ranges, withTempDir } from './log-support.js';

const BATCH_BYTES = batch(2).length; // every batch(2) below has the same size
/** Two batches per segment on disk. */
const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: BATCH_BYTES * 2, indexIntervalBytes: BATCH_BYTES };
const HOUR_MS = 3_600_000;

type Factory = (config: LogConfig, clockMs: () => number, fn: (log: PartitionLog) => Promise<void>) => Promise<void>;

const factories: Record<string, Factory> = {
  memory: async (config, clockMs, fn) => fn(new MemoryPartitionLog(config, clockMs)),
  disk: (config, clockMs, fn) =>
    withTempDir(async (dir) => {
      const log = await DiskPartitionLog.open(dir, { config, clockMs, logger: silentLogger });
      try {
        await fn(log);
      } finally {
        await log.close().catch(() => undefined);
      }
    }),
};

/** Six batches of two records (offsets 2i, 2i+1), timestamps `at` + i; on disk, segments [0..3] [4..7] [8..11]. */
async function fill(log: PartitionLog, at: number): Promise<void> {
  for (let i = 0; i < 6; i++) await log.append(batch(2, at + i, 10, i), epoch(1));
}

for (const [name, withLog] of Object.entries(factories)) {
  describe(`retention and reconfigure: ${name}`, () => {
    for (const [kind, retention] of [
      ['retention.ms', { retentionMs: 0 }],
      ['retention.bytes', { retentionBytes: 0, retentionMs: -1 }],
    ] as const) {
      test(`${kind}: nothing holding an offset at or above the HW goes, whatever retention allows`, () =>
        withLog({ ...config, ...retention }, () => 10 * HOUR_MS, async (log) => {
          await fill(log, 1_000);
          assert.equal(await log.applyRetention(offset(0)), 0, 'a replica that knows no HW deletes nothing');
          assert.equal(log.logStartOffset, 0);
          // Memory: batches [0,1] and [2,3] lie below 5, [4,5] holds it. Disk: segment [0..3] lies below.
          assert.ok((await log.applyRetention(offset(5))) > 0);
          assert.equal(log.logStartOffset, 4);
          assert.deepEqual(ranges(await log.read(offset(4), 1 << 20, offset(12)))[0], [4, 5], 'the batch holding the HW is kept');
          assert.ok((await log.applyRetention(offset(12))) > 0, 'a HW at the log end frees everything, the active segment included');
          assert.deepEqual([log.logStartOffset, log.logEndOffset], [12, 12]);
          assert.equal(await log.applyRetention(offset(12)), 0);
          assert.deepEqual(await log.append(batch(2, 2_000), epoch(1)), { baseOffset: 12, lastOffset: 13 }, 'the emptied log still appends');
        }));
    }

    test('a lower retention.ms applies at the next retention check', () => {
      let now = 1_000 + HOUR_MS;
      return withLog(config, () => now, async (log) => {
        await fill(log, 1_000);
        assert.equal(await log.applyRetention(log.logEndOffset), 0, 'seven days of retention keep an hour-old log');
        await log.reconfigure({ ...config, retentionMs: 60_000 });
        assert.equal(log.config.retentionMs, 60_000);
        assert.ok((await log.applyRetention(log.logEndOffset)) > 0);
        assert.equal(log.logStartOffset, 12);
        now += 1; // nothing left to delete, and nothing breaks
        assert.equal(await log.applyRetention(log.logEndOffset), 0);
      });
    });

    test('a retention.bytes set on a live log applies at the next retention check', () =>
      withLog(config, () => 1_000, async (log) => {
        await fill(log, 1_000);
        assert.equal(await log.applyRetention(log.logEndOffset), 0);
        await log.reconfigure({ ...config, retentionBytes: BATCH_BYTES * 2 });
        assert.ok((await log.applyRetention(log.logEndOffset)) > 0);
        // Both logs keep the newest two batches: 2 * BATCH_BYTES is still >= retention.bytes.
        assert.equal(log.logStartOffset, 8);
      }));

    test('a config the log cannot hold is refused and the old one stays', () =>
      withLog(config, () => 1_000, async (log) => {
        await log.append(batch(2), epoch(1));
        for (const bad of [{ segmentBytesMax: 2 ** 31 }, { segmentBytesMax: 0 }, { retentionMs: Number.NaN }, { retentionBytes: -2 }, { segmentAgeMsMax: 0 }]) {
          await assert.rejects(log.reconfigure({ ...config, ...bad }), (e: unknown) => e instanceof LogError && e.code === 'INVALID_CONFIG', JSON.stringify(bad));
          assert.deepEqual(log.config, config);
        }
        assert.deepEqual(await log.append(batch(2), epoch(1)), { baseOffset: 2, lastOffset: 3 });
      }));

    test('a lower segment.bytes refuses an append larger than a segment from then on', () =>
      withLog(config, () => 1_000, async (log) => {
        await log.append(batch(2), epoch(1));
        await log.reconfigure({ ...config, segmentBytesMax: BATCH_BYTES - 1 });
        await assert.rejects(log.append(batch(2), epoch(1)), (e: unknown) => e instanceof LogError && e.code === 'RECORD_LIST_TOO_LARGE');
        await log.reconfigure(config);
        assert.deepEqual(await log.append(batch(2), epoch(1)), { baseOffset: 2, lastOffset: 3 });
      }));
  });
}

describe('reconfigure: DiskPartitionLog segments', () => {
  test('segment.bytes and segment.ms apply at the next roll decision', () =>
    withTempDir(async (dir) => {
      const log = await DiskPartitionLog.open(dir, { config: { ...config, segmentBytesMax: BATCH_BYTES * 4 }, logger: silentLogger });
      for (let i = 0; i < 3; i++) await log.append(batch(2, 1_000, 10, i), epoch(1));
      await log.reconfigure({ ...config, segmentBytesMax: BATCH_BYTES * 3 });
      assert.deepEqual(log.segmentBaseOffsets, [0], 'a lower segment.bytes does not roll by itself');
      await log.append(batch(2, 1_000, 10, 3), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 6], 'the fourth batch would pass the new size: a new segment');
      for (let i = 4; i < 6; i++) await log.append(batch(2, 1_000, 10, i), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 6], 'three batches fit the new size');
      await log.append(batch(2, 1_000, 10, 6), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 6, 12]);

      await log.reconfigure({ ...config, segmentBytesMax: BATCH_BYTES * 100, segmentAgeMsMax: 50 });
      await log.append(batch(2, 1_040), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 6, 12], '40 ms of timestamps stay under segment.ms');
      await log.append(batch(2, 1_060), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 6, 12, 16], '60 ms of timestamps pass the new segment.ms');
      await log.close();
    }));
});
