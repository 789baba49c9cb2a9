// The records inside an uncompressed RecordBatch v2, and a small encoder of whole batches: tests
// (and later the protocol tests) build producer-shaped bytes with it. The log itself never decodes
// records except to find a timestamp's exact offset inside one batch.
//
//   Record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//           keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
//           headerCount varint, [headerKeyLength varint, headerKey, headerValueLength varint, value]
//
// Varints are zigzag base-128 as in protobuf. They are done with arithmetic, not bit operators,
// because timestamp deltas may exceed 32 bits.
import { crc32c } from './crc32c.js';
import { CorruptRecordError } from './errors.js';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, MAGIC_V2, TIMESTAMP_TYPE_LOG_APPEND_BIT, type BatchHeader } from './record-batch.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface RecordInput {
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly RecordHeader[];
  /** Defaults to the batch's base timestamp. */
  readonly timestamp?: number;
}

export interface BatchInput {
  readonly records: readonly RecordInput[];
  readonly baseOffset?: number;
  readonly partitionLeaderEpoch?: number;
  readonly baseTimestamp?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly attributes?: number;
}

const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

export function varintBytes(n: number): Buffer {
  const out: number[] = [];
  let z = zigzag(n);
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/** The maximum bytes of a zigzag varlong. */
const VARLONG_BYTES_MAX = 10;

/** Reads a zigzag varint at `pos`; returns the value and the position after it. */
export function readVarint(buf: Buffer, pos: number): { value: number; next: number } {
  let z = 0;
  let scale = 1;
  for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
    if (pos + i >= buf.length) break;
    const b = buf[pos + i]!;
    z += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return { value: unzigzag(z), next: pos + i + 1 };
    scale *= 0x80;
  }
  throw new CorruptRecordError(-1, pos, 'varint runs past its bytes');
}

function bytesField(b: Buffer | null | undefined): Buffer[] {
  return b === null || b === undefined ? [varintBytes(-1)] : [varintBytes(b.length), b];
}

function encodeRecord(r: RecordInput, offsetDelta: number, baseTimestamp: number): Buffer {
  const headers = r.headers ?? [];
  const body = Buffer.concat([
    Buffer.of(0),
    varintBytes((r.timestamp ?? baseTimestamp) - baseTimestamp),
    varintBytes(offsetDelta),
    ...bytesField(r.key),
    ...bytesField(r.value),
    varintBytes(headers.length),
    ...headers.flatMap((h) => [...bytesField(Buffer.from(h.key, 'utf8')), ...bytesField(h.value)]),
  ]);
  return Buffer.concat([varintBytes(body.length), body]);
}

/** Encodes an uncompressed RecordBatch v2 with a correct CRC-32C. */
export function encodeBatch(input: BatchInput): Buffer {
  if (input.records.length === 0) throw new RangeError('a batch needs at least one record');
  const baseTimestamp = input.baseTimestamp ?? input.records[0]!.timestamp ?? 0;
  const records = input.records.map((r, i) => encodeRecord(r, i, baseTimestamp));
  const maxTimestamp = Math.max(...input.records.map((r) => r.timestamp ?? baseTimestamp));
  const header = Buffer.alloc(BATCH_HEADER_BYTES);
  const size = BATCH_HEADER_BYTES + records.reduce((n, r) => n + r.length, 0);
  header.writeBigInt64BE(BigInt(input.baseOffset ?? 0), 0);
  header.writeInt32BE(size - BATCH_LOG_OVERHEAD_BYTES, 8);
  header.writeInt32BE(input.partitionLeaderEpoch ?? -1, 12);
  header.writeInt8(MAGIC_V2, 16);
  header.writeInt16BE(input.attributes ?? 0, 21);
  header.writeInt32BE(input.records.length - 1, 23);
  header.writeBigInt64BE(BigInt(baseTimestamp), 27);
  header.writeBigInt64BE(BigInt(maxTimestamp), 35);
  header.writeBigInt64BE(BigInt(input.producerId ?? -1), 43);
  header.writeInt16BE(input.producerEpoch ?? -1, 51);
  header.writeInt32BE(input.baseSequence ?? -1, 53);
  header.writeInt32BE(input.records.length, 57);
  const batch = Buffer.concat([header, ...records]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

export interface DecodedRecord {
  readonly offsetDelta: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: RecordHeader[];
}

function readBytesField(buf: Buffer, pos: number): { value: Buffer | null; next: number } {
  const len = readVarint(buf, pos);
  if (len.value < 0) return { value: null, next: len.next };
  if (len.next + len.value > buf.length) throw new CorruptRecordError(-1, pos, 'record field runs past its batch');
  return { value: buf.subarray(len.next, len.next + len.value), next: len.next + len.value };
}

function decodeRecord(buf: Buffer, pos: number, h: BatchHeader): { record: DecodedRecord; next: number } {
  const len = readVarint(buf, pos);
  let p = len.next + 1; // attributes: unused in v2
  const ts = readVarint(buf, p);
  const od = readVarint(buf, ts.next);
  const key = readBytesField(buf, od.next);
  const value = readBytesField(buf, key.next);
  const count = readVarint(buf, value.next);
  p = count.next;
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count.value; i++) {
    const k = readBytesField(buf, p);
    const v = readBytesField(buf, k.next);
    headers.push({ key: (k.value ?? Buffer.alloc(0)).toString('utf8'), value: v.value });
    p = v.next;
  }
  const logAppendTime = (h.attributes & TIMESTAMP_TYPE_LOG_APPEND_BIT) !== 0;
  const timestamp = logAppendTime ? h.maxTimestamp : h.baseTimestamp + ts.value;
  return { record: { offsetDelta: od.value, timestamp, key: key.value, value: value.value, headers }, next: len.next + len.value };
}

/** The records of the uncompressed batch `batch` (exactly one batch's bytes). */
export function decodeRecords(batch: Buffer, h: BatchHeader): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let pos = BATCH_HEADER_BYTES;
  for (let i = 0; i < h.recordCount; i++) {
    const { record, next } = decodeRecord(batch, pos, h);
    out.push(record);
    pos = next;
  }
  return out;
}
