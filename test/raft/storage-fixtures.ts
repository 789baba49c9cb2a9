// Builders, harnesses and a random batch generator shared by the Raft storage tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { SeededRandom } from '../../src/raft/core/random.js';
import type { Entry, HardState, PersistedState, Snapshot } from '../../src/raft/core/types.js';
import { EntryType, logIndex, nodeId, term } from '../../src/raft/core/types.js';
import { LevelRaftStorage, type LevelRaftStorageOptions } from '../../src/raft/level-storage.js';
import { MemoryRaftStorage, type PersistBatch, type RaftStorage } from '../../src/raft/storage.js';
import { silentLogger } from '../../src/util/log.js';

export function entry(index: number, t: number, data: Uint8Array = Uint8Array.of(index & 0xff, t & 0xff)): Entry {
  return { index: logIndex(index), term: term(t), type: EntryType.Normal, data };
}

/** Entries [from, to] all in term `t`. */
export function entries(from: number, to: number, t: number): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, t));
}

export function hardState(t: number, vote: number, commit: number): HardState {
  return { term: term(t), vote: nodeId(vote), commit: logIndex(commit) };
}

export function snapshot(index: number, t: number, data: Uint8Array = new Uint8Array(0), voters = [1, 2, 3], learners: number[] = []): Snapshot {
  return { meta: { index: logIndex(index), term: term(t), conf: { voters: voters.map(nodeId), learners: learners.map(nodeId) } }, data };
}

/** Deterministic pseudo-random bytes (fast enough for megabytes). */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-storage-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One storage under test; `reopen` closes and opens it again (a no-op for the in-memory twin). */
export interface Harness {
  readonly storage: RaftStorage;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export type HarnessFactory = (initial: PersistedState) => Promise<Harness>;

export const memoryHarness: HarnessFactory = async (initial) => {
  const storage = new MemoryRaftStorage(initial);
  return { storage, reopen: async () => undefined, close: async () => undefined };
};

export const quietOptions: LevelRaftStorageOptions = { log: silentLogger };

/** A formatted LevelRaftStorage in a fresh temp dir, removed again on close. */
export function levelHarness(options: LevelRaftStorageOptions = quietOptions): HarnessFactory {
  return async (initial) => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-storage-'));
    await LevelRaftStorage.format(dir, initial, options);
    const h = { storage: await LevelRaftStorage.open(dir, options) as RaftStorage };
    return {
      get storage() {
        return h.storage;
      },
      async reopen() {
        await h.storage.close();
        h.storage = await LevelRaftStorage.open(dir, options);
      },
      async close() {
        await h.storage.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Raw access to the LevelDB files, to damage them the way a disk or a bug would.

export type RawDb = ClassicLevel<Uint8Array, Uint8Array>;

/** The key of entry `index`, per the layout documented in level-storage.ts. */
export function rawEntryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = 0x04;
  const view = new DataView(key.buffer);
  view.setUint32(1, Math.floor(index / 0x1_0000_0000));
  view.setUint32(5, index >>> 0);
  return key;
}

export function rawChunkKey(chunk: number): Uint8Array {
  const key = new Uint8Array(5);
  key[0] = 0x03;
  new DataView(key.buffer).setUint32(1, chunk);
  return key;
}

export const RAW_HARD_STATE_KEY = Uint8Array.of(0x01);

export async function withRawDb(dir: string, fn: (db: RawDb) => Promise<void>): Promise<void> {
  const db: RawDb = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

/** Flips one bit of the stored value at `key` (byte `at`, counted from the start of the value). */
export async function flipBit(db: RawDb, key: Uint8Array, at: number): Promise<void> {
  const value = await db.get(key);
  if (value === undefined) throw new Error('no value to damage');
  const damaged = Uint8Array.from(value);
  damaged[at] = damaged[at]! ^ 0x10;
  await db.put(key, damaged);
}

// ---------------------------------------------------------------------------------------------
// Random operations for the model test.

export type Step = { readonly kind: 'persist'; readonly batch: PersistBatch } | { readonly kind: 'compact'; readonly snapshot: Snapshot };

export async function applyStep(storage: RaftStorage, step: Step): Promise<void> {
  if (step.kind === 'persist') await storage.persist(step.batch);
  else await storage.compact(step.snapshot);
}

function randomBytes(rng: SeededRandom, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => rng.int(256));
}

function randomEntries(rng: SeededRandom, from: number, t: number): Entry[] {
  const count = 1 + rng.int(4);
  const type = (): EntryType => (rng.chance(0.1) ? EntryType.ConfChange : EntryType.Normal);
  return Array.from({ length: count }, (_, i) => ({ index: logIndex(from + i), term: term(t), type: type(), data: randomBytes(rng, rng.int(48)) }));
}

function randomSnapshot(rng: SeededRandom, index: number, t: number): Snapshot {
  const voters = [1, 2, 3, 4, 5].filter(() => rng.chance(0.6));
  const learners = [6, 7].filter(() => rng.chance(0.3));
  return snapshot(index, t, randomBytes(rng, rng.chance(0.2) ? 0 : rng.int(700)), voters, learners);
}

/**
 * A random valid operation on a log currently holding (snapshotIndex, lastIndex]: appends,
 * overwrites of a suffix, compactions (some not newer, some beyond the log), snapshot installs.
 */
export function randomStep(rng: SeededRandom, model: MemoryRaftStorage): Step {
  const state = model.loadSync();
  const base = state.snapshot.meta.index;
  const last = model.lastIndex();
  const t = Math.max(state.hardState.term, model.lastTerm()) + (rng.chance(0.15) ? 1 : 0);
  const hs = (commit: number): HardState | undefined => (rng.chance(0.5) ? hardState(t, 1 + rng.int(5), commit) : undefined);
  const roll = rng.int(100);
  if (roll < 45 || (roll < 65 && last === base)) return { kind: 'persist', batch: { entries: randomEntries(rng, last + 1, t), hardState: hs(last) } };
  if (roll < 65) return { kind: 'persist', batch: { entries: randomEntries(rng, base + 1 + rng.int(last - base), t + 1), hardState: hs(base) } };
  if (roll < 80) return { kind: 'compact', snapshot: randomSnapshot(rng, Math.max(0, base - 2 + rng.int(last - base + 5)), t) };
  if (roll < 90) {
    const index = base + 1 + rng.int(last - base + 6);
    const follow = rng.chance(0.5) ? randomEntries(rng, index + 1, t) : [];
    return { kind: 'persist', batch: { snapshot: randomSnapshot(rng, index, t), entries: follow, hardState: hs(index) } };
  }
  return { kind: 'persist', batch: { entries: [], hardState: hardState(t, rng.int(6), rng.int(last + 1)) } };
}
