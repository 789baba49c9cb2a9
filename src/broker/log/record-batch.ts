// The header of a Kafka RecordBatch v2 (magic 2), read and checked in place on a Buffer.
//
//   baseOffset: int64               0
//   batchLength: int32              8   bytes after this field
//   partitionLeaderEpoch: int32    12
//   magic: int8 (= 2)              16
//   crc: uint32                    17   CRC-32C of attributes..end
//   attributes: int16              21
//   lastOffsetDelta: int32         23
//   baseTimestamp: int64           27
//   maxTimestamp: int64            35
//   producerId: int64              43
//   producerEpoch: int16           51
//   baseSequence: int32            53
//   recordCount: int32             57
//   records: [Record]              61
//
// The CRC does not cover baseOffset and partitionLeaderEpoch, so the broker rewrites them (offset
// assignment, leader epoch stamping) without recomputing it and serves the producer's bytes as sent.
import { crc32c } from './crc32c.js';
import { CorruptRecordError } from './errors.js';
import { offset, type Offset } from './types.js';

export const BATCH_HEADER_BYTES = 61;
/** The bytes before batchLength's count starts: baseOffset and batchLength themselves. */
export const BATCH_LOG_OVERHEAD_BYTES = 12;
export const MAGIC_V2 = 2;
const PARTITION_LEADER_EPOCH_AT = 12;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
/** Attribute bits: compression codec (0 = none) and LogAppendTime. */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_LOG_APPEND_BIT = 0x08;

export interface BatchHeader {
  readonly baseOffset: Offset;
  /** Bytes of the whole batch, header included (batchLength + 12). */
  readonly sizeBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** The last offset in a batch. */
export const lastOffsetOf = (h: BatchHeader): Offset => offset(h.baseOffset + h.lastOffsetDelta);

function int64At(buf: Buffer, at: number, pos: number, what: string): number {
  const v = buf.readBigInt64BE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new CorruptRecordError(-1, pos, `${what} ${v} is beyond 2^53`);
  }
  return Number(v);
}

/** Reads the header at `pos` without checking it; the caller made sure 61 bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: offset(int64At(buf, pos, pos, 'baseOffset')),
    sizeBytes: buf.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD_BYTES,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_AT),
    magic: buf.readInt8(pos + MAGIC_AT),
    crc: buf.readUInt32BE(pos + CRC_AT),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_AT),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: int64At(buf, pos + 27, pos, 'baseTimestamp'),
    maxTimestamp: int64At(buf, pos + 35, pos, 'maxTimestamp'),
    producerId: int64At(buf, pos + 43, pos, 'producerId'),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  };
}

/**
 * Reads and checks the header of the batch at `pos`, of which `availableBytes` remain in its buffer
 * or file (a file walker holds only a chunk in `buf`, which must still contain the whole header): a
 * length that fits, magic 2, sane counts. `checkBatchCrc` checks the CRC, which needs the whole batch.
 */
export function checkBatchHeader(buf: Buffer, pos: number, availableBytes = buf.length - pos): BatchHeader {
  if (availableBytes < BATCH_HEADER_BYTES) throw new CorruptRecordError(-1, pos, `${availableBytes} bytes are too few for a batch header`);
  const h = readBatchHeader(buf, pos);
  const corrupt = (reason: string): CorruptRecordError => new CorruptRecordError(h.baseOffset, pos, reason);
  if (h.sizeBytes < BATCH_HEADER_BYTES) throw corrupt(`batch length ${h.sizeBytes - BATCH_LOG_OVERHEAD_BYTES} is below the header's`);
  if (h.sizeBytes > availableBytes) throw corrupt(`batch of ${h.sizeBytes} bytes runs past the ${availableBytes} available`);
  if (h.magic !== MAGIC_V2) throw corrupt(`magic ${h.magic}, expected ${MAGIC_V2}`);
  if (h.lastOffsetDelta < 0 || h.recordCount < 0) throw corrupt(`lastOffsetDelta ${h.lastOffsetDelta}, recordCount ${h.recordCount}`);
  return h;
}

/** Throws unless the stored CRC matches the CRC-32C of attributes..end. */
export function checkBatchCrc(buf: Buffer, pos: number, h: BatchHeader): void {
  const actual = crc32c(buf, pos + ATTRIBUTES_AT, pos + h.sizeBytes);
  if (actual !== h.crc) throw new CorruptRecordError(h.baseOffset, pos, `CRC-32C ${actual.toString(16)} != stored ${h.crc.toString(16)}`);
}

/** Header, length, magic and CRC of the batch at `pos`. */
export function checkBatch(buf: Buffer, pos: number, availableBytes = buf.length - pos): BatchHeader {
  const h = checkBatchHeader(buf, pos, availableBytes);
  checkBatchCrc(buf, pos, h);
  return h;
}

export interface BatchAt {
  readonly header: BatchHeader;
  readonly position: number;
}

/** Every batch in `buf`, each checked whole; throws on the first bad one or on trailing bytes. */
export function checkBatches(buf: Buffer): BatchAt[] {
  const out: BatchAt[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const header = checkBatch(buf, pos);
    out.push({ header, position: pos });
    pos += header.sizeBytes;
  }
  return out;
}

/** Stamps the offset the log assigns; the CRC stays valid since it does not cover this field. */
export function rewriteBaseOffset(buf: Buffer, pos: number, baseOffset: Offset): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos);
}

/** Stamps the leader epoch under which the batch was appended; not covered by the CRC either. */
export function rewritePartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_AT);
}
