// Producer-state snapshots: the table as of an offset, in a file of the partition directory named by
// that offset like Kafka's `<20-digit offset>.snapshot`. Our own format (Kafka's keeps one batch per
// producer; we keep all cached batches so a reload deduplicates as well as the live state did):
//
//   version: int16 (= 1)
//   crc: uint32                 CRC-32C of every byte after this field
//   offset: int64               the snapshot's offset, as in the file name
//   producerCount: int32
//   producers, least recently appended first:
//     producerId: int64
//     producerEpoch: int16
//     batchCount: int8          1..BATCHES_PER_PRODUCER_MAX
//     batches, oldest first:
//       firstSeq: int32, lastSeq: int32, firstOffset: int64, lastOffset: int64, maxTimestamp: int64
//
// Stores write atomically (a crash leaves the old file or the new one), so a corrupt snapshot means
// a damaged disk or a bug: it is reported by name and ignored, and the state is rebuilt without it.
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../log/checkpoint.js';
import { crc32c } from '../log/crc32c.js';
import { offset, type Offset } from '../log/types.js';
import type { BatchMetadata, ProducerEntry } from './append-rules.js';
import { BATCHES_PER_PRODUCER_MAX, SNAPSHOT_BYTES_MAX } from './limits.js';

const SNAPSHOT_VERSION = 1;
const CRC_AT = 2;
const BODY_AT = 6;
const HEADER_BYTES = BODY_AT + 8 + 4;
const PRODUCER_HEAD_BYTES = 8 + 2 + 1;
const BATCH_BYTES = 4 + 4 + 8 + 8 + 8;
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;

export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotError';
  readonly code = 'CORRUPT_SNAPSHOT';
  readonly retriable = false;
  constructor(
    /** The snapshot's file name (or its name in a memory store). */
    readonly file: string,
    readonly reason: string,
  ) {
    super(`producer snapshot ${file}: ${reason}`);
  }
}

export const snapshotFileName = (at: Offset): string => `${String(at).padStart(20, '0')}.snapshot`;

export function encodeSnapshot(at: Offset, producers: readonly ProducerEntry[]): Buffer {
  const batches = producers.reduce((n, p) => n + p.batches.length, 0);
  const buf = Buffer.alloc(HEADER_BYTES + producers.length * PRODUCER_HEAD_BYTES + batches * BATCH_BYTES);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeBigInt64BE(BigInt(at), BODY_AT);
  buf.writeInt32BE(producers.length, BODY_AT + 8);
  let pos = HEADER_BYTES;
  for (const p of producers) pos = writeProducer(buf, pos, p);
  buf.writeUInt32BE(crc32c(buf, BODY_AT), CRC_AT);
  return buf;
}

function writeProducer(buf: Buffer, pos: number, p: ProducerEntry): number {
  buf.writeBigInt64BE(BigInt(p.producerId), pos);
  buf.writeInt16BE(p.producerEpoch, pos + 8);
  buf.writeInt8(p.batches.length, pos + 10);
  pos += PRODUCER_HEAD_BYTES;
  for (const b of p.batches) {
    buf.writeInt32BE(b.firstSeq, pos);
    buf.writeInt32BE(b.lastSeq, pos + 4);
    buf.writeBigInt64BE(BigInt(b.firstOffset), pos + 8);
    buf.writeBigInt64BE(BigInt(b.lastOffset), pos + 16);
    buf.writeBigInt64BE(BigInt(b.maxTimestamp), pos + 24);
    pos += BATCH_BYTES;
  }
  return pos;
}

/**
 * The producers of the snapshot `bytes` claims to be at offset `at`, least recently appended first.
 * Throws CorruptSnapshotError naming `file` unless the version, CRC, offset and layout all check.
 */
export function decodeSnapshot(bytes: Buffer, at: Offset, file: string): ProducerEntry[] {
  const corrupt = (reason: string): CorruptSnapshotError => new CorruptSnapshotError(file, reason);
  if (bytes.length < HEADER_BYTES) throw corrupt(`${bytes.length} bytes are too few for a header`);
  const version = bytes.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION) throw corrupt(`version ${version}, expected ${SNAPSHOT_VERSION}`);
  const crc = crc32c(bytes, BODY_AT);
  if (crc !== bytes.readUInt32BE(CRC_AT)) throw corrupt(`CRC-32C ${crc.toString(16)} != stored ${bytes.readUInt32BE(CRC_AT).toString(16)}`);
  const stored = safeInt64(bytes, BODY_AT, corrupt);
  if (stored !== at) throw corrupt(`holds offset ${stored} but is named for ${at}`);
  const count = bytes.readInt32BE(BODY_AT + 8);
  const producers: ProducerEntry[] = [];
  let pos = HEADER_BYTES;
  for (let i = 0; i < count; i++) pos = readProducer(bytes, pos, at, producers, corrupt);
  if (count < 0 || pos !== bytes.length) throw corrupt(`${count} producers do not fill its ${bytes.length} bytes`);
  if (new Set(producers.map((p) => p.producerId)).size !== count) throw corrupt('a producer appears twice');
  return producers;
}

type Corrupt = (reason: string) => CorruptSnapshotError;

function readProducer(buf: Buffer, pos: number, at: Offset, out: ProducerEntry[], corrupt: Corrupt): number {
  if (pos + PRODUCER_HEAD_BYTES > buf.length) throw corrupt(`producer ${out.length} runs past the end`);
  const producerId = safeInt64(buf, pos, corrupt);
  const producerEpoch = buf.readInt16BE(pos + 8);
  const count = buf.readInt8(pos + 10);
  pos += PRODUCER_HEAD_BYTES;
  if (producerId < 0 || count < 1 || count > BATCHES_PER_PRODUCER_MAX) throw corrupt(`producer ${producerId} with ${count} batches`);
  if (pos + count * BATCH_BYTES > buf.length) throw corrupt(`the batches of producer ${producerId} run past the end`);
  const batches: BatchMetadata[] = [];
  for (let i = 0; i < count; i++, pos += BATCH_BYTES) batches.push(readBatch(buf, pos, corrupt));
  for (let i = 0; i < count; i++) {
    const b = batches[i]!;
    const prev = batches[i - 1];
    if (b.firstOffset > b.lastOffset || b.lastOffset >= at || (prev !== undefined && prev.lastOffset >= b.firstOffset)) {
      throw corrupt(`producer ${producerId} has a batch at offsets ${b.firstOffset}..${b.lastOffset}`);
    }
  }
  out.push({ producerId, producerEpoch, batches });
  return pos;
}

function readBatch(buf: Buffer, pos: number, corrupt: Corrupt): BatchMetadata {
  return {
    firstSeq: buf.readInt32BE(pos),
    lastSeq: buf.readInt32BE(pos + 4),
    firstOffset: offset(safeInt64(buf, pos + 8, corrupt)),
    lastOffset: offset(safeInt64(buf, pos + 16, corrupt)),
    maxTimestamp: safeInt64(buf, pos + 24, corrupt),
  };
}

function safeInt64(buf: Buffer, pos: number, corrupt: Corrupt): number {
  const v = buf.readBigInt64BE(pos);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw corrupt(`int64 ${v} at byte ${pos} is beyond 2^53`);
  return Number(v);
}

/**
 * Where a partition replica's producer snapshots live: files in its directory (FileSnapshotStore)
 * or memory (MemorySnapshotStore), for simulators (STYLE.md point 7). Bytes in, bytes out: the
 * format and its checks are the same for both.
 */
export interface ProducerSnapshotStore {
  /** The offsets of the stored snapshots, ascending. */
  list(): Promise<Offset[]>;
  /** The bytes of the snapshot at `at`; a CorruptSnapshotError if it cannot be read whole. */
  read(at: Offset): Promise<Buffer>;
  /** Stores atomically, replacing any snapshot at `at`: durable when the promise resolves. */
  write(at: Offset, bytes: Buffer): Promise<void>;
  /** Removes the snapshot at `at`, if there is one. */
  delete(at: Offset): Promise<void>;
  /** How reports name the snapshot at `at`: its file path. */
  nameOf(at: Offset): string;
}

export class FileSnapshotStore implements ProducerSnapshotStore {
  constructor(readonly dir: string) {}

  async list(): Promise<Offset[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.flatMap((n) => (SNAPSHOT_FILE.test(n) ? [offset(Number(SNAPSHOT_FILE.exec(n)![1]))] : [])).sort((a, b) => a - b);
  }

  async read(at: Offset): Promise<Buffer> {
    const path = this.nameOf(at);
    const { size } = await stat(path);
    if (size > SNAPSHOT_BYTES_MAX) throw new CorruptSnapshotError(path, `${size} bytes exceed the ${SNAPSHOT_BYTES_MAX} a snapshot may hold`);
    return readFile(path);
  }

  write(at: Offset, bytes: Buffer): Promise<void> {
    return writeFileAtomic(this.nameOf(at), bytes);
  }

  /** Durable when it resolves: a snapshot resurrected by a crash could describe a log since cut. */
  async delete(at: Offset): Promise<void> {
    await rm(this.nameOf(at), { force: true });
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  nameOf(at: Offset): string {
    return join(this.dir, snapshotFileName(at));
  }
}

export class MemorySnapshotStore implements ProducerSnapshotStore {
  readonly #snapshots = new Map<Offset, Buffer>();

  async list(): Promise<Offset[]> {
    return [...this.#snapshots.keys()].sort((a, b) => a - b);
  }

  async read(at: Offset): Promise<Buffer> {
    const bytes = this.#snapshots.get(at);
    if (bytes === undefined) throw new CorruptSnapshotError(this.nameOf(at), 'no such snapshot');
    return Buffer.from(bytes);
  }

  async write(at: Offset, bytes: Buffer): Promise<void> {
    this.#snapshots.set(at, Buffer.from(bytes));
  }

  async delete(at: Offset): Promise<void> {
    this.#snapshots.delete(at);
  }

  nameOf(at: Offset): string {
    return `memory:${snapshotFileName(at)}`;
  }
}
