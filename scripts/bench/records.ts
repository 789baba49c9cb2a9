// RecordBatch v2 bytes for the bench: a lean builder of batches of same-sized values (no key, no
// headers, no compression), and a lean walker over fetched bytes. src/broker/log/records.ts has the
// general encoder and decoder; they allocate per record and per varint, which at hundreds of
// thousands of records a second would make the bench client, not the broker, the thing measured.
//
// Layout reminders (src/broker/log/record-batch.ts): a batch header is 61 bytes; baseOffset at 0,
// batchLength at 8 (bytes after that field), lastOffsetDelta at 23, baseTimestamp at 27, recordCount
// at 57; the CRC-32C at 17 covers bytes 21..end. A record: length varint, attributes int8,
// timestampDelta varlong, offsetDelta varint, key (varint length, -1 null), value (varint length,
// bytes), header count varint.
import { crc32c } from '../../src/broker/log/crc32c.js';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, MAGIC_V2 } from '../../src/broker/log/record-batch.js';

/** Bytes of a stamp at the start of a latency record's value: a float64 of performance.now(). */
export const STAMP_BYTES = 8;

/** Zigzag varint length in bytes. */
function varintLength(n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  let bytes = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    bytes++;
  }
  return bytes;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    buf[at++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[at++] = z;
  return at;
}

/** The body of one record (after its length varint), given its offset delta and value size. */
function recordBodyBytes(offsetDelta: number, valueBytes: number): number {
  // attributes, timestampDelta 0, offsetDelta, key -1, value length, value, header count 0
  return 1 + 1 + varintLength(offsetDelta) + 1 + varintLength(valueBytes) + valueBytes + 1;
}

/** The size of a batch of `count` records of `valueBytes` each. */
export function batchBytes(count: number, valueBytes: number): number {
  let n = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const body = recordBodyBytes(i, valueBytes);
    n += varintLength(body) + body;
  }
  return n;
}

/** How many records of `valueBytes` fit in a batch of at most `maxBytes` (at least 1). */
export function recordsPerBatch(maxBytes: number, valueBytes: number): number {
  let count = 1;
  while (batchBytes(count * 2, valueBytes) <= maxBytes) count *= 2;
  let step = count / 2;
  while (step >= 1) {
    if (batchBytes(count + step, valueBytes) <= maxBytes) count += step;
    step /= 2;
  }
  return count;
}

/**
 * A batch of `values.length` records. Every record's timestamp is `timestampMs` (the batch's base
 * and max timestamp); producer id and sequence are -1 (not idempotent).
 */
export function buildBatch(values: readonly Buffer[], timestampMs: number): Buffer {
  if (values.length === 0) throw new RangeError('a batch needs at least one record');
  let size = BATCH_HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const body = recordBodyBytes(i, values[i]!.length);
    size += varintLength(body) + body;
  }
  const buf = Buffer.allocUnsafe(size);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(size - BATCH_LOG_OVERHEAD_BYTES, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(MAGIC_V2, 16);
  buf.writeInt16BE(0, 21);
  buf.writeInt32BE(values.length - 1, 23);
  buf.writeBigInt64BE(BigInt(timestampMs), 27);
  buf.writeBigInt64BE(BigInt(timestampMs), 35);
  buf.writeBigInt64BE(-1n, 43);
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(values.length, 57);
  let at = BATCH_HEADER_BYTES;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    at = writeVarint(buf, at, recordBodyBytes(i, value.length));
    buf[at++] = 0; // attributes
    buf[at++] = 0; // timestampDelta 0
    at = writeVarint(buf, at, i);
    buf[at++] = 1; // key length -1 (zigzag 1)
    at = writeVarint(buf, at, value.length);
    value.copy(buf, at);
    at += value.length;
    buf[at++] = 0; // no headers
  }
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}

/** What a walk over fetched bytes found. */
export interface WalkResult {
  readonly batches: number;
  readonly records: number;
  /** The offset after the last whole batch, or -1 if there was none. */
  readonly nextOffset: number;
}

/** Offsets fit in 48 bits here (2^48 records is far beyond any bench run). */
const int48At = (buf: Buffer, at: number): number => buf.readUIntBE(at + 2, 6);

/**
 * Counts the whole batches and records in `bytes` (a Fetch response's records field), calling
 * `eachValue` with every record's value when given. A partial batch at the end is ignored.
 */
export function walkBatches(bytes: Buffer, eachValue?: (value: Buffer) => void): WalkResult {
  let batches = 0;
  let records = 0;
  let nextOffset = -1;
  for (let pos = 0; pos + BATCH_HEADER_BYTES <= bytes.length; ) {
    const size = bytes.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD_BYTES;
    if (pos + size > bytes.length) break;
    const count = bytes.readInt32BE(pos + 57);
    batches++;
    records += count;
    nextOffset = int48At(bytes, pos) + bytes.readInt32BE(pos + 23) + 1;
    if (eachValue !== undefined) walkRecords(bytes, pos + BATCH_HEADER_BYTES, count, eachValue);
    pos += size;
  }
  return { batches, records, nextOffset };
}

/** Reads a zigzag varint; returns [value, next position]. */
function readVarint(buf: Buffer, at: number): [number, number] {
  let z = 0;
  let scale = 1;
  for (;;) {
    const b = buf[at++]!;
    z += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) break;
    scale *= 0x80;
  }
  return [z % 2 === 0 ? z / 2 : -(z + 1) / 2, at];
}

function walkRecords(buf: Buffer, start: number, count: number, eachValue: (value: Buffer) => void): void {
  let at = start;
  for (let i = 0; i < count; i++) {
    const [length, bodyAt] = readVarint(buf, at);
    let p = bodyAt + 1; // attributes
    p = readVarint(buf, p)[1]; // timestampDelta
    p = readVarint(buf, p)[1]; // offsetDelta
    const [keyLength, afterKeyLength] = readVarint(buf, p);
    p = afterKeyLength + Math.max(0, keyLength);
    const [valueLength, valueAt] = readVarint(buf, p);
    if (valueLength >= 0) eachValue(buf.subarray(valueAt, valueAt + valueLength));
    at = bodyAt + length;
  }
}
