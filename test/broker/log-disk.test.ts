// DiskPartitionLog beyond the contract: segments and their files, index lookups on every boundary,
// roll, retention, reopen and recovery from torn, flipped and corrupted bytes.
import assert from 'node:assert/strict';
import { open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CorruptCheckpointError } from '../../src/broker/log/checkpoint.js';
import { DiskPartitionLog, RECOVERY_POINT_FILE } from '../../src/broker/log/disk-log.js';
import { CorruptRecordError } from '../../src/broker/log/errors.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/broker/log/partition-log.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { segmentFileName } from '../../src/broker/log/segment.js';
import { offset } from '../../src/broker/log/types.js';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../src/util/log.js';
import { batch, epoch, ranges, readAll, withTempDir } from './log-support.js';

const BATCH_BYTES = batch(2).length; // every batch(2) below has the same size
const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: BATCH_BYTES * 5, indexIntervalBytes: BATCH_BYTES + 1 };

/** A batch the size of batch(2) whose two records carry timestamps `first` and `second` (less than 64 apart). */
function pair(first: number, second: number): Buffer {
  const b = encodeBatch({ records: [first, second].map((timestamp, i) => ({ timestamp, key: Buffer.from(`k0000-000${i}`), value: Buffer.alloc(10, i) })) });
  assert.equal(b.length, BATCH_BYTES);
  return b;
}

const openLog = (dir: string, more: Partial<LogConfig> = {}, clockMs?: () => number, logger: Logger = silentLogger): Promise<DiskPartitionLog> =>
  DiskPartitionLog.open(dir, { config: { ...config, ...more }, logger, ...(clockMs === undefined ? {} : { clockMs }) });

/** A log of `n` batches of two records (offsets 2i, 2i+1; timestamp 1000 + 10i), five per segment. */
async function filled(dir: string, n: number, more: Partial<LogConfig> = {}, clockMs?: () => number): Promise<DiskPartitionLog> {
  const log = await openLog(dir, more, clockMs);
  for (let i = 0; i < n; i++) await log.append(batch(2, 1000 + 10 * i, 10, i), epoch(1 + Math.floor(i / 4)));
  return log;
}

const logPath = (dir: string, base: number): string => join(dir, segmentFileName(offset(base), '.log'));

/** A logger that keeps its JSON lines, to check what recovery reports. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

describe('DiskPartitionLog segments', () => {
  test('rolls by segment bytes; files are named by 20-digit base offsets', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 12);
      assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
      const names = (await readdir(dir)).filter((n) => n.endsWith('.log'));
      assert.deepEqual(names, ['00000000000000000000.log', '00000000000000000010.log', '00000000000000000020.log']);
      assert.equal((await stat(logPath(dir, 0))).size, BATCH_BYTES * 5);
      await log.close();
    }));

  test('rolls by the span of batch timestamps (segment.ms)', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 6, { segmentBytesMax: 1 << 20, segmentAgeMsMax: 25 });
      // timestamps 1000, 1010, 1020 | 1030 (span 30 >= 25 from 1000) ...
      assert.deepEqual(log.segmentBaseOffsets, [0, 6]);
      await log.close();
    }));

  test('a read from every offset starts at the batch holding it, across segment boundaries', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 23);
      for (let o = 0; o < 46; o++) {
        const r = await log.read(offset(o), BATCH_BYTES * 3, log.logEndOffset);
        const first = o - (o % 2);
        const expected = [first, first + 2, first + 4].filter((b) => b < 46).map((b) => [b, b + 1]);
        assert.deepEqual(ranges(r), expected, `offset ${o}`);
      }
      await log.close();
    }));

  test('reopen keeps data, offsets, segments, epochs and indexes byte for byte', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 17);
      const before = { data: await readAll(log), epochs: log.epochEntries, index: await readFile(join(dir, segmentFileName(offset(10), '.index'))) };
      await log.close();
      const again = await openLog(dir);
      assert.deepEqual(await readAll(again), before.data);
      assert.deepEqual(again.epochEntries, before.epochs);
      assert.deepEqual(again.segmentBaseOffsets, [0, 10, 20, 30]);
      assert.deepEqual(await readFile(join(dir, segmentFileName(offset(10), '.index'))), before.index);
      assert.deepEqual(await again.append(batch(1), epoch(9)), { baseOffset: 34, lastOffset: 34 });
      await again.close();
    }));

  test('truncateTo across segments deletes later segments and their files', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 17);
      await log.truncateTo(offset(13));
      assert.deepEqual([log.segmentBaseOffsets, log.logEndOffset], [[0, 10], 12]);
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('000000000000000000')).sort().at(-1), '00000000000000000010.timeindex');
      assert.deepEqual(log.epochEntries.map((e) => e.epoch), [1, 2]);
      await log.truncateTo(offset(10));
      assert.deepEqual([log.segmentBaseOffsets, log.logEndOffset], [[0], 10]);
      await log.append(batch(2), epoch(7));
      assert.deepEqual([log.segmentBaseOffsets, log.logEndOffset], [[0, 10], 12]);
      await log.close();
      const again = await openLog(dir);
      assert.equal(again.logEndOffset, 12);
      assert.deepEqual(ranges(await again.read(offset(8), 1 << 20, offset(12))), [[8, 9], [10, 11]]);
      await again.close();
    }));

  test('the max-timestamp record survives reopening, recovery, and a truncation into a sealed segment', () =>
    withTempDir(async (dir) => {
      // Five batches a segment: offsets 0-9, 10-19, 20-23. The max, 995, is first at offset 14 (the
      // first record of its batch), again later in that segment and in the next one.
      const timestamps = [[100, 110], [120, 105], [130, 125], [140, 135], [150, 145], [200, 160], [970, 990], [995, 980], [990, 960], [995, 990], [995, 995], [500, 510]];
      let log = await openLog(dir);
      for (const [a, b] of timestamps) await log.append(pair(a!, b!), epoch(1));
      assert.deepEqual(log.segmentBaseOffsets, [0, 10, 20]);
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 14, timestamp: 995 });
      await log.close();
      log = await openLog(dir); // sealed segments keep their indexes
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 14, timestamp: 995 });
      await log.close();
      await rm(join(dir, RECOVERY_POINT_FILE)); // every segment is scanned
      log = await openLog(dir);
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 14, timestamp: 995 });
      await log.truncateTo(offset(15)); // the batch holding 14-15 goes, and the segment after it
      assert.deepEqual([log.segmentBaseOffsets, log.logEndOffset], [[0, 10], 14]);
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 13, timestamp: 990 });
      await log.close();
      log = await openLog(dir);
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 13, timestamp: 990 });
      await log.append(pair(990, 996), epoch(2));
      assert.deepEqual(await log.maxTimestampRecord(), { offset: 15, timestamp: 996 });
      await log.close();
    }));
});

describe('DiskPartitionLog retention', () => {
  test('by time: segments whose newest timestamp is older than retention.ms go; the active one only once the HW reaches the log end', () =>
    withTempDir(async (dir) => {
      let now = 1_000;
      const log = await filled(dir, 12, { retentionMs: 100 }, () => now);
      assert.equal(await log.applyRetention(log.logEndOffset), 0);
      now = 1041 + 100 + 1; // the first segment's newest record is at 1041
      assert.equal(await log.applyRetention(log.logEndOffset), 1);
      assert.deepEqual([log.logStartOffset, log.segmentBaseOffsets], [10, [10, 20]]);
      assert.deepEqual(log.epochEntries[0], { epoch: 2, startOffset: 10 });
      now = 1_000_000;
      assert.equal(await log.applyRetention(offset(23)), 1, 'the active segment holds 23, at the HW');
      assert.deepEqual(log.segmentBaseOffsets, [20]);
      await assert.rejects(log.read(offset(0), 100, offset(24)), /outside/);
      assert.equal(await log.applyRetention(offset(24)), 1, 'the HW reached the log end: the active segment goes after a roll');
      assert.deepEqual([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets], [24, 24, [24]]);
      assert.deepEqual(log.epochEntries, [{ epoch: 3, startOffset: 24 }], 'the latest epoch stays, moved to the new start');
      assert.equal(await log.applyRetention(offset(24)), 0, 'an empty active segment stays');
      await log.append(batch(2, now), epoch(3));
      await log.close();
      const again = await openLog(dir);
      assert.deepEqual([again.logStartOffset, again.logEndOffset], [24, 26]);
      await again.close();
    }));

  test('by size: the oldest segments go while the rest stays at least retention.bytes', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 12, { retentionBytes: BATCH_BYTES * 6, retentionMs: -1 });
      assert.equal(await log.applyRetention(log.logEndOffset), 1); // 12 batches; dropping 5 leaves 7 >= 6, dropping 10 leaves 2
      assert.deepEqual(log.segmentBaseOffsets, [10, 20]);
      await log.close();
    }));
});

describe('DiskPartitionLog recovery', () => {
  test('a torn tail (file cut mid-batch) is truncated and logged with file, position and offset', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 8);
      await log.close();
      await truncate(logPath(dir, 10), BATCH_BYTES * 2 + 17);
      const { logger, lines } = capturingLogger();
      const again = await openLog(dir, {}, undefined, logger);
      assert.equal(again.logEndOffset, 14);
      const warn = lines.find((l) => l.msg === 'truncating a torn or corrupt tail of the log');
      assert.ok(warn !== undefined);
      assert.deepEqual([warn.file, warn.position, warn.offset, warn.droppedBytes], [logPath(dir, 10), BATCH_BYTES * 2, 14, 17]);
      assert.deepEqual(await again.append(batch(2), epoch(5)), { baseOffset: 14, lastOffset: 15 });
      await again.close();
    }));

  test('a flipped byte in the last batch fails its CRC: that batch goes, the rest stays', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 8);
      await log.close();
      const fh = await open(logPath(dir, 10), 'r+');
      const b = Buffer.alloc(1);
      const at = BATCH_BYTES * 2 + 70;
      await fh.read(b, 0, 1, at);
      await fh.write(Buffer.of(b[0]! ^ 0x01), 0, 1, at);
      await fh.close();
      const { logger, lines } = capturingLogger();
      const again = await openLog(dir, {}, undefined, logger);
      assert.equal(again.logEndOffset, 14);
      assert.match(String(lines.find((l) => l.level === 40)?.reason), /CRC-32C/);
      assert.equal((await stat(logPath(dir, 10))).size, BATCH_BYTES * 2);
      await again.close();
    }));

  test('a corrupt batch in the middle of an earlier unflushed segment fails the open naming file and offset', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 12);
      await log.close();
      await rm(join(dir, RECOVERY_POINT_FILE)); // as after a crash before any flush
      const fh = await open(logPath(dir, 0), 'r+');
      await fh.write(Buffer.from('garbage!'), 0, 8, BATCH_BYTES * 2 + 65);
      await fh.close();
      await assert.rejects(openLog(dir), (e: unknown) => e instanceof CorruptRecordError && e.file === logPath(dir, 0) && e.offset === 4 && e.position === BATCH_BYTES * 2);
      // Nothing was cut: the later segments are still there for an operator to look at.
      assert.equal((await stat(logPath(dir, 10))).size, BATCH_BYTES * 5);
    }));

  test('deleted or damaged indexes are rebuilt identical, and lookups work again', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 12);
      await log.close();
      const files = ['.index', '.timeindex'] as const;
      const saved = await Promise.all(files.map((s) => readFile(join(dir, segmentFileName(offset(0), s)))));
      await rm(join(dir, segmentFileName(offset(0), '.index')));
      await rm(join(dir, segmentFileName(offset(0), '.timeindex')));
      await truncate(join(dir, segmentFileName(offset(10), '.index')), 5);
      const again = await openLog(dir);
      const rebuilt = await Promise.all(files.map((s) => readFile(join(dir, segmentFileName(offset(0), s)))));
      assert.deepEqual(rebuilt, saved);
      assert.ok(saved[0]!.length > 0 && saved[1]!.length > 0);
      assert.deepEqual(ranges(await again.read(offset(7), BATCH_BYTES, offset(24))), [[6, 7]]);
      assert.deepEqual(ranges(await again.read(offset(15), BATCH_BYTES, offset(24))), [[14, 15]]);
      assert.deepEqual(await again.offsetForTimestamp(1071), { offset: 15, timestamp: 1071 });
      await again.close();
    }));

  test('an epoch checkpoint ahead of the log (crash before the batch landed) is cut at open', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 4);
      await log.append(batch(2), epoch(9));
      await log.close();
      await truncate(logPath(dir, 0), BATCH_BYTES * 4);
      const again = await openLog(dir);
      assert.deepEqual(again.epochEntries, [{ epoch: 1, startOffset: 0 }]);
      await again.close();
    }));

  test('a damaged epoch checkpoint fails the open instead of starting with no epochs', () =>
    withTempDir(async (dir) => {
      const log = await filled(dir, 4);
      await log.close();
      await writeFile(join(dir, 'leader-epoch-checkpoint'), '0\n3\n1 0\n');
      await assert.rejects(openLog(dir), CorruptCheckpointError);
    }));
});
