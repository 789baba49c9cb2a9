// LevelDB-backed Raft storage (classic-level): the durable twin of MemoryRaftStorage.
//
// Key layout (every key sorts by its bytes, so each record kind is one contiguous key range):
//   0x00                          format marker  "FLRS" | version u8
//   0x01                          hard state     term u64 | vote u32 | commit u64
//   0x02                          snapshot meta  index u64 | term u64 | dataBytes u64 | chunks u32 |
//                                                voters u32 + u32* | learners u32 + u32*
//   0x03 | chunk u32 BE           snapshot chunk snapshotIndex u64 | chunk u32 | payload
//   0x04 | index u64 BE           log entry      index u64 | term u64 | type u8 | data
// Every value ends with a big-endian CRC-32 of the bytes before it. Entries and chunks repeat the
// number in their key, so a value filed under the wrong key is caught as surely as a flipped bit.
//
// Every change is ONE LevelDB batch written with `sync: true`: a crash leaves either the old state
// or the new one, never a log with a hole or a snapshot without its chunks. In memory we keep only
// where the log starts and ends (and how many chunks the snapshot has), which is what a write
// needs to know which keys to delete; `load()` reads and verifies everything else from disk.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { ClassicLevel } from 'classic-level';
import type { BatchOperation } from 'classic-level';
import { type Logger, logger } from '../util/log.js';
import type { ConfState, Entry, HardState, LogIndex, NodeId, PersistedState, Snapshot, SnapshotMeta } from './core/types.js';
import { EntryType, SNAPSHOT_BYTES_MAX, logIndex, nodeId, term } from './core/types.js';
import { CorruptStorageError, type PersistBatch, type RaftStorage } from './storage.js';

/** Snapshot data is split into values of at most this many bytes, all written in the same batch. */
export const SNAPSHOT_CHUNK_BYTES_DEFAULT = 1024 * 1024;
/** The largest snapshot we store; beyond this a single load would hold too much in memory. */
/** Members of one configuration, at most (guards the decoder against absurd counts). */
const CONF_MEMBERS_MAX = 1024;
const FORMAT_VERSION = 1;
const FORMAT_MAGIC = [0x46, 0x4c, 0x52, 0x53]; // "FLRS"

const KEY_FORMAT = Uint8Array.of(0x00);
const KEY_HARD_STATE = Uint8Array.of(0x01);
const KEY_SNAPSHOT_META = Uint8Array.of(0x02);
const PREFIX_CHUNK = 0x03;
const PREFIX_ENTRY = 0x04;
const CRC_BYTES = 4;
const ENTRY_HEADER_BYTES = 17;
const CHUNK_HEADER_BYTES = 12;
const HARD_STATE_BYTES = 20 + CRC_BYTES;

type Db = ClassicLevel<Uint8Array, Uint8Array>;
type Op = BatchOperation<Db, Uint8Array, Uint8Array>;

/** Thrown by `open`/`load` on a directory that `LevelRaftStorage.format` never initialised. */
export class StorageNotFormattedError extends Error {
  readonly code = 'STORAGE_NOT_FORMATTED';
  constructor(readonly dir: string, detail: string) {
    super(`raft storage directory ${dir} is not formatted (${detail}); format it first (flotilla format)`);
  }
}

/** Thrown by `format` on a directory that already holds a formatted Raft storage. */
export class StorageAlreadyFormattedError extends Error {
  readonly code = 'STORAGE_ALREADY_FORMATTED';
  constructor(readonly dir: string) {
    super(`raft storage directory ${dir} is already formatted; refusing to overwrite it`);
  }
}

export interface LevelRaftStorageOptions {
  readonly log?: Logger;
  /** Size of the values snapshot data is split into; tests make it small to get many chunks. */
  readonly snapshotChunkBytes?: number;
}

/** Where the stored state ends: entries (snapshotIndex, lastIndex] are on disk. */
interface Tip {
  readonly snapshotIndex: number;
  readonly lastIndex: number;
  readonly snapshotChunks: number;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 and fixed-width integers.

// zlib.crc32 is native (Node 20.15+; package.json requires 20.19).
const crc32 = (bytes: Uint8Array): number => zlib.crc32(bytes);

function setU64(view: DataView, offset: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a storable u64: ${n}`);
  view.setUint32(offset, Math.floor(n / 0x1_0000_0000));
  view.setUint32(offset + 4, n >>> 0);
}

function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset) * 0x1_0000_0000 + view.getUint32(offset + 4);
}

function setU32(view: DataView, offset: number, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a storable u32: ${n}`);
  view.setUint32(offset, n);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes the CRC of everything before the last 4 bytes into those 4 bytes. */
function seal(value: Uint8Array): Uint8Array {
  const body = value.subarray(0, value.length - CRC_BYTES);
  viewOf(value).setUint32(body.length, crc32(body));
  return value;
}

/** Verifies a sealed value and returns a view of its body (no copy). */
function unseal(value: Uint8Array, location: string): DataView {
  if (value.length < CRC_BYTES) throw new CorruptStorageError(location, `value of ${value.length} bytes is too short`);
  const bodyBytes = value.length - CRC_BYTES;
  const stored = viewOf(value).getUint32(bodyBytes);
  const computed = crc32(value.subarray(0, bodyBytes));
  if (stored !== computed) throw new CorruptStorageError(location, `checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
  return new DataView(value.buffer, value.byteOffset, bodyBytes);
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

// ---------------------------------------------------------------------------------------------
// Keys.

function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = PREFIX_ENTRY;
  setU64(viewOf(key), 1, index);
  return key;
}

function chunkKey(chunk: number): Uint8Array {
  const key = new Uint8Array(5);
  key[0] = PREFIX_CHUNK;
  setU32(viewOf(key), 1, chunk);
  return key;
}

/** The key range holding every key that starts with `prefix`. */
const rangeOf = (prefix: number): { gte: Uint8Array; lt: Uint8Array } => ({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) });

function keyNumber(key: Uint8Array, prefix: number, what: string): number {
  const view = viewOf(key);
  if (prefix === PREFIX_ENTRY && key.length === 9) return getU64(view, 1);
  if (prefix === PREFIX_CHUNK && key.length === 5) return view.getUint32(1);
  throw new CorruptStorageError(what, `malformed key of ${key.length} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Values.

function encodeFormat(): Uint8Array {
  return seal(Uint8Array.of(...FORMAT_MAGIC, FORMAT_VERSION, 0, 0, 0, 0));
}

function checkFormat(value: Uint8Array, dir: string): void {
  const body = unseal(value, 'format marker');
  const magicOk = body.byteLength === 5 && FORMAT_MAGIC.every((b, i) => body.getUint8(i) === b);
  if (!magicOk) throw new CorruptStorageError('format marker', 'not a Flotilla raft storage marker');
  const version = body.getUint8(4);
  if (version !== FORMAT_VERSION) throw new Error(`raft storage in ${dir} has format version ${version}; this build reads version ${FORMAT_VERSION}`);
}

function encodeEntry(entry: Entry): Uint8Array {
  const value = new Uint8Array(ENTRY_HEADER_BYTES + entry.data.length + CRC_BYTES);
  const view = viewOf(value);
  setU64(view, 0, entry.index);
  setU64(view, 8, entry.term);
  view.setUint8(16, entry.type);
  value.set(entry.data, ENTRY_HEADER_BYTES);
  return seal(value);
}

function decodeEntry(value: Uint8Array, keyIndex: number): Entry {
  const location = `entry index ${keyIndex}`;
  const body = unseal(value, location);
  if (body.byteLength < ENTRY_HEADER_BYTES) throw new CorruptStorageError(location, `entry of ${body.byteLength} bytes is too short`);
  const index = getU64(body, 0);
  if (index !== keyIndex) throw new CorruptStorageError(location, `the stored entry says index ${index}`);
  const type = body.getUint8(16);
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new CorruptStorageError(location, `unknown entry type ${type}`);
  // A plain Uint8Array view over the value: no copy, and not a Buffer (whose prototype differs).
  const data = new Uint8Array(body.buffer, body.byteOffset + ENTRY_HEADER_BYTES, body.byteLength - ENTRY_HEADER_BYTES);
  return { index: logIndex(index), term: term(getU64(body, 8)), type, data };
}

function encodeHardState(hs: HardState): Uint8Array {
  const value = new Uint8Array(HARD_STATE_BYTES);
  const view = viewOf(value);
  setU64(view, 0, hs.term);
  setU32(view, 8, hs.vote);
  setU64(view, 12, hs.commit);
  return seal(value);
}

function decodeHardState(value: Uint8Array): HardState {
  const body = unseal(value, 'hard state');
  if (body.byteLength !== HARD_STATE_BYTES - CRC_BYTES) throw new CorruptStorageError('hard state', `value of ${value.length} bytes, expected ${HARD_STATE_BYTES}`);
  return { term: term(getU64(body, 0)), vote: nodeId(body.getUint32(8)), commit: logIndex(getU64(body, 12)) };
}

interface StoredSnapshotMeta {
  readonly meta: SnapshotMeta;
  readonly dataBytes: number;
  readonly chunks: number;
}

function encodeSnapshotMeta(meta: SnapshotMeta, dataBytes: number, chunks: number): Uint8Array {
  const { voters, learners } = meta.conf;
  const value = new Uint8Array(28 + 4 * (2 + voters.length + learners.length) + CRC_BYTES);
  const view = viewOf(value);
  setU64(view, 0, meta.index);
  setU64(view, 8, meta.term);
  setU64(view, 16, dataBytes);
  setU32(view, 24, chunks);
  let offset = 28;
  for (const ids of [voters, learners]) {
    setU32(view, offset, ids.length);
    ids.forEach((id, i) => setU32(view, offset + 4 + 4 * i, id));
    offset += 4 + 4 * ids.length;
  }
  return seal(value);
}

function decodeSnapshotMeta(value: Uint8Array): StoredSnapshotMeta {
  const location = 'snapshot meta';
  const body = unseal(value, location);
  const readIds = (offset: number): NodeId[] => {
    if (offset + 4 > body.byteLength) throw new CorruptStorageError(location, 'truncated member list');
    const count = body.getUint32(offset);
    if (count > CONF_MEMBERS_MAX || offset + 4 + 4 * count > body.byteLength) throw new CorruptStorageError(location, `bad member count ${count}`);
    return Array.from({ length: count }, (_, i) => nodeId(body.getUint32(offset + 4 + 4 * i)));
  };
  if (body.byteLength < 36) throw new CorruptStorageError(location, `value of ${value.length} bytes is too short`);
  const voters = readIds(28);
  const learners = readIds(32 + 4 * voters.length);
  if (body.byteLength !== 36 + 4 * (voters.length + learners.length)) throw new CorruptStorageError(location, 'trailing bytes');
  const conf: ConfState = { voters, learners };
  const meta: SnapshotMeta = { index: logIndex(getU64(body, 0)), term: term(getU64(body, 8)), conf };
  const dataBytes = getU64(body, 16);
  if (dataBytes > SNAPSHOT_BYTES_MAX) throw new CorruptStorageError(location, `declares ${dataBytes} bytes of data, more than the ${SNAPSHOT_BYTES_MAX} allowed`);
  return { meta, dataBytes, chunks: body.getUint32(24) };
}

function encodeChunk(snapshotIndex: number, chunk: number, payload: Uint8Array): Uint8Array {
  const value = new Uint8Array(CHUNK_HEADER_BYTES + payload.length + CRC_BYTES);
  const view = viewOf(value);
  setU64(view, 0, snapshotIndex);
  setU32(view, 8, chunk);
  value.set(payload, CHUNK_HEADER_BYTES);
  return seal(value);
}

/** Verifies one chunk value and returns a view of its payload. */
function decodeChunk(value: Uint8Array, keyChunk: number, snapshotIndex: number): Uint8Array {
  const location = `snapshot chunk ${keyChunk}`;
  const body = unseal(value, location);
  if (body.byteLength < CHUNK_HEADER_BYTES) throw new CorruptStorageError(location, `chunk of ${body.byteLength} bytes is too short`);
  const storedIndex = getU64(body, 0);
  const storedChunk = body.getUint32(8);
  if (storedChunk !== keyChunk) throw new CorruptStorageError(location, `the stored chunk says it is chunk ${storedChunk}`);
  if (storedIndex !== snapshotIndex) throw new CorruptStorageError(location, `belongs to the snapshot at index ${storedIndex}, not ${snapshotIndex}`);
  return new Uint8Array(body.buffer, body.byteOffset + CHUNK_HEADER_BYTES, body.byteLength - CHUNK_HEADER_BYTES);
}

// ---------------------------------------------------------------------------------------------
// Reading.

async function readSnapshotMeta(db: Db): Promise<StoredSnapshotMeta> {
  const value = await db.get(KEY_SNAPSHOT_META);
  if (value === undefined) throw new CorruptStorageError('snapshot meta', 'missing');
  return decodeSnapshotMeta(value);
}

async function readHardState(db: Db): Promise<HardState> {
  const value = await db.get(KEY_HARD_STATE);
  if (value === undefined) throw new CorruptStorageError('hard state', 'missing');
  return decodeHardState(value);
}

/** Reassembles the snapshot data, checking that chunks 0..chunks-1 are all there and no more. */
async function readSnapshotData(db: Db, stored: StoredSnapshotMeta): Promise<Uint8Array> {
  const data = new Uint8Array(stored.dataBytes);
  let next = 0;
  let offset = 0;
  for await (const [key, value] of db.iterator(rangeOf(PREFIX_CHUNK))) {
    const chunk = keyNumber(key, PREFIX_CHUNK, 'snapshot chunk key');
    if (chunk >= stored.chunks) throw new CorruptStorageError(`snapshot chunk ${chunk}`, `beyond the ${stored.chunks} chunks the snapshot meta declares`);
    if (chunk !== next) throw new CorruptStorageError(`snapshot chunk ${next}`, 'missing');
    const payload = decodeChunk(value, chunk, stored.meta.index);
    if (offset + payload.length > data.length) throw new CorruptStorageError(`snapshot chunk ${chunk}`, `overflows the ${data.length} bytes the snapshot meta declares`);
    data.set(payload, offset);
    offset += payload.length;
    next++;
  }
  if (next < stored.chunks) throw new CorruptStorageError(`snapshot chunk ${next}`, 'missing');
  if (offset !== data.length) throw new CorruptStorageError('snapshot meta', `declares ${data.length} bytes but the chunks hold ${offset}`);
  return data;
}

/** Reads the log, which must continue the snapshot without a gap. */
async function readEntries(db: Db, snapshotIndex: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  let next = snapshotIndex + 1;
  for await (const [key, value] of db.iterator(rangeOf(PREFIX_ENTRY))) {
    const index = keyNumber(key, PREFIX_ENTRY, 'entry key');
    if (index < next) throw new CorruptStorageError(`entry index ${index}`, `at or below the snapshot index ${snapshotIndex}`);
    if (index > next) throw new CorruptStorageError(`entry index ${next}`, `missing: the log jumps from ${next - 1} to ${index}`);
    entries.push(decodeEntry(value, index));
    next++;
  }
  return entries;
}

async function lastEntryIndex(db: Db): Promise<number | undefined> {
  const keys = await db.keys({ ...rangeOf(PREFIX_ENTRY), reverse: true, limit: 1 }).all();
  const key = keys[0];
  return key === undefined ? undefined : keyNumber(key, PREFIX_ENTRY, 'entry key');
}

async function readTip(db: Db, dir: string): Promise<Tip> {
  const marker = await db.get(KEY_FORMAT);
  if (marker === undefined) throw new StorageNotFormattedError(dir, 'no format marker');
  checkFormat(marker, dir);
  const stored = await readSnapshotMeta(db);
  const last = await lastEntryIndex(db);
  return { snapshotIndex: stored.meta.index, lastIndex: Math.max(last ?? 0, stored.meta.index), snapshotChunks: stored.chunks };
}

function newDb(dir: string, createIfMissing: boolean): Db {
  return new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

// ---------------------------------------------------------------------------------------------
// Writing.

/** Puts the snapshot meta and chunks, and deletes chunks the previous snapshot had beyond them. */
function pushSnapshot(ops: Op[], snapshot: Snapshot, previousChunks: number, chunkBytes: number): number {
  const { data, meta } = snapshot;
  if (data.length > SNAPSHOT_BYTES_MAX) throw new RangeError(`snapshot of ${data.length} bytes exceeds the ${SNAPSHOT_BYTES_MAX} allowed`);
  const chunks = Math.ceil(data.length / chunkBytes);
  ops.push({ type: 'put', key: KEY_SNAPSHOT_META, value: encodeSnapshotMeta(meta, data.length, chunks) });
  for (let c = 0; c < chunks; c++) {
    ops.push({ type: 'put', key: chunkKey(c), value: encodeChunk(meta.index, c, data.subarray(c * chunkBytes, (c + 1) * chunkBytes)) });
  }
  for (let c = chunks; c < previousChunks; c++) ops.push({ type: 'del', key: chunkKey(c) });
  return chunks;
}

/** Deletes entries [from, to], except those in [keepFrom, keepTo] which are about to be overwritten. */
function pushEntryDeletes(ops: Op[], from: number, to: number, keepFrom: number, keepTo: number): void {
  for (let i = from; i <= to; i++) {
    if (i < keepFrom || i > keepTo) ops.push({ type: 'del', key: entryKey(i) });
  }
}

/** Throws unless `entries` are contiguous and may follow a log of (base, last]. Mirrors MemoryRaftStorage. */
function checkAppend(entries: readonly Entry[], base: number, last: number): void {
  const first = entries[0];
  if (!first) return;
  if (first.index <= base || first.index > last + 1) throw new Error(`persisted entries must follow the log: first ${first.index}, snapshot ${base}, last ${last}`);
  entries.forEach((e, i) => {
    if (e.index !== first.index + i) throw new Error(`persisted entries must be contiguous: entry ${i} has index ${e.index}, expected ${first.index + i}`);
  });
}

// ---------------------------------------------------------------------------------------------

export class LevelRaftStorage implements RaftStorage {
  /** Serialises operations: each one plans its deletes from the tip the previous one left. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly db: Db,
    readonly dir: string,
    private tip: Tip,
    private readonly chunkBytes: number,
    private readonly log: Logger,
  ) {}

  /** Opens a formatted directory; throws `StorageNotFormattedError` if it was never formatted. */
  static async open(dir: string, options: LevelRaftStorageOptions = {}): Promise<LevelRaftStorage> {
    // createIfMissing: false, so a mistyped --data-dir is refused instead of created empty.
    if (!(await exists(join(dir, 'CURRENT')))) throw new StorageNotFormattedError(dir, 'no database');
    const db = newDb(dir, false);
    await db.open();
    try {
      const tip = await readTip(db, dir);
      const log = options.log ?? logger('raft-storage', { dir });
      log.debug({ ...tip }, 'opened raft storage');
      return new LevelRaftStorage(db, dir, tip, chunkBytesOf(options), log);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Writes the state of a freshly formatted node; refuses a directory that is already formatted. */
  static async format(dir: string, initial: PersistedState, options: LevelRaftStorageOptions = {}): Promise<void> {
    const db = newDb(dir, true);
    await db.open();
    try {
      if ((await db.get(KEY_FORMAT)) !== undefined) throw new StorageAlreadyFormattedError(dir);
      const base = initial.snapshot.meta.index;
      checkAppend(initial.entries, base, base);
      const ops: Op[] = [];
      pushSnapshot(ops, initial.snapshot, 0, chunkBytesOf(options));
      for (const e of initial.entries) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
      ops.push({ type: 'put', key: KEY_HARD_STATE, value: encodeHardState(initial.hardState) });
      ops.push({ type: 'put', key: KEY_FORMAT, value: encodeFormat() });
      await db.batch(ops, { sync: true });
      (options.log ?? logger('raft-storage', { dir })).info({ conf: initial.snapshot.meta.conf }, 'formatted raft storage');
    } finally {
      await db.close();
    }
  }

  /** The first index a stored entry may have: one past the snapshot. */
  firstIndex(): LogIndex {
    return logIndex(this.tip.snapshotIndex + 1);
  }

  /** The index of the last stored entry, or the snapshot's index when the log is empty. */
  lastIndex(): LogIndex {
    return logIndex(this.tip.lastIndex);
  }

  load(): Promise<PersistedState> {
    return this.serially(() => this.loadNow());
  }

  persist(batch: PersistBatch): Promise<void> {
    return this.serially(() => this.persistNow(batch));
  }

  compact(snapshot: Snapshot): Promise<void> {
    return this.serially(() => this.compactNow(snapshot));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.db.close();
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`raft storage ${this.dir} is closed`));
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async loadNow(): Promise<PersistedState> {
    const marker = await this.db.get(KEY_FORMAT);
    if (marker === undefined) throw new StorageNotFormattedError(this.dir, 'no format marker');
    checkFormat(marker, this.dir);
    const hardState = await readHardState(this.db);
    const stored = await readSnapshotMeta(this.db);
    const data = await readSnapshotData(this.db, stored);
    const entries = await readEntries(this.db, stored.meta.index);
    const lastIndex = entries.at(-1)?.index ?? stored.meta.index;
    this.tip = { snapshotIndex: stored.meta.index, lastIndex, snapshotChunks: stored.chunks };
    this.log.debug({ ...this.tip, dataBytes: data.length }, 'loaded raft storage');
    return { hardState, snapshot: { meta: stored.meta, data }, entries };
  }

  private async persistNow(batch: PersistBatch): Promise<void> {
    const { snapshot, entries, hardState } = batch;
    const old = this.tip;
    const base = snapshot ? snapshot.meta.index : old.snapshotIndex;
    const last = snapshot ? snapshot.meta.index : old.lastIndex;
    checkAppend(entries, base, last);
    const ops: Op[] = [];
    const first = entries[0]?.index ?? Infinity;
    const newLast = entries.at(-1)?.index ?? -Infinity;
    let chunks = old.snapshotChunks;
    if (snapshot) {
      chunks = pushSnapshot(ops, snapshot, old.snapshotChunks, this.chunkBytes);
      pushEntryDeletes(ops, old.snapshotIndex + 1, old.lastIndex, first, newLast);
    } else if (entries.length > 0) {
      pushEntryDeletes(ops, first, old.lastIndex, first, newLast);
    }
    for (const e of entries) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
    if (hardState) ops.push({ type: 'put', key: KEY_HARD_STATE, value: encodeHardState(hardState) });
    if (ops.length === 0) return;
    await this.db.batch(ops, { sync: batch.sync !== false });
    // Durable first, then in memory: a failed write leaves the tip describing what is on disk.
    this.tip = { snapshotIndex: base, lastIndex: entries.length > 0 ? newLast : last, snapshotChunks: chunks };
  }

  private async compactNow(snapshot: Snapshot): Promise<void> {
    const old = this.tip;
    const index = snapshot.meta.index;
    if (index <= old.snapshotIndex) return;
    const ops: Op[] = [];
    const chunks = pushSnapshot(ops, snapshot, old.snapshotChunks, this.chunkBytes);
    pushEntryDeletes(ops, old.snapshotIndex + 1, Math.min(old.lastIndex, index), Infinity, -Infinity);
    await this.db.batch(ops, { sync: true });
    this.tip = { snapshotIndex: index, lastIndex: Math.max(old.lastIndex, index), snapshotChunks: chunks };
  }
}

function chunkBytesOf(options: LevelRaftStorageOptions): number {
  const bytes = options.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES_DEFAULT;
  if (!Number.isInteger(bytes) || bytes <= 0) throw new RangeError(`snapshotChunkBytes must be a positive integer, got ${bytes}`);
  return bytes;
}

