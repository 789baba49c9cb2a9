// What both PartitionLog implementations do to a buffer before storing it: check every batch,
// assign or verify offsets, and find where new leader epochs start.
import { COMPRESSION_MASK, checkBatches, lastOffsetOf, rewriteBaseOffset, rewritePartitionLeaderEpoch, type BatchAt, type BatchHeader } from './record-batch.js';
import { decodeRecords } from './records.js';
import { CorruptRecordError, LogError } from './errors.js';
import { offset, type LeaderEpoch, type Offset } from './types.js';
import type { AppendResult, TimestampOffset } from './partition-log.js';

export interface CheckedAppend {
  readonly batches: readonly BatchAt[];
  readonly result: AppendResult;
}

function checkedNonEmpty(buf: Buffer): BatchAt[] {
  const batches = checkBatches(buf);
  if (batches.length === 0) throw new CorruptRecordError(-1, 0, 'no record batch to append');
  return batches;
}

/** Leader append: offsets from `logEndOffset` on, epoch `leaderEpoch`, both written into `buf`. */
export function stampLeaderAppend(buf: Buffer, logEndOffset: Offset, leaderEpoch: LeaderEpoch): CheckedAppend {
  const found = checkedNonEmpty(buf);
  let next = logEndOffset;
  const batches = found.map(({ header, position }) => {
    rewriteBaseOffset(buf, position, next);
    rewritePartitionLeaderEpoch(buf, position, leaderEpoch);
    const stamped: BatchHeader = { ...header, baseOffset: next, partitionLeaderEpoch: leaderEpoch };
    next = offset(next + header.lastOffsetDelta + 1);
    return { header: stamped, position };
  });
  return { batches, result: { baseOffset: logEndOffset, lastOffset: offset(next - 1) } };
}

/** Follower append: the batches must continue the log exactly, as the leader assigned them. */
export function checkFollowerAppend(buf: Buffer, logEndOffset: Offset): CheckedAppend {
  const batches = checkedNonEmpty(buf);
  let expected = logEndOffset;
  for (const { header } of batches) {
    if (header.baseOffset !== expected) {
      throw new LogError('NON_CONTIGUOUS_APPEND', `batch at offset ${header.baseOffset} where the log continues at ${expected}`, header.baseOffset);
    }
    expected = offset(lastOffsetOf(header) + 1);
  }
  return { batches, result: { baseOffset: logEndOffset, lastOffset: offset(expected - 1) } };
}

/** The epochs these batches start, in order, each with its first offset. */
export function epochStarts(batches: readonly BatchAt[]): { epoch: LeaderEpoch; startOffset: Offset }[] {
  const out: { epoch: LeaderEpoch; startOffset: Offset }[] = [];
  for (const { header } of batches) {
    const epoch = header.partitionLeaderEpoch as LeaderEpoch;
    if (out.at(-1)?.epoch !== epoch) out.push({ epoch, startOffset: header.baseOffset });
  }
  return out;
}

/**
 * The first record at or after `timestamp` in one batch whose maxTimestamp reaches it. Compressed
 * batches are not decoded here: their base offset and max timestamp answer, which may be early.
 */
export function timestampOffsetInBatch(batch: Buffer, h: BatchHeader, timestamp: number): TimestampOffset {
  if ((h.attributes & COMPRESSION_MASK) !== 0) return { offset: h.baseOffset, timestamp: h.maxTimestamp };
  const hit = decodeRecords(batch, h).find((r) => r.timestamp >= timestamp);
  if (hit === undefined) return { offset: h.baseOffset, timestamp: h.maxTimestamp };
  return { offset: offset(h.baseOffset + hit.offsetDelta), timestamp: hit.timestamp };
}
