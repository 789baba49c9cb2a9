// The leader's answers to ListOffsets and OffsetForLeaderEpoch for one partition.
//
// ListOffsets: -1 (latest) is the HW, the end of what consumers may read (with no transactions the
// last stable offset is the HW too); -2 (earliest) is the log start; -3 (max timestamp, v7+,
// KIP-734) is the first record carrying the partition's largest timestamp; a timestamp finds the
// first record at or after it. Each answer carries the leader epoch of the batch at that offset,
// which clients use to check for truncation after a leader change.
//
// A record found by timestamp (-3 included) at or above the HW is not answered: as Kafka does for a
// consumer's request, the answer is "no offset" (offset -1, timestamp -1, error NONE), never
// uncommitted data and never a fallback to the largest committed timestamp; the client asks again
// once the HW has passed it. (Kafka answers OFFSET_NOT_AVAILABLE instead while a new leader's HW is
// still below the start of its epoch; Flotilla does not yet, for any query.)
import type { KafkaErrorName } from '../../metadata/errors.js';
import type { LeaderEpoch } from '../../metadata/types.js';
import { UNDEFINED_EPOCH } from '../log/leader-epoch-cache.js';
import type { TimestampOffset } from '../log/partition-log.js';
import type { Offset } from '../log/types.js';
import { checkLeaderEpoch } from './consumer-fetch.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
/** The first ListOffsets version that may ask for MAX_TIMESTAMP. */
export const MAX_TIMESTAMP_VERSION_MIN = 7;

export interface OffsetAnswer {
  readonly error: KafkaErrorName;
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

const failed = (error: KafkaErrorName): OffsetAnswer => ({ error, offset: -1, timestamp: -1, leaderEpoch: -1 });

/** The partition a client may ask the leader about, or the error it gets. */
function leaderPartition(rm: ReplicaManager, topic: string, index: number, currentLeaderEpoch: number): Partition | KafkaErrorName {
  const p = rm.leaderOf(topic, index);
  return typeof p === 'string' ? p : (checkLeaderEpoch(p, currentLeaderEpoch) ?? p);
}

export async function listOffset(rm: ReplicaManager, topic: string, index: number, timestamp: number, currentLeaderEpoch: number): Promise<OffsetAnswer> {
  const p = leaderPartition(rm, topic, index, currentLeaderEpoch);
  if (typeof p === 'string') return failed(p);
  if (timestamp === LATEST_TIMESTAMP) return { error: 'NONE', offset: p.highWatermark, timestamp: -1, leaderEpoch: epochAt(p, p.highWatermark - 1) };
  if (timestamp === EARLIEST_TIMESTAMP) return { error: 'NONE', offset: p.log.logStartOffset, timestamp: -1, leaderEpoch: epochAt(p, p.log.logStartOffset) };
  if (timestamp === MAX_TIMESTAMP) return committed(p, await p.log.maxTimestampRecord());
  if (timestamp < 0) return failed('INVALID_REQUEST');
  return committed(p, await p.log.offsetForTimestamp(timestamp));
}

/** A record found by timestamp, if consumers may read it (below the HW); otherwise no offset. */
function committed(p: Partition, found: TimestampOffset | undefined): OffsetAnswer {
  if (found === undefined || found.offset >= p.highWatermark) return { error: 'NONE', offset: -1, timestamp: -1, leaderEpoch: -1 };
  return { error: 'NONE', offset: found.offset, timestamp: found.timestamp, leaderEpoch: epochAt(p, found.offset) };
}

/** The epoch of the batch holding `offset` (the latest epoch at or before it), -1 if none. */
function epochAt(p: Partition, offset: number): number {
  let epoch: number = UNDEFINED_EPOCH;
  for (const e of p.log.epochEntries) if (e.startOffset <= offset) epoch = e.epoch;
  return epoch === UNDEFINED_EPOCH ? p.log.latestEpoch ?? -1 : epoch;
}

/** OffsetForLeaderEpoch: the end offset of `epoch` in the leader's log (KIP-101, KIP-320). */
export function endOffsetForEpoch(rm: ReplicaManager, topic: string, index: number, currentLeaderEpoch: number, epoch: number): { error: KafkaErrorName; leaderEpoch: number; endOffset: number } {
  const p = leaderPartition(rm, topic, index, currentLeaderEpoch);
  if (typeof p === 'string') return { error: p, leaderEpoch: -1, endOffset: -1 };
  const end = p.log.endOffsetForEpoch(epoch as LeaderEpoch);
  return { error: 'NONE', leaderEpoch: end.epoch, endOffset: end.endOffset as Offset };
}
