// The FilePool (a cap on open segment files, least recently used idle handles closed first, leased
// ones never) and DiskPartitionLog over a small pool: more logs than handles, evicted active
// segments, reads in flight, flush after eviction, and deletes that close handles first. Besides the
// pool's own count, the process's descriptors are counted in /proc/self/fd.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { type FileHandle, open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OffsetCheckpoint } from '../../src/broker/log/checkpoint.js';
import { DiskPartitionLog, RECOVERY_POINT_FILE } from '../../src/broker/log/disk-log.js';
import { FilePool } from '../../src/broker/log/file-pool.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/broker/log/partition-log.js';
import { segmentFileName } from '../../src/broker/log/segment.js';
import { readAt } from '../../src/broker/log/segment-file.js';
import { offset } from '../../src/broker/log/types.js';
import { silentLogger } from '../../src/util/log.js';
import { batch, epoch, readAll, withTempDir } from './log-support.js';
import { TailCacheBudget } from '../../src/broker/log/tail-cache.js';

const BATCH_BYTES = batch(2).length;
/** Five batch(2) per segment, an index entry every other batch. */
const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: BATCH_BYTES * 5, indexIntervalBytes: BATCH_BYTES + 1 };

/** Logs without a tail cache: every read here must go to the files, through the pool. */
const NO_TAIL_CACHE = new TailCacheBudget(0);
const openLog = (dir: string, files: FilePool, more: Partial<LogConfig> = {}, clockMs?: () => number): Promise<DiskPartitionLog> =>
  DiskPartitionLog.open(dir, { config: { ...config, ...more }, logger: silentLogger, files, tailCacheBudget: NO_TAIL_CACHE, ...(clockMs === undefined ? {} : { clockMs }) });

const segPath = (dir: string, base: number, suffix: '.log' | '.index' | '.timeindex' = '.log'): string => join(dir, segmentFileName(offset(base), suffix));

/** The process's open descriptors (the directory read itself holds one while it runs, every time). */
const openFds = (): string[] =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // the descriptor of the listing itself, gone by now
    }
  });

const fdsUnder = (dir: string): string[] => {
  const real = realpathSync(dir);
  return openFds().filter((p) => p.startsWith(real));
};

const gate = (): { wait: Promise<void>; open: () => void } => {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
};

describe('FilePool', () => {
  test('never holds more than its cap; the least recently used idle handle goes first', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(2);
      const p = (n: string) => join(dir, n);
      for (const n of ['a', 'b', 'c']) await writeFile(p(n), n);
      const read = (n: string) => pool.use(p(n), async (fh) => await textOf(fh));
      assert.equal(await read('a'), 'a');
      assert.equal(await read('b'), 'b');
      assert.equal(await read('a'), 'a'); // a is now the most recently used
      assert.equal(await read('c'), 'c');
      assert.deepEqual(['a', 'b', 'c'].map((n) => pool.isOpen(p(n))), [true, false, true]);
      assert.equal(pool.openCount, 2);
      assert.deepEqual(pool.stats, { opens: 3, evictions: 1 });
      assert.equal(fdsUnder(dir).length, 2);
      await pool.close(p('a'));
      await pool.close(p('c'));
      assert.equal(pool.openCount, 0);
      assert.deepEqual(fdsUnder(dir), []);
    }));

  test('a leased handle is not closed under its user: others wait for it at the cap', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(1);
      await writeFile(join(dir, 'a'), 'aaaa');
      await writeFile(join(dir, 'b'), 'bbbb');
      const held = gate();
      let leased: FileHandle | undefined;
      const slowRead = pool.use(join(dir, 'a'), async (fh) => {
        leased = fh;
        await held.wait;
        return await textOf(fh);
      });
      while (leased === undefined) await new Promise((r) => setImmediate(r));
      let bStarted = false;
      const other = pool.use(join(dir, 'b'), async (fh) => {
        bStarted = true;
        return await textOf(fh);
      });
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(bStarted, false, 'b was opened while the only slot was leased');
      assert.equal(pool.openCount, 1);
      held.open();
      assert.deepEqual(await Promise.all([slowRead, other]), ['aaaa', 'bbbb']);
      assert.equal(pool.isOpen(join(dir, 'a')), false);
      await assert.rejects(pool.use(join(dir, 'b'), async () => pool.close(join(dir, 'b'))), /in use/);
      await pool.close(join(dir, 'b'));
      assert.equal(pool.openCount, 0);
    }));

  test('a failed open gives its slot back; a missing file is not created unless asked', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(1);
      await assert.rejects(pool.use(join(dir, 'missing'), () => Promise.resolve()), { code: 'ENOENT' });
      assert.equal(pool.openCount, 0);
      assert.deepEqual(await readdir(dir), []);
      await pool.use(join(dir, 'made'), (fh) => fh.write(Buffer.from('x'), 0, 1, 0), { create: true });
      assert.deepEqual(await readdir(dir), ['made']);
      await pool.close(join(dir, 'made'));
    }));

  test('concurrent uses of many files stay under the cap at every moment', () =>
    withTempDir(async (dir) => {
      const cap = 4;
      const pool = new FilePool(cap);
      const names = Array.from({ length: 20 }, (_, i) => join(dir, `f${i}`));
      for (const n of names) await writeFile(n, n);
      let peak = 0;
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const n = names[(i * 7) % names.length]!;
          const text = await pool.use(n, async (fh) => {
            peak = Math.max(peak, pool.openCount, fdsUnder(dir).length);
            await new Promise((r) => setImmediate(r));
            return await textOf(fh);
          });
          assert.equal(text, n);
        }),
      );
      assert.ok(peak <= cap && peak > 1, `peak ${peak}`);
      for (const n of names) await pool.close(n);
      assert.deepEqual(fdsUnder(dir), []);
    }));
});

describe('DiskPartitionLog over a small FilePool', () => {
  test('300 logs, cap 32: appends, reads, rolls and a reopen stay under the cap', () =>
    withTempDir(async (dir) => {
      const cap = 32;
      const pool = new FilePool(cap);
      const before = openFds().length;
      const dirs = Array.from({ length: 300 }, (_, i) => join(dir, `t-${i}`));
      const logs: DiskPartitionLog[] = [];
      let peak = { pool: 0, fds: 0 };
      const sample = () => (peak = { pool: Math.max(peak.pool, pool.openCount), fds: Math.max(peak.fds, openFds().length - before) });
      for (const d of dirs) {
        logs.push(await openLog(d, pool, { segmentBytesMax: BATCH_BYTES * 3 }));
        sample();
      }
      // Rounds over all logs, concurrently in groups: append to each, read an older batch of each.
      for (let round = 0; round < 4; round++) {
        for (let from = 0; from < logs.length; from += 50) {
          await Promise.all(
            logs.slice(from, from + 50).map(async (log, k) => {
              await log.append(batch(2, 1000 + round, 10, from + k), epoch(1));
              const r = await log.read(offset(2 * Math.floor(round / 2)), 1 << 20, log.logEndOffset);
              assert.ok(r.sizeBytes > 0);
            }),
          );
          sample();
        }
      }
      assert.ok(peak.pool <= cap, `the pool held ${peak.pool}`);
      // Transient descriptors (checkpoint writes) are closed between operations.
      assert.ok(peak.fds <= cap, `the process held ${peak.fds} more descriptors`);
      const contents = await Promise.all(logs.map((l) => readAll(l)));
      assert.ok(pool.stats.evictions > 0);
      for (const log of logs) assert.deepEqual(log.segmentBaseOffsets, [0, 6]);
      await inGroups(logs, (log) => log.close());
      assert.equal(pool.openCount, 0);
      assert.equal(openFds().length, before);
      await inGroups(dirs, async (d, i) => {
        const again = await openLog(d, pool, { segmentBytesMax: BATCH_BYTES * 3 });
        assert.equal(pool.isOpen(segPath(d, 0)), false, 'a loaded sealed segment keeps its .log open');
        assert.equal(again.logEndOffset, 8);
        assert.deepEqual(await readAll(again), contents[i]);
        await again.append(batch(1), epoch(1));
        await again.close();
        assert.ok(pool.openCount <= cap);
      });
      assert.equal(pool.openCount, 0);
      assert.equal(openFds().length, before);
    }));

  test('an active segment whose handles were evicted still appends and reads, and survives a reopen', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(1);
      const a = await openLog(join(dir, 'a'), pool);
      const b = await openLog(join(dir, 'b'), pool);
      for (let i = 0; i < 7; i++) {
        await a.append(batch(2, 1000 + i, 10, i), epoch(1));
        await b.append(batch(2, 1000 + i, 10, 100 + i), epoch(1)); // b's files push a's out
        assert.equal(pool.isOpen(segPath(join(dir, 'a'), 0)), false);
      }
      const data = await readAll(a);
      assert.equal(data.length, 7 * BATCH_BYTES);
      assert.deepEqual(a.segmentBaseOffsets, [0, 10]);
      await a.close();
      await b.close();
      const again = await openLog(join(dir, 'a'), pool);
      assert.deepEqual(await readAll(again), data);
      assert.equal(again.logEndOffset, 14);
      await again.close();
    }));

  test('a reopened log holds handles of its active segment only; close gives them back', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(64);
      const log = await openLog(dir, pool);
      for (let i = 0; i < 12; i++) await log.append(batch(2, 1000 + i, 10, i), epoch(1));
      await log.close();
      assert.equal(pool.openCount, 0);
      const again = await openLog(dir, pool);
      assert.deepEqual(again.segmentBaseOffsets, [0, 10, 20]);
      const open = (['.log', '.index', '.timeindex'] as const).flatMap((s) => [0, 10, 20].map((b) => segPath(dir, b, s))).filter((p) => pool.isOpen(p));
      assert.deepEqual(open.sort(), [segPath(dir, 20, '.index'), segPath(dir, 20, '.log'), segPath(dir, 20, '.timeindex')]);
      await again.close();
      assert.equal(pool.openCount, 0);
    }));

  test('reads in flight are not broken by evictions from appends to other logs', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(2);
      const reader = await openLog(join(dir, 'r'), pool, { segmentBytesMax: 1 << 20 });
      for (let i = 0; i < 40; i++) await reader.append(batch(20, 1000 + i, 200, i), epoch(1));
      const whole = await readAll(reader);
      const writers = await Promise.all([1, 2, 3].map((i) => openLog(join(dir, `w${i}`), pool)));
      const evictionsBefore = pool.stats.evictions;
      const reads = Array.from({ length: 30 }, () => readAll(reader, 4096));
      const appends = writers.flatMap((w, k) => Array.from({ length: 10 }, (_, i) => w.append(batch(2, 1000 + i, 10, k), epoch(1))));
      const results = await Promise.all(reads);
      await Promise.all(appends);
      for (const r of results) assert.deepEqual(r, whole);
      assert.ok(pool.stats.evictions > evictionsBefore + 10, `only ${pool.stats.evictions - evictionsBefore} evictions`);
      for (const l of [reader, ...writers]) await l.close();
      assert.equal(pool.openCount, 0);
    }));

  test('flush fsyncs files whose handles were evicted since they were written; the recovery point is honest', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(1);
      const aDir = join(dir, 'a');
      const a = await openLog(aDir, pool);
      const b = await openLog(join(dir, 'b'), pool);
      await a.flush();
      for (let i = 0; i < 4; i++) await a.append(batch(2, 1000 + i, 10, i), epoch(1)); // writes all three files
      await b.append(batch(2), epoch(1));
      for (const s of ['.log', '.index', '.timeindex'] as const) assert.equal(pool.isOpen(segPath(aDir, 0, s)), false);
      const synced = await syncedPaths(() => a.flush());
      const real = realpathSync(aDir);
      for (const suffix of ['.log', '.index', '.timeindex'] as const) {
        assert.ok(synced.includes(join(real, segmentFileName(offset(0), suffix))), `${suffix} not fsynced: ${synced.join(', ')}`);
      }
      assert.equal(await new OffsetCheckpoint(join(aDir, RECOVERY_POINT_FILE)).read(), 8);
      // Nothing written since: a second flush fsyncs no segment file.
      assert.deepEqual((await syncedPaths(() => a.flush())).filter((p) => p.endsWith('.log') || p.endsWith('index')), []);
      // A reopen (as after a crash: a's handles abandoned) trusts the recovery point and keeps the data.
      const again = await openLog(aDir, new FilePool(3));
      assert.equal(again.logEndOffset, 8);
      assert.deepEqual(await readAll(again), await readAll(a));
      await again.close();
      await a.close();
      await b.close();
    }));

  test('truncation, retention, a full truncation and a topic delete close pooled handles before the files go', () =>
    withTempDir(async (dir) => {
      const pool = new FilePool(8);
      const aDir = join(dir, 'a');
      let now = 1_000;
      const a = await openLog(aDir, pool, { retentionMs: 100 }, () => now);
      const b = await openLog(join(dir, 'b'), pool);
      for (let i = 0; i < 17; i++) await a.append(batch(2, 1000 + 10 * i, 10, i), epoch(1));
      assert.deepEqual(a.segmentBaseOffsets, [0, 10, 20, 30]);
      // Sealed segments keep no index handles after the roll.
      for (const base of [0, 10, 20]) for (const s of ['.index', '.timeindex'] as const) assert.equal(pool.isOpen(segPath(aDir, base, s)), false, `${base}${s}`);
      // Reads put sealed .log handles in the pool; b's appends evict some of a's handles.
      await readAll(a);
      for (let i = 0; i < 5; i++) await b.append(batch(2, 1000 + i, 10, i), epoch(1));
      await readAll(a, BATCH_BYTES, offset(20));
      assert.ok(pool.isOpen(segPath(aDir, 20)) && pool.isOpen(segPath(aDir, 30)));

      await a.truncateTo(offset(24)); // deletes segment 30, cuts segment 20
      assert.equal(pool.isOpen(segPath(aDir, 30)), false);
      assert.deepEqual(a.segmentBaseOffsets, [0, 10, 20]);
      assert.deepEqual(deletedFds(), []);
      await a.append(batch(2, 2000, 10, 99), epoch(2));
      assert.equal(a.logEndOffset, 26);

      await readAll(a); // every .log of a in the pool again
      assert.ok(pool.isOpen(segPath(aDir, 0)));
      now = 1_150; // segment 0's newest timestamp is 1041, segment 10's 1091
      assert.equal(await a.applyRetention(a.logEndOffset), 1);
      assert.equal(pool.isOpen(segPath(aDir, 0)), false);
      assert.deepEqual(deletedFds(), []);

      await a.truncateFullyAndStartAt(offset(500));
      for (const base of [10, 20]) assert.equal(pool.isOpen(segPath(aDir, base)), false);
      assert.deepEqual(deletedFds(), []);
      await a.append(batch(2), epoch(3));
      assert.deepEqual(await readdir(aDir).then((n) => n.filter((x) => x.endsWith('.log'))), [segmentFileName(offset(500), '.log')]);

      // Topic deletion: the replica manager closes the log, then removes the directory.
      await a.close();
      assert.deepEqual(fdsUnder(aDir), []);
      await b.close();
      assert.equal(pool.openCount, 0);
    }));
});

/** The file's text, read from position 0 (a pooled handle is shared, so its own position is not). */
async function textOf(fh: FileHandle): Promise<string> {
  return (await readAt(fh, 0, 1024)).toString();
}

/** `fn` over every item, 50 at a time (closes and opens fsync; running them side by side saves time). */
async function inGroups<T>(items: readonly T[], fn: (item: T, index: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < items.length; from += 50) await Promise.all(items.slice(from, from + 50).map((item, k) => fn(item, from + k)));
}

/** Descriptors of this process whose file was removed: a handle that outlived its file. */
function deletedFds(): string[] {
  return openFds().filter((p) => p.endsWith(' (deleted)'));
}

/** The files fsynced through any FileHandle while `fn` runs (by the descriptor's /proc link). */
async function syncedPaths(fn: () => Promise<void>): Promise<string[]> {
  const probe = await open(process.execPath, 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: FileHandle) => Promise<void> };
  await probe.close();
  const original = proto.sync;
  const seen: string[] = [];
  proto.sync = function (this: FileHandle) {
    seen.push(readlinkSync(`/proc/self/fd/${this.fd}`));
    return original.call(this);
  };
  try {
    await fn();
  } finally {
    proto.sync = original;
  }
  return seen;
}
