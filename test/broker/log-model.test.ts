// Seeded model test: random appends (leader and follower), truncations, reads, timestamp lookups and
// reopens (clean, and as after a crash with no recovery point) applied to DiskPartitionLog and to
// MemoryPartitionLog; after every step both must answer alike, the max-timestamp record included.
// The disk log's tail cache gets a budget of a few batches, so reads are answered from the cache,
// from the files, and across the cache's edge. Replay one seed with LOG_MODEL_SEED=N;
// LOG_MODEL_SEEDS=N runs seeds 1..N (12 by default).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SeededRandom } from '../../src/raft/core/random.js';
import { TailCacheBudget } from '../../src/broker/log/tail-cache.js';
import { DiskPartitionLog, RECOVERY_POINT_FILE } from '../../src/broker/log/disk-log.js';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig, type PartitionLog } from '../../src/broker/log/partition-log.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { offset } from '../../src/broker/log/types.js';
import { silentLogger } from '../../src/util/log.js';
import { concat, epoch, withTempDir } from './log-support.js';

const SEED_COUNT = Number(process.env.LOG_MODEL_SEEDS ?? 12);
const SEEDS = process.env.LOG_MODEL_SEED === undefined ? Array.from({ length: SEED_COUNT }, (_, i) => i + 1) : [Number(process.env.LOG_MODEL_SEED)];
const STEPS = 120;

interface World {
  readonly rnd: SeededRandom;
  readonly dir: string;
  readonly config: LogConfig;
  readonly tailCacheBudget: TailCacheBudget;
  disk: DiskPartitionLog;
  readonly memory: MemoryPartitionLog;
  epoch: number;
  clockTs: number;
}

function randomBatches(w: World, baseOffset = 0, leaderEpoch = -1): Buffer {
  const parts: Buffer[] = [];
  for (let b = 0, n = 1 + w.rnd.int(3); b < n; b++) {
    w.clockTs += w.rnd.int(40) - 5; // mostly rising, sometimes back: timestamps are the producer's
    const records = Array.from({ length: 1 + w.rnd.int(6) }, () => ({
      timestamp: w.clockTs + w.rnd.int(20),
      key: w.rnd.chance(0.3) ? null : Buffer.from(`k${w.rnd.int(1000)}`),
      value: Buffer.alloc(w.rnd.int(120), w.rnd.int(256)),
    }));
    parts.push(encodeBatch({ records, baseOffset, partitionLeaderEpoch: leaderEpoch }));
    baseOffset += records.length;
  }
  return Buffer.concat(parts);
}

async function step(w: World, history: string[]): Promise<void> {
  const r = w.rnd.int(100);
  const end = w.memory.logEndOffset;
  if (r < 45) {
    if (w.rnd.chance(0.15)) w.epoch += 1;
    const buf = randomBatches(w);
    history.push(`append ${buf.length}B epoch ${w.epoch}`);
    assert.deepEqual(await w.disk.append(buf, epoch(w.epoch)), await w.memory.append(Buffer.from(buf), epoch(w.epoch)));
  } else if (r < 55) {
    if (w.rnd.chance(0.3)) w.epoch += 1;
    // The follower path needs offsets stamped as a leader would: restamp through a scratch twin.
    const scratch = new MemoryPartitionLog(DEFAULT_LOG_CONFIG, () => 0, end);
    await scratch.append(randomBatches(w), epoch(w.epoch));
    const fetched = concat(await scratch.read(end, 1 << 20, scratch.logEndOffset));
    history.push(`appendAsFollower ${fetched.length}B at ${end}`);
    assert.deepEqual(await w.disk.appendAsFollower(fetched), await w.memory.appendAsFollower(Buffer.from(fetched)));
  } else if (r < 63) {
    const to = offset(w.memory.logStartOffset + w.rnd.int(end - w.memory.logStartOffset + 1));
    history.push(`truncateTo ${to}`);
    await w.disk.truncateTo(to);
    await w.memory.truncateTo(to);
  } else if (r < 68) {
    const crash = w.rnd.chance(0.5);
    history.push(crash ? 'reopen after crash' : 'reopen');
    await w.disk.close();
    assert.equal(w.tailCacheBudget.bytes, 0, 'a closed log holds nothing in the tail cache budget');
    if (crash) await rm(join(w.dir, RECOVERY_POINT_FILE), { force: true });
    w.disk = await DiskPartitionLog.open(w.dir, { config: w.config, logger: silentLogger, tailCacheBudget: w.tailCacheBudget });
  } else if (r < 70) {
    history.push('flush');
    await w.disk.flush();
  } else {
    await compareRead(w, history);
  }
}

async function compareRead(w: World, history: string[]): Promise<void> {
  const start = w.memory.logStartOffset;
  const end = w.memory.logEndOffset;
  const from = offset(start + w.rnd.int(end - start + 1));
  const hw = offset(from + w.rnd.int(end - from + 1));
  const maxBytes = 1 + w.rnd.int(3000);
  history.push(`read ${from} max ${maxBytes}B hw ${hw}`);
  const [d, m] = [await w.disk.read(from, maxBytes, hw), await w.memory.read(from, maxBytes, hw)];
  assert.deepEqual([concat(d).toString('hex'), d.nextOffset, d.sizeBytes], [concat(m).toString('hex'), m.nextOffset, m.sizeBytes]);
  const ts = w.clockTs - w.rnd.int(400);
  assert.deepEqual(await w.disk.offsetForTimestamp(ts), await w.memory.offsetForTimestamp(ts), `timestamp ${ts}`);
}

async function checkSame(disk: PartitionLog, memory: PartitionLog, rnd: SeededRandom): Promise<void> {
  assert.deepEqual([disk.logStartOffset, disk.logEndOffset], [memory.logStartOffset, memory.logEndOffset]);
  assert.deepEqual(disk.epochEntries, memory.epochEntries);
  const e = epoch(rnd.int((memory.latestEpoch ?? 0) + 2));
  assert.deepEqual(disk.endOffsetForEpoch(e), memory.endOffsetForEpoch(e));
  assert.deepEqual(await disk.maxTimestampRecord(), await memory.maxTimestampRecord(), 'max-timestamp record');
}

for (const seed of SEEDS) {
  test(`disk log matches its in-memory twin, seed ${seed}`, () =>
    withTempDir(async (dir) => {
      const rnd = new SeededRandom(seed);
      const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: 2500 + rnd.int(2500), indexIntervalBytes: 64 + rnd.int(400), segmentAgeMsMax: 200 + rnd.int(2000) };
      const tailCacheBudget = new TailCacheBudget(rnd.int(4000));
      const w: World = { rnd, dir, config, tailCacheBudget, disk: await DiskPartitionLog.open(dir, { config, logger: silentLogger, tailCacheBudget }), memory: new MemoryPartitionLog(config), epoch: 0, clockTs: 1_000_000 };
      const history: string[] = [];
      let segmentsMax = 0;
      try {
        for (let i = 0; i < STEPS; i++) {
          await step(w, history);
          await checkSame(w.disk, w.memory, rnd);
          assert.ok(tailCacheBudget.bytes <= tailCacheBudget.bytesMax, `tail cache holds ${tailCacheBudget.bytes} B over its ${tailCacheBudget.bytesMax} B budget`);
          segmentsMax = Math.max(segmentsMax, w.disk.segmentBaseOffsets.length);
        }
        assert.ok(segmentsMax >= 2, `the run should cross segments (at most ${segmentsMax} seen)`);
      } catch (e) {
        throw new Error(`seed ${seed} failed after: ${history.slice(-8).join('; ')} (replay with LOG_MODEL_SEED=${seed}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      } finally {
        await w.disk.close().catch(() => undefined);
      }
    }));
}
