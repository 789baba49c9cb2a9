// Rebuilding producer state from snapshots and the log. A seeded random history of produce requests
// (new batches, retries, epoch bumps, non-idempotent batches), snapshots, reloads (reopening the disk
// log), follower truncations and retention runs on MemoryPartitionLog with MemorySnapshotStore and
// on DiskPartitionLog with FileSnapshotStore in the same directory. The oracle: the live state after
// each append, kept per log end offset, which a load or a truncation must reproduce exactly.
// Replay one seed with PRODUCER_LOAD_SEED=N; PRODUCER_LOAD_SEEDS=N runs seeds 1..N (8 by default).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig, type PartitionLog } from '../../src/broker/log/partition-log.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { offset, type Offset } from '../../src/broker/log/types.js';
import { SEQUENCE_MAX, type ProducerEntry } from '../../src/broker/producer/append-rules.js';
import type { ProducerStateConfig } from '../../src/broker/producer/limits.js';
import { loadProducerState } from '../../src/broker/producer/load.js';
import { FileSnapshotStore, MemorySnapshotStore, type ProducerSnapshotStore } from '../../src/broker/producer/producer-snapshot.js';
import { ProducerStateManager } from '../../src/broker/producer/producer-state-manager.js';
import { ProducerStateTable, type AppendVerdict } from '../../src/broker/producer/producer-state.js';
import { batchHeadersOf, replayLog } from '../../src/broker/producer/replay.js';
import { SeededRandom } from '../../src/raft/core/random.js';
import { silentLogger } from '../../src/util/log.js';
import { epoch, withTempDir } from './log-support.js';
import { assertSameEntries, producerBatch, type BatchSpec } from './producer-support.js';

const SEED_COUNT = Number(process.env.PRODUCER_LOAD_SEEDS ?? 8);
const SEEDS = process.env.PRODUCER_LOAD_SEED === undefined ? Array.from({ length: SEED_COUNT }, (_, i) => i + 1) : [Number(process.env.PRODUCER_LOAD_SEED)];
const STEPS = 250;
const NOW_MS = 1_000_000;
/** No expiry in these histories: the state is then a function of the log prefix alone. */
const CONFIG: ProducerStateConfig = { producerIdExpirationMs: 10 * NOW_MS, producersMax: 4 };
const LOG_CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytesMax: 1_000, retentionBytes: 2_000, retentionMs: -1 };
const options = { config: CONFIG, clockMs: () => NOW_MS, logger: silentLogger };

interface Client {
  readonly producerId: number;
  epoch: number;
  nextSeq: number;
  readonly sent: BatchSpec[];
}

interface Replica {
  log: PartitionLog;
  readonly store: ProducerSnapshotStore;
  /** Reopens the log as after a restart (the disk one from its files; the memory one is kept). */
  readonly reopen: (log: PartitionLog) => Promise<PartitionLog>;
}

interface World {
  readonly rnd: SeededRandom;
  readonly replica: Replica;
  manager: ProducerStateManager;
  readonly clients: Client[];
  /**
   * The state after each appended batch, by the log end offset it describes, from a table that
   * applies the appended batches one by one (a multi-batch request has states inside it too).
   */
  readonly statesAt: Map<number, ProducerEntry[]>;
  oracle: ProducerStateTable;
  readonly history: string[];
  step: number;
}

function nextSpec(w: World, c: Client, planned: Map<Client, number>): BatchSpec {
  const r = w.rnd.int(100);
  if (r < 12 && c.sent.length > 0) return c.sent[Math.max(0, c.sent.length - 1 - w.rnd.int(7))]!;
  if (r < 17) {
    c.epoch++;
    planned.set(c, 0);
  }
  const seq = planned.get(c) ?? c.nextSeq;
  const records = 1 + w.rnd.int(3);
  planned.set(c, (seq + records) % (SEQUENCE_MAX + 1));
  return { producerId: c.producerId, producerEpoch: c.epoch, baseSequence: seq, records, maxTimestamp: 500_000 + w.step };
}

function randomRequest(w: World): { buf: Buffer; specs: [Client, BatchSpec][]; planned: Map<Client, number> } {
  const planned = new Map<Client, number>();
  const specs: [Client, BatchSpec][] = [];
  const parts: Buffer[] = [];
  for (let i = 0, n = w.rnd.chance(0.8) ? 1 : 2; i < n; i++) {
    if (w.rnd.chance(0.1)) {
      parts.push(encodeBatch({ records: [{ value: Buffer.from('plain'), timestamp: 500_000 }] }));
      continue;
    }
    const c = w.clients[w.rnd.int(w.clients.length)]!;
    const spec = nextSpec(w, c, planned);
    specs.push([c, spec]);
    parts.push(producerBatch(spec));
  }
  return { buf: Buffer.concat(parts), specs, planned };
}

async function produce(w: World): Promise<void> {
  const { buf, specs, planned } = randomRequest(w);
  const verdict: AppendVerdict = w.manager.checkLeaderAppend(batchHeadersOf(buf));
  w.history.push(`produce ${specs.map(([, s]) => `${s.producerId}/e${s.producerEpoch}/s${s.baseSequence}+${s.records}`).join(' ')}: ${verdict.kind}`);
  if (verdict.kind !== 'append') return;
  verdict.pending.commit(await w.replica.log.append(buf, epoch(0)));
  for (const [c, spec] of specs) c.sent.push(spec);
  for (const [c, next] of planned) c.nextSeq = next;
  // The log stamped the real offsets into `buf`.
  for (const h of batchHeadersOf(buf)) {
    w.oracle.onAppended(h);
    w.statesAt.set(w.oracle.endOffset, w.oracle.entries());
  }
  assertSameEntries(w.manager.entries(), w.oracle.entries(), 'a committed request vs its batches applied one by one');
}

/** A load from the store must give the live state; the loaded manager then carries on. */
async function reload(w: World): Promise<void> {
  w.history.push('reload');
  w.replica.log = await w.replica.reopen(w.replica.log);
  const loaded = await ProducerStateManager.load(w.replica.store, w.replica.log, options);
  assertSameEntries(loaded.entries(), w.manager.entries(), 'loaded vs live');
  assert.deepEqual(loaded.lastLoad.corruptSnapshots, []);
  w.manager = loaded;
}

async function truncate(w: World): Promise<void> {
  const { log } = w.replica;
  // Mostly a short divergent suffix, as a follower has; sometimes deep.
  const depth = w.rnd.int(Math.min(log.logEndOffset - log.logStartOffset, w.rnd.chance(0.8) ? 12 : Number.MAX_SAFE_INTEGER) + 1);
  const to = offset(log.logEndOffset - depth);
  const report = await w.manager.truncateTo(log, to);
  w.history.push(`truncateTo ${to}: end ${log.logEndOffset}, from snapshot ${report.snapshotOffset}`);
  for (const at of w.statesAt.keys()) if (at > log.logEndOffset) w.statesAt.delete(at);
  assert.ok((await w.replica.store.list()).every((at) => at <= log.logEndOffset), 'no snapshot above the new log end');
  await assertRebuilt(w, report.snapshotOffset);
  // The producers learn what the partition kept the hard way; here, at once.
  for (const c of w.clients) {
    const e = w.manager.entry(c.producerId);
    if (e !== undefined) [c.epoch, c.nextSeq] = [e.producerEpoch, (e.batches.at(-1)!.lastSeq + 1) % (SEQUENCE_MAX + 1)];
  }
}

/**
 * From a snapshot, the state must be the live one at the new end. From the log start, it is what
 * the log alone says: the live state also remembered producers whose batches retention removed.
 */
async function assertRebuilt(w: World, snapshotOffset: Offset | undefined): Promise<void> {
  const { log } = w.replica;
  if (snapshotOffset !== undefined || log.logStartOffset === 0) {
    const expected = w.statesAt.get(log.logEndOffset);
    assert.ok(expected !== undefined, `no state recorded at ${log.logEndOffset}`);
    assertSameEntries(w.manager.entries(), expected, `state at ${log.logEndOffset}`);
  } else {
    const fromLog = await loadProducerState({ store: new MemorySnapshotStore(), log, config: CONFIG, nowMs: NOW_MS, logger: silentLogger });
    assertSameEntries(w.manager.entries(), fromLog.table.entries(), 'state from the log alone');
    w.statesAt.set(log.logEndOffset, w.manager.entries());
  }
  w.oracle = new ProducerStateTable(CONFIG, log.logEndOffset, w.manager.entries());
}

/** Retention with a snapshot just before, as Kafka has one at each segment roll. */
async function retention(w: World): Promise<void> {
  await w.manager.takeSnapshot(w.replica.log.logEndOffset);
  const removed = await w.replica.log.applyRetention(w.replica.log.logEndOffset); // all committed: no HW here
  const deleted = await w.manager.onLogStartOffsetIncremented(w.replica.log.logStartOffset);
  w.history.push(`retention: ${removed} removed, start ${w.replica.log.logStartOffset}, ${deleted} snapshots deleted`);
  assert.ok((await w.replica.store.list()).every((at) => at >= w.replica.log.logStartOffset));
}

async function step(w: World): Promise<void> {
  w.step++;
  const r = w.rnd.int(100);
  if (r < 70) await produce(w);
  else if (r < 80) {
    w.history.push(`snapshot at ${w.replica.log.logEndOffset}`);
    await w.manager.takeSnapshot(w.replica.log.logEndOffset);
  } else if (r < 88) await reload(w);
  else if (r < 96) await truncate(w);
  else await retention(w);
  assert.equal(w.manager.endOffset, w.replica.log.logEndOffset, 'the state covers the whole log');
}

async function runSeed(seed: number, replica: Replica): Promise<void> {
  const rnd = new SeededRandom(seed);
  const clients = [0, 1, 2, 3, 4, 5].map((producerId) => ({ producerId, epoch: rnd.int(3), nextSeq: rnd.chance(0.3) ? SEQUENCE_MAX - rnd.int(8) : 0, sent: [] }));
  const manager = await ProducerStateManager.load(replica.store, replica.log, options);
  const w: World = { rnd, replica, manager, clients, statesAt: new Map([[0, []]]), oracle: new ProducerStateTable(CONFIG), history: [], step: 0 };
  try {
    for (let i = 0; i < STEPS; i++) await step(w);
    await reload(w);
    assert.ok(w.replica.log.logStartOffset > 0, 'the run should see retention remove batches');
  } catch (e) {
    throw new Error(`seed ${seed} failed after: ${w.history.slice(-8).join('; ')} (replay with PRODUCER_LOAD_SEED=${seed}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    await w.replica.log.close();
  }
}

describe('a loaded or rebuilt state equals the live one', () => {
  for (const seed of SEEDS) {
    test(`on MemoryPartitionLog, seed ${seed}`, () => runSeed(seed, { log: new MemoryPartitionLog(LOG_CONFIG), store: new MemorySnapshotStore(), reopen: async (log) => log }));

    test(`on DiskPartitionLog, seed ${seed}`, () =>
      withTempDir(async (dir) => {
        const reopen = async (log: PartitionLog): Promise<PartitionLog> => {
          await log.close();
          return DiskPartitionLog.open(dir, { config: LOG_CONFIG, logger: silentLogger });
        };
        await runSeed(seed, { log: await DiskPartitionLog.open(dir, { config: LOG_CONFIG, logger: silentLogger }), store: new FileSnapshotStore(dir), reopen });
      }));
  }
});

describe('which snapshots a load uses', () => {
  const pid = 9;
  const batchAt = (seq: number, maxTimestamp = 500_000): Buffer => producerBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, maxTimestamp });

  async function appendBuf(manager: ProducerStateManager, log: PartitionLog, buf: Buffer): Promise<void> {
    const v = manager.checkLeaderAppend(batchHeadersOf(buf));
    assert.equal(v.kind, 'append', JSON.stringify(v));
    if (v.kind === 'append') v.pending.commit(await log.append(buf, epoch(0)));
  }

  async function appendAll(manager: ProducerStateManager, log: PartitionLog, seqs: number[], maxTimestamp?: number): Promise<void> {
    for (const seq of seqs) await appendBuf(manager, log, batchAt(seq, maxTimestamp));
  }

  test('a snapshot above the log end (a lost tail) is deleted and reported, and the log replayed', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    await appendAll(manager, log, [0]);
    await manager.takeSnapshot(log.logEndOffset);
    await appendAll(manager, log, [1, 2]);
    await manager.takeSnapshot(log.logEndOffset);
    await log.truncateTo(offset(2)); // behind the manager's back, as a crash losing an unflushed tail
    const loaded = await ProducerStateManager.load(store, log, options);
    assert.deepEqual(loaded.lastLoad.outOfRangeSnapshots, [3]);
    assert.deepEqual([loaded.lastLoad.snapshotOffset, loaded.lastLoad.replayedFrom, loaded.lastLoad.batchesReplayed], [1, 1, 1]);
    assert.deepEqual(await store.list(), [1]);
    assert.deepEqual(loaded.entry(pid)?.batches.map((b) => b.lastSeq), [0, 1]);
  });

  test('a snapshot below the log start is not used: the state starts there empty', async () => {
    const log = new MemoryPartitionLog({ ...DEFAULT_LOG_CONFIG, retentionBytes: 1 });
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    await appendAll(manager, log, [0, 1]);
    await manager.takeSnapshot(log.logEndOffset);
    await appendAll(manager, log, [2, 3]);
    await log.applyRetention(offset(3)); // a HW of 3 keeps the newest batch only
    assert.equal(log.logStartOffset, 3);
    assert.deepEqual(manager.entry(pid)?.batches.map((b) => b.lastSeq), [0, 1, 2, 3], 'the live state keeps what it knew');
    // The snapshot at 2 ends at sequence 1, but sequence 2 was in the batches retention removed:
    // loading it would refuse the producer's next sequence, 4.
    const loaded = await ProducerStateManager.load(store, log, options);
    assert.deepEqual(loaded.lastLoad.outOfRangeSnapshots, [2]);
    assert.deepEqual([loaded.lastLoad.snapshotOffset, loaded.lastLoad.replayedFrom], [undefined, 3]);
    assert.deepEqual(loaded.entry(pid)?.batches.map((b) => b.lastSeq), [3]);
    assert.deepEqual(await store.list(), []);
    await appendAll(loaded, log, [4]);
  });

  test('retention deletes snapshots below the new log start; one at exactly the start is used', async () => {
    const log = new MemoryPartitionLog({ ...DEFAULT_LOG_CONFIG, retentionBytes: 1 });
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    await appendAll(manager, log, [0]);
    await manager.takeSnapshot(log.logEndOffset);
    await appendAll(manager, log, [1, 2]);
    await manager.takeSnapshot(log.logEndOffset);
    const plain = encodeBatch({ records: [{ value: null, timestamp: 500_000 }] });
    await appendBuf(manager, log, plain);
    await log.applyRetention(offset(3)); // a HW of 3 keeps the newest batch
    assert.equal(log.logStartOffset, 3);
    assert.equal(await manager.onLogStartOffsetIncremented(log.logStartOffset), 1);
    assert.deepEqual(await store.list(), [3]);
    const loaded = await ProducerStateManager.load(store, log, options);
    assert.deepEqual([loaded.lastLoad.snapshotOffset, loaded.lastLoad.batchesReplayed], [3, 1]);
    assertSameEntries(loaded.entries(), manager.entries(), 'loaded');
  });

  test('producers idle past producer.id.expiration.ms are not loaded, from a snapshot or the log', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const short = { ...options, config: { ...CONFIG, producerIdExpirationMs: 1_000 } };
    const manager = await ProducerStateManager.load(store, log, short);
    const other = producerBatch({ producerId: 1, producerEpoch: 0, baseSequence: 0, maxTimestamp: NOW_MS - 10 });
    await appendAll(manager, log, [0], NOW_MS - 5_000);
    await manager.takeSnapshot(log.logEndOffset);
    await appendBuf(manager, log, other);
    await appendAll(manager, log, [1], NOW_MS - 2_000);
    const loaded = await ProducerStateManager.load(store, log, short);
    assert.deepEqual(
      loaded.entries().map((e) => e.producerId),
      [1],
    );
    assert.equal(manager.removeExpired(), 1);
    assertSameEntries(loaded.entries(), manager.entries(), 'loaded vs live after expiry');
  });

  test('truncateTo deletes the snapshots above the cut before cutting the log', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    for (const seq of [0, 1, 2, 3]) {
      await appendAll(manager, log, [seq]);
      await manager.takeSnapshot(log.logEndOffset);
    }
    const seen: Offset[][] = [];
    const truncateTo = async (to: Offset): Promise<void> => {
      seen.push(await store.list());
      await log.truncateTo(to);
    };
    const watched = new Proxy(log, {
      get: (target, key) => {
        if (key === 'truncateTo') return truncateTo;
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const report = await manager.truncateTo(watched, offset(2));
    assert.deepEqual(seen, [[1, 2]]);
    assert.deepEqual([report.snapshotOffset, report.batchesReplayed], [2, 0]);
    assert.deepEqual(manager.entry(pid)?.batches.map((b) => b.lastSeq), [0, 1]);
    await appendAll(manager, log, [2]);
  });

  test('truncateFullyAndStartAt forgets every producer and snapshot', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    await appendAll(manager, log, [0, 1]);
    await manager.takeSnapshot(log.logEndOffset);
    await manager.truncateFullyAndStartAt(log, offset(50));
    assert.deepEqual([manager.entries(), manager.endOffset, await store.list(), log.logStartOffset], [[], 50, [], 50]);
    await appendAll(manager, log, [7]);
    assert.equal(manager.entry(pid)?.batches[0]?.firstOffset, 50);
  });

  test('a lower producersMax at load keeps the most recent producers', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const manager = await ProducerStateManager.load(store, log, options);
    for (const producerId of [1, 2, 3, 4]) {
      await appendBuf(manager, log, producerBatch({ producerId, producerEpoch: 0, baseSequence: 0 }));
    }
    await manager.takeSnapshot(log.logEndOffset);
    const loaded = await ProducerStateManager.load(store, log, { ...options, config: { ...CONFIG, producersMax: 2 } });
    assert.deepEqual(
      loaded.entries().map((e) => e.producerId),
      [3, 4],
    );
  });
});

test('a snapshot requested before a truncation is written before the truncation deletes above the cut', () =>
  withTempDir(async (dir) => {
    const log = new MemoryPartitionLog();
    const store = new FileSnapshotStore(dir);
    const manager = await ProducerStateManager.load(store, log, options);
    for (let seq = 0; seq < 3; seq++) {
      const buf = producerBatch({ producerId: 1, producerEpoch: 0, baseSequence: seq });
      const v = manager.checkLeaderAppend(batchHeadersOf(buf));
      assert.equal(v.kind, 'append');
      if (v.kind === 'append') v.pending.commit(await log.append(buf, epoch(0)));
    }
    // Not awaited in between: the caller may fire a snapshot and then learn of a divergence.
    const snapshot = manager.takeSnapshot(log.logEndOffset);
    const truncation = manager.truncateTo(log, offset(1));
    await Promise.all([snapshot, truncation]);
    assert.deepEqual(await store.list(), []);
    assert.equal(manager.endOffset, 1);
  }));

test('replaying the log in chunks of any size gives the same state', () =>
  withTempDir(async (dir) => {
    const rnd = new SeededRandom(7);
    const logs: PartitionLog[] = [new MemoryPartitionLog(LOG_CONFIG), await DiskPartitionLog.open(dir, { config: LOG_CONFIG, logger: silentLogger })];
    const nextSeq = [0, 0, 0];
    for (let i = 0; i < 60; i++) {
      const producerId = rnd.int(3);
      const records = 1 + rnd.int(4);
      const buf = producerBatch({ producerId, producerEpoch: 0, baseSequence: nextSeq[producerId]!, records });
      nextSeq[producerId]! += records;
      for (const log of logs) await log.append(Buffer.from(buf), epoch(0));
    }
    for (const log of logs) {
      const whole = new ProducerStateTable(CONFIG);
      assert.equal(await replayLog(whole, log, offset(0)), 60);
      for (const readBytesMax of [1, 150, 1_000]) {
        const chunked = new ProducerStateTable(CONFIG);
        assert.equal(await replayLog(chunked, log, offset(0), readBytesMax), 60);
        assertSameEntries(chunked.entries(), whole.entries(), `chunks of ${readBytesMax} bytes`);
      }
      await log.close();
    }
  }));
