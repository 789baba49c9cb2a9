// Producer snapshots: the file format round trip, every corruption caught, the file and memory
// stores alike, and a corrupt snapshot reported by name and skipped at load.
import assert from 'node:assert/strict';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { offset } from '../../src/broker/log/types.js';
import { SEQUENCE_MAX, type ProducerEntry } from '../../src/broker/producer/append-rules.js';
import { DEFAULT_PRODUCER_STATE_CONFIG, SNAPSHOT_BYTES_MAX } from '../../src/broker/producer/limits.js';
import {
  CorruptSnapshotError,
  FileSnapshotStore,
  MemorySnapshotStore,
  decodeSnapshot,
  encodeSnapshot,
  snapshotFileName,
  type ProducerSnapshotStore,
} from '../../src/broker/producer/producer-snapshot.js';
import { ProducerStateManager } from '../../src/broker/producer/producer-state-manager.js';
import { ProducerStateTable } from '../../src/broker/producer/producer-state.js';
import { silentLogger } from '../../src/util/log.js';
import { withTempDir } from './log-support.js';
import { assertSameEntries, header, leaderAppend, producerBatch } from './producer-support.js';

const NOW_MS = 10_000;
const options = { clockMs: () => NOW_MS, logger: silentLogger };

/** A table with several producers: full and partial caches, a wrapped sequence, a large id. */
function sampleTable(): ProducerStateTable {
  const t = new ProducerStateTable(DEFAULT_PRODUCER_STATE_CONFIG);
  let at = 0;
  const add = (producerId: number, producerEpoch: number, baseSequence: number, records: number): void => {
    t.onAppended(header({ producerId, producerEpoch, baseSequence, records, baseOffset: at, maxTimestamp: 5_000 + at }));
    at += records + 1; // a non-idempotent record between batches
  };
  for (let s = 0; s < 7; s++) add(1, 0, s * 2, 2);
  add(2, 32_767, SEQUENCE_MAX - 1, 3);
  add(Number.MAX_SAFE_INTEGER, 0, 0, 1);
  add(1, 0, 14, 4);
  return t;
}

describe('the snapshot format', () => {
  test('round-trips every producer, in recency order, with all cached batches', () => {
    const t = sampleTable();
    const entries: ProducerEntry[] = t.entries();
    assert.deepEqual(
      entries.map((e) => [e.producerId, e.batches.length]),
      [
        [2, 1],
        [Number.MAX_SAFE_INTEGER, 1],
        [1, 5],
      ],
    );
    const decoded = decodeSnapshot(encodeSnapshot(offset(100), entries), offset(100), 'x');
    assertSameEntries(decoded, entries, 'decoded');
    assert.deepEqual(decodeSnapshot(encodeSnapshot(offset(0), []), offset(0), 'empty'), []);
  });

  test('any flipped byte, a short file, an extra byte or a renamed file is corrupt', () => {
    const bytes = encodeSnapshot(offset(100), sampleTable().entries());
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i]! ^= 0x10;
      assert.throws(() => decodeSnapshot(bad, offset(100), 'f'), CorruptSnapshotError, `byte ${i}`);
    }
    assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1), offset(100), 'f'), CorruptSnapshotError);
    assert.throws(() => decodeSnapshot(Buffer.concat([bytes, Buffer.of(0)]), offset(100), 'f'), CorruptSnapshotError);
    assert.throws(() => decodeSnapshot(bytes.subarray(0, 5), offset(100), 'f'), CorruptSnapshotError);
    assert.throws(() => decodeSnapshot(bytes, offset(101), 'f'), /named for 101/);
  });

  test('a batch at or above the snapshot offset is corrupt even with a valid CRC', () => {
    const entries = sampleTable().entries();
    assert.throws(() => decodeSnapshot(encodeSnapshot(offset(3), entries), offset(3), 'f'), /a batch at offsets/);
  });
});

async function storeContract(store: ProducerSnapshotStore): Promise<void> {
  assert.deepEqual(await store.list(), []);
  await store.write(offset(30), Buffer.from('thirty'));
  await store.write(offset(4), Buffer.from('four'));
  await store.write(offset(30), Buffer.from('thirty again'));
  assert.deepEqual(await store.list(), [4, 30]);
  assert.equal((await store.read(offset(30))).toString(), 'thirty again');
  await store.delete(offset(4));
  await store.delete(offset(5));
  assert.deepEqual(await store.list(), [30]);
  assert.match(store.nameOf(offset(30)), /00000000000000000030\.snapshot$/);
}

describe('snapshot stores', () => {
  test('the memory store keeps the contract', () => storeContract(new MemorySnapshotStore()));

  test('the file store keeps the contract, with Kafka-style names among other files', () =>
    withTempDir(async (dir) => {
      await writeFile(join(dir, '00000000000000000000.log'), '');
      await writeFile(join(dir, `${snapshotFileName(offset(9))}.tmp`), 'torn');
      await storeContract(new FileSnapshotStore(dir));
      assert.ok((await readdir(dir)).includes('00000000000000000030.snapshot'));
      assert.deepEqual(await new FileSnapshotStore(join(dir, 'missing')).list(), []);
    }));

  test('the file store refuses to read a file larger than a snapshot can be', () =>
    withTempDir(async (dir) => {
      const store = new FileSnapshotStore(dir);
      await store.write(offset(1), Buffer.alloc(1));
      await truncate(store.nameOf(offset(1)), SNAPSHOT_BYTES_MAX + 1); // sparse: no real disk used
      await assert.rejects(store.read(offset(1)), CorruptSnapshotError);
    }));
});

describe('loading with a corrupt snapshot', () => {
  test('reports it by file name, deletes it and rebuilds from the older one', () =>
    withTempDir(async (dir) => {
      const log = await DiskPartitionLog.open(dir, { logger: silentLogger });
      const store = new FileSnapshotStore(dir);
      const live = await ProducerStateManager.load(store, log, options);
      const table = new ProducerStateTable(DEFAULT_PRODUCER_STATE_CONFIG);
      for (let s = 0; s < 6; s++) {
        const v = await leaderAppend(table, log, producerBatch({ producerId: 3, producerEpoch: 0, baseSequence: s * 2, records: 2, maxTimestamp: 9_000 }));
        assert.equal(v.kind, 'append');
        // The manager under test follows the log as a follower would.
        live.onAppended(header({ producerId: 3, producerEpoch: 0, baseSequence: s * 2, records: 2, baseOffset: s * 2, maxTimestamp: 9_000 }));
        if (s === 1 || s === 4) await live.takeSnapshot(log.logEndOffset);
      }
      const newest = store.nameOf(offset(10));
      await writeFile(newest, Buffer.from('not a snapshot at all, but long enough to hold a header'));
      const loaded = await ProducerStateManager.load(store, log, options);
      assert.deepEqual(loaded.lastLoad.corruptSnapshots.map((c) => c.file), [newest]);
      assert.match(loaded.lastLoad.corruptSnapshots[0]!.reason, /version|CRC/);
      assert.equal(loaded.lastLoad.snapshotOffset, 4);
      assert.equal(loaded.lastLoad.batchesReplayed, 4);
      assertSameEntries(loaded.entries(), table.entries(), 'loaded');
      assertSameEntries(loaded.entries(), live.entries(), 'loaded vs live manager');
      assert.deepEqual(await store.list(), [4]);
      await log.close();
    }));

  test('with every snapshot corrupt, rebuilds from the log start', async () => {
    const log = new MemoryPartitionLog();
    const store = new MemorySnapshotStore();
    const table = new ProducerStateTable(DEFAULT_PRODUCER_STATE_CONFIG);
    await leaderAppend(table, log, producerBatch({ producerId: 1, producerEpoch: 0, baseSequence: 0, maxTimestamp: 9_000 }));
    await store.write(offset(1), encodeSnapshot(offset(1), table.entries()).fill(7, 20));
    const loaded = await ProducerStateManager.load(store, log, options);
    assert.deepEqual(loaded.lastLoad.corruptSnapshots.map((c) => c.file), ['memory:00000000000000000001.snapshot']);
    assert.equal(loaded.lastLoad.snapshotOffset, undefined);
    assertSameEntries(loaded.entries(), table.entries(), 'loaded');
  });
});
