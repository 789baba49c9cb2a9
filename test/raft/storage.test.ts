// Raft storage: one contract suite run against both implementations, LevelDB-specific durability
// and corruption checks, and a seeded model test comparing LevelRaftStorage with its in-memory twin.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, mock, test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { SeededRandom } from '../../src/raft/core/random.js';
import type { PersistedState } from '../../src/raft/core/types.js';
import { nodeId } from '../../src/raft/core/types.js';
import { LevelRaftStorage, StorageAlreadyFormattedError, StorageNotFormattedError } from '../../src/raft/level-storage.js';
import { CorruptStorageError, MemoryRaftStorage, initialState } from '../../src/raft/storage.js';
import {
  type Harness,
  type HarnessFactory,
  RAW_HARD_STATE_KEY,
  applyStep,
  entries,
  flipBit,
  hardState,
  levelHarness,
  memoryHarness,
  pseudoRandomBytes,
  quietOptions,
  randomStep,
  rawChunkKey,
  rawEntryKey,
  snapshot,
  withRawDb,
  withTempDir,
} from './storage-fixtures.js';

const initial = initialState([nodeId(1), nodeId(2), nodeId(3)], [nodeId(4)]);

/** Loads, compares, then reopens and compares again: what was acknowledged must survive. */
async function expectState(h: Harness, expected: PersistedState): Promise<void> {
  assert.deepStrictEqual(await h.storage.load(), expected);
  await h.reopen();
  assert.deepStrictEqual(await h.storage.load(), expected);
}

async function withHarness(factory: HarnessFactory, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await factory(initial);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

function contractSuite(name: string, factory: HarnessFactory): void {
  describe(`RaftStorage contract: ${name}`, () => {
    const run = (fn: (h: Harness) => Promise<void>) => () => withHarness(factory, fn);

    test('a freshly formatted node loads its initial state', run(async (h) => {
      await expectState(h, initial);
    }));

    test('persisted entries and hard state load back', run(async (h) => {
      await h.storage.persist({ entries: entries(1, 5, 1), hardState: hardState(1, 2, 3) });
      await expectState(h, { ...initial, hardState: hardState(1, 2, 3), entries: entries(1, 5, 1) });
    }));

    test('entries at or after the first new index replace a conflicting suffix', run(async (h) => {
      await h.storage.persist({ entries: entries(1, 5, 1) });
      await h.storage.persist({ entries: entries(3, 4, 2) });
      await expectState(h, { ...initial, entries: [...entries(1, 2, 1), ...entries(3, 4, 2)] });
      await h.storage.persist({ entries: entries(5, 6, 2) });
      await expectState(h, { ...initial, entries: [...entries(1, 2, 1), ...entries(3, 6, 2)] });
    }));

    test('entries that do not follow the log are refused and change nothing', run(async (h) => {
      await h.storage.persist({ entries: entries(1, 3, 1) });
      await assert.rejects(h.storage.persist({ entries: entries(5, 6, 1), hardState: hardState(9, 1, 1) }), /must follow the log/);
      await h.storage.compact(snapshot(2, 1));
      await assert.rejects(h.storage.persist({ entries: entries(2, 3, 2) }), /must follow the log/);
      await expectState(h, { hardState: initial.hardState, snapshot: snapshot(2, 1), entries: entries(3, 3, 1) });
    }));

    test('an installed snapshot replaces the whole log', run(async (h) => {
      await h.storage.persist({ entries: entries(1, 10, 1) });
      const snap = snapshot(5, 1, Uint8Array.of(7, 7, 7), [1, 2], [3]);
      await h.storage.persist({ snapshot: snap, entries: [], hardState: hardState(2, 1, 5) });
      await expectState(h, { hardState: hardState(2, 1, 5), snapshot: snap, entries: [] });
      const later = snapshot(20, 2, Uint8Array.of(8));
      await h.storage.persist({ snapshot: later, entries: entries(21, 22, 3) });
      await expectState(h, { hardState: hardState(2, 1, 5), snapshot: later, entries: entries(21, 22, 3) });
    }));

    test('compaction drops entries up to the snapshot and keeps later ones', run(async (h) => {
      await h.storage.persist({ entries: entries(1, 10, 1), hardState: hardState(1, 1, 8) });
      const snap = snapshot(6, 1, Uint8Array.of(1, 2, 3));
      await h.storage.compact(snap);
      await expectState(h, { hardState: hardState(1, 1, 8), snapshot: snap, entries: entries(7, 10, 1) });
      await h.storage.compact(snapshot(4, 1, Uint8Array.of(9)));
      await expectState(h, { hardState: hardState(1, 1, 8), snapshot: snap, entries: entries(7, 10, 1) });
      const beyond = snapshot(15, 2);
      await h.storage.compact(beyond);
      await h.storage.persist({ entries: entries(16, 16, 2) });
      await expectState(h, { hardState: hardState(1, 1, 8), snapshot: beyond, entries: entries(16, 16, 2) });
    }));

    test('hard state updates on its own and survives entry-only batches', run(async (h) => {
      await h.storage.persist({ entries: [], hardState: hardState(3, 2, 0) });
      await h.storage.persist({ entries: entries(1, 2, 3) });
      await expectState(h, { ...initial, hardState: hardState(3, 2, 0), entries: entries(1, 2, 3) });
      await h.storage.persist({ entries: [], hardState: hardState(4, 0, 2) });
      await expectState(h, { ...initial, hardState: hardState(4, 0, 2), entries: entries(1, 2, 3) });
    }));

    test('a large snapshot loads back intact, and a smaller one replaces it', run(async (h) => {
      const big = snapshot(100, 4, pseudoRandomBytes(5 * 1024 * 1024 + 123, 42));
      await h.storage.persist({ snapshot: big, entries: entries(101, 102, 4) });
      await expectState(h, { ...initial, snapshot: big, entries: entries(101, 102, 4) });
      const small = snapshot(101, 4, pseudoRandomBytes(1000, 7));
      await h.storage.compact(small);
      await expectState(h, { ...initial, snapshot: small, entries: entries(102, 102, 4) });
    }));
  });
}

contractSuite('MemoryRaftStorage', memoryHarness);
contractSuite('LevelRaftStorage', levelHarness());
contractSuite('LevelRaftStorage with 1 KiB snapshot chunks', levelHarness({ ...quietOptions, snapshotChunkBytes: 1024 }));

// ---------------------------------------------------------------------------------------------

/** A formatted dir holding entries 1..20 and a 5000-byte snapshot at 0 in 1 KiB chunks, closed. */
async function withPopulatedDir(fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const options = { ...quietOptions, snapshotChunkBytes: 1024 };
    await LevelRaftStorage.format(dir, { ...initial, snapshot: { meta: initial.snapshot.meta, data: pseudoRandomBytes(5000, 3) } }, options);
    const storage = await LevelRaftStorage.open(dir, options);
    await storage.persist({ entries: entries(1, 20, 1), hardState: hardState(1, 1, 20) });
    await storage.close();
    await fn(dir);
  });
}

/** Opens the dir and expects load() to report damage at exactly `location`. */
async function expectCorrupt(dir: string, location: string, detail: RegExp): Promise<void> {
  const storage = await LevelRaftStorage.open(dir, quietOptions);
  try {
    await assert.rejects(storage.load(), (err: unknown) => {
      assert.ok(err instanceof CorruptStorageError, `expected CorruptStorageError, got ${String(err)}`);
      assert.equal(err.location, location);
      assert.match(err.message, new RegExp(location));
      assert.match(err.detail, detail);
      return true;
    });
  } finally {
    await storage.close();
  }
}

describe('LevelRaftStorage', () => {
  test('data survives close and reopen through a new handle', async () => {
    await withPopulatedDir(async (dir) => {
      const storage = await LevelRaftStorage.open(dir, quietOptions);
      const state = await storage.load();
      await storage.close();
      assert.deepStrictEqual(state.entries, entries(1, 20, 1));
      assert.deepStrictEqual(state.hardState, hardState(1, 1, 20));
      assert.deepStrictEqual(state.snapshot.data, pseudoRandomBytes(5000, 3));
      assert.equal(storage.lastIndex(), 20);
      assert.equal(storage.firstIndex(), 1);
    });
  });

  test('an unformatted directory is refused with a clear message and not created', async () => {
    await withTempDir(async (dir) => {
      const missing = join(dir, 'never-made');
      await assert.rejects(LevelRaftStorage.open(missing, quietOptions), (err: unknown) => err instanceof StorageNotFormattedError && /is not formatted/.test(err.message));
      await assert.rejects(access(missing), { code: 'ENOENT' });
      await assert.rejects(LevelRaftStorage.open(dir, quietOptions), StorageNotFormattedError);
    });
  });

  test('a LevelDB without the format marker is not a formatted storage', async () => {
    await withTempDir(async (dir) => {
      await withRawDb(dir, async (db) => db.put(RAW_HARD_STATE_KEY, Uint8Array.of(1)));
      await assert.rejects(LevelRaftStorage.open(dir, quietOptions), /is not formatted/);
    });
  });

  test('formatting twice is refused and keeps the existing state', async () => {
    await withPopulatedDir(async (dir) => {
      await assert.rejects(LevelRaftStorage.format(dir, initialState([nodeId(9)]), quietOptions), StorageAlreadyFormattedError);
      const storage = await LevelRaftStorage.open(dir, quietOptions);
      const state = await storage.load();
      await storage.close();
      assert.deepStrictEqual(state.snapshot.meta.conf, initial.snapshot.meta.conf);
      assert.equal(state.entries.length, 20);
    });
  });

  test('a damaged entry is reported by index', async () => {
    await withPopulatedDir(async (dir) => {
      await withRawDb(dir, (db) => flipBit(db, rawEntryKey(17), 18));
      await expectCorrupt(dir, 'entry index 17', /checksum mismatch/);
    });
  });

  test('an entry filed under the wrong key is reported by index', async () => {
    await withPopulatedDir(async (dir) => {
      await withRawDb(dir, async (db) => db.put(rawEntryKey(17), (await db.get(rawEntryKey(16)))!));
      await expectCorrupt(dir, 'entry index 17', /says index 16/);
    });
  });

  test('a missing entry in the middle of the log is reported as a gap', async () => {
    await withPopulatedDir(async (dir) => {
      await withRawDb(dir, (db) => db.del(rawEntryKey(12)));
      await expectCorrupt(dir, 'entry index 12', /missing: the log jumps from 11 to 13/);
    });
  });

  test('damaged hard state and snapshot chunks are reported', async () => {
    await withPopulatedDir(async (dir) => {
      await withRawDb(dir, (db) => flipBit(db, rawChunkKey(3), 40));
      await expectCorrupt(dir, 'snapshot chunk 3', /checksum mismatch/);
      await withRawDb(dir, (db) => db.del(rawChunkKey(3)));
      await expectCorrupt(dir, 'snapshot chunk 3', /missing/);
      await withRawDb(dir, (db) => flipBit(db, RAW_HARD_STATE_KEY, 2));
      await expectCorrupt(dir, 'hard state', /checksum mismatch/);
    });
  });

  test('each persist is one synced LevelDB batch', async () => {
    const h = await levelHarness()(initial);
    const batch = mock.method(ClassicLevel.prototype, 'batch');
    try {
      await h.storage.persist({ entries: entries(1, 10, 1) });
      await h.storage.persist({ snapshot: snapshot(4, 1, pseudoRandomBytes(3 * 1024 * 1024, 5)), entries: entries(5, 8, 2), hardState: hardState(2, 1, 4) });
      assert.equal(batch.mock.callCount(), 2);
      for (const call of batch.mock.calls) assert.deepStrictEqual((call.arguments as readonly unknown[])[1], { sync: true });
    } finally {
      batch.mock.restore();
      await h.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('LevelRaftStorage against the in-memory model', () => {
  const seed = Number(process.env.STORAGE_MODEL_SEED ?? 20240611);
  const steps = 200;

  test(`${steps} random batches load identically (seed ${seed})`, async () => {
    const rng = new SeededRandom(seed);
    const model = new MemoryRaftStorage(initial);
    const h = await levelHarness({ ...quietOptions, snapshotChunkBytes: 64 })(initial);
    try {
      for (let i = 0; i < steps; i++) {
        const step = randomStep(rng, model);
        await applyStep(model, step);
        await applyStep(h.storage, step);
        const replay = `replay with STORAGE_MODEL_SEED=${seed}; diverged at step ${i} (${step.kind})`;
        assert.deepStrictEqual(await h.storage.load(), model.loadSync(), replay);
        if (i % 25 === 24) await h.reopen();
      }
      await h.reopen();
      assert.deepStrictEqual(await h.storage.load(), model.loadSync(), `replay with STORAGE_MODEL_SEED=${seed}; diverged after reopen`);
    } finally {
      await h.close();
    }
  });
});
