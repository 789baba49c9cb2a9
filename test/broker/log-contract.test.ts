// The PartitionLog contract, run against DiskPartitionLog and its in-memory twin alike.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import { CorruptRecordError, LogError } from '../../src/broker/log/errors.js';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig, type PartitionLog } from '../../src/broker/log/partition-log.js';
import { checkBatches, TIMESTAMP_TYPE_LOG_APPEND_BIT } from '../../src/broker/log/record-batch.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { offset } from '../../src/broker/log/types.js';
import { silentLogger } from '../../src/util/log.js';
import { batch, concat, epoch, ranges, withTempDir } from './log-support.js';

type Factory = (config: LogConfig, fn: (log: PartitionLog) => Promise<void>) => Promise<void>;

const small: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: 1024, indexIntervalBytes: 128 };

/** One batch whose records carry `timestamps` in order, 100-byte values (so `small` rolls segments often). */
const stamped = (timestamps: readonly number[], attributes = 0): Buffer =>
  encodeBatch({ attributes, records: timestamps.map((timestamp, i) => ({ timestamp, key: null, value: Buffer.alloc(100, i) })) });

const factories: Record<string, Factory> = {
  memory: async (config, fn) => fn(new MemoryPartitionLog(config)),
  disk: (config, fn) =>
    withTempDir(async (dir) => {
      const log = await DiskPartitionLog.open(dir, { config, logger: silentLogger });
      try {
        await fn(log);
      } finally {
        await log.close().catch(() => undefined);
      }
    }),
};

for (const [name, withLog] of Object.entries(factories)) {
  describe(`PartitionLog contract: ${name}`, () => {
    test('append assigns offsets from the log end and stamps the leader epoch', () =>
      withLog(small, async (log) => {
        assert.deepEqual(await log.append(batch(3), epoch(1)), { baseOffset: 0, lastOffset: 2 });
        assert.deepEqual(await log.append(Buffer.concat([batch(2), batch(1)]), epoch(2)), { baseOffset: 3, lastOffset: 5 });
        assert.equal(log.logEndOffset, 6);
        const r = await log.read(offset(0), 1 << 20, offset(6));
        assert.deepEqual(ranges(r), [[0, 2], [3, 4], [5, 5]]);
        assert.deepEqual(checkBatches(concat(r)).map((b) => b.header.partitionLeaderEpoch), [1, 2, 2]);
        assert.deepEqual(log.epochEntries, [
          { epoch: 1, startOffset: 0 },
          { epoch: 2, startOffset: 3 },
        ]);
        assert.equal(r.nextOffset, 6);
      }));

    test('a read from inside a batch returns that batch whole; maxBytes takes at least one batch', () =>
      withLog(small, async (log) => {
        for (let i = 0; i < 4; i++) await log.append(batch(3, 1000, 20, i), epoch(0));
        const one = (await log.read(offset(0), 1, offset(12))).slices;
        assert.deepEqual(ranges(await log.read(offset(4), 1, offset(12))), [[3, 5]]);
        const size = concat({ slices: one, sizeBytes: 0, nextOffset: offset(0) }).length;
        assert.deepEqual(ranges(await log.read(offset(4), size * 2, offset(12))), [[3, 5], [6, 8]]);
        assert.deepEqual(ranges(await log.read(offset(4), size * 2 - 1, offset(12))), [[3, 5]]);
      }));

    test('reads stop before maxOffsetExclusive (the high-water mark)', () =>
      withLog(small, async (log) => {
        for (let i = 0; i < 4; i++) await log.append(batch(2), epoch(0));
        assert.deepEqual(ranges(await log.read(offset(0), 1 << 20, offset(4))), [[0, 1], [2, 3]]);
        assert.deepEqual(ranges(await log.read(offset(0), 1 << 20, offset(5))), [[0, 1], [2, 3]]);
        const atHw = await log.read(offset(4), 1 << 20, offset(4));
        assert.deepEqual([atHw.slices.length, atHw.nextOffset], [0, 4]);
      }));

    test('offsets outside [logStart, logEnd] are out of range; the log end reads empty', () =>
      withLog(small, async (log) => {
        await log.append(batch(2), epoch(0));
        await assert.rejects(log.read(offset(3), 100, offset(3)), (e: unknown) => e instanceof LogError && e.code === 'OFFSET_OUT_OF_RANGE');
        const r = await log.read(offset(2), 100, offset(2));
        assert.deepEqual([r.sizeBytes, r.nextOffset], [0, 2]);
      }));

    test('a corrupt append is refused whole and changes nothing', () =>
      withLog(small, async (log) => {
        const bad = batch(2);
        bad[bad.length - 1] ^= 1;
        await assert.rejects(log.append(Buffer.concat([batch(1), bad]), epoch(0)), CorruptRecordError);
        assert.equal(log.logEndOffset, 0);
      }));

    test('follower appends keep offsets and epochs and must continue the log', () =>
      withLog(small, async (log) => {
        const leader = new MemoryPartitionLog();
        await leader.append(batch(2), epoch(3));
        await leader.append(batch(3), epoch(5));
        const fetched = concat(await leader.read(offset(0), 1 << 20, offset(5)));
        assert.deepEqual(await log.appendAsFollower(fetched), { baseOffset: 0, lastOffset: 4 });
        assert.deepEqual(log.epochEntries, leader.epochEntries);
        await assert.rejects(log.appendAsFollower(fetched), (e: unknown) => e instanceof LogError && e.code === 'NON_CONTIGUOUS_APPEND');
        assert.deepEqual(log.endOffsetForEpoch(epoch(3)), { epoch: 3, endOffset: 2 });
        assert.deepEqual(log.endOffsetForEpoch(epoch(5)), { epoch: 5, endOffset: 5 });
      }));

    test('truncateTo removes whole batches from the first one reaching the offset, and their epochs', () =>
      withLog(small, async (log) => {
        await log.append(batch(3), epoch(1));
        await log.append(batch(3), epoch(2));
        await log.append(batch(3), epoch(3));
        await log.truncateTo(offset(7));
        assert.equal(log.logEndOffset, 6);
        await log.truncateTo(offset(4));
        assert.equal(log.logEndOffset, 3);
        assert.deepEqual(log.epochEntries, [{ epoch: 1, startOffset: 0 }]);
        assert.deepEqual(await log.append(batch(1), epoch(4)), { baseOffset: 3, lastOffset: 3 });
        await log.truncateFullyAndStartAt(offset(100));
        assert.deepEqual([log.logStartOffset, log.logEndOffset], [100, 100]);
        assert.deepEqual(await log.append(batch(1), epoch(4)), { baseOffset: 100, lastOffset: 100 });
      }));

    test('offsetForTimestamp finds the first record at or after a timestamp', () =>
      withLog(small, async (log) => {
        for (let i = 0; i < 10; i++) await log.append(batch(3, 1000 + i * 10, 40), epoch(0)); // offsets 3i.. at ts 1000+10i..
        assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 1000 });
        assert.deepEqual(await log.offsetForTimestamp(1001), { offset: 1, timestamp: 1001 });
        assert.deepEqual(await log.offsetForTimestamp(1003), { offset: 3, timestamp: 1010 });
        assert.deepEqual(await log.offsetForTimestamp(1052), { offset: 17, timestamp: 1052 });
        assert.deepEqual(await log.offsetForTimestamp(1092), { offset: 29, timestamp: 1092 });
        assert.equal(await log.offsetForTimestamp(1093), undefined);
      }));

    test('maxTimestampRecord: the first record with the largest timestamp, earliest batch on ties, none when empty', () =>
      withLog(small, async (log) => {
        assert.equal(await log.maxTimestampRecord(), undefined);
        // Out of order within and across batches; with `small` the disk log spreads them over segments.
        for (const ts of [[100, 300, 200], [150], [250, 120], [500, 700, 650, 700], [400], [690, 100], [700, 100], [600]]) await log.append(stamped(ts), epoch(0));
        if (log instanceof DiskPartitionLog) assert.ok(log.segmentBaseOffsets.length >= 3, `segments ${log.segmentBaseOffsets.join(',')}`);
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 7, timestamp: 700 });
        await log.append(stamped([701, 50]), epoch(1));
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 16, timestamp: 701 });
      }));

    test('maxTimestampRecord: every record of a LogAppendTime batch carries its max timestamp', () =>
      withLog(small, async (log) => {
        await log.append(stamped([100, 200]), epoch(0));
        await log.append(stamped([900, 950, 920], TIMESTAMP_TYPE_LOG_APPEND_BIT), epoch(0));
        await log.append(stamped([940]), epoch(0));
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 2, timestamp: 950 });
      }));

    test('maxTimestampRecord: a truncation removing the max batch leaves the max of what remains', () =>
      withLog(small, async (log) => {
        // On disk: offsets 0-6 in a sealed segment holding the max (3-4), 7-10 in the active one.
        for (const ts of [[100, 300], [200], [900, 950], [250, 280], [310, 305], [800], [100]]) await log.append(stamped(ts), epoch(0));
        if (log instanceof DiskPartitionLog) assert.deepEqual(log.segmentBaseOffsets, [0, 7]);
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 4, timestamp: 950 });
        await log.truncateTo(offset(9));
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 4, timestamp: 950 });
        await log.truncateTo(offset(4)); // inside the max batch: it goes whole, with the segment after it
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 1, timestamp: 300 });
        await log.append(stamped([300]), epoch(1)); // a tie: the earlier record stays the answer
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 1, timestamp: 300 });
        await log.append(stamped([290, 301]), epoch(1));
        assert.deepEqual(await log.maxTimestampRecord(), { offset: 5, timestamp: 301 });
        await log.truncateTo(offset(0));
        assert.equal(await log.maxTimestampRecord(), undefined);
      }));

    test('a closed log refuses work', () =>
      withLog(small, async (log) => {
        await log.close();
        await assert.rejects(log.append(batch(1), epoch(0)), (e: unknown) => e instanceof LogError && e.code === 'CLOSED');
      }));
  });
}
