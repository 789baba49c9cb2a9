// A leader's side of Kafka's Produce, per partition: check, append, and for acks=all wait in the
// purgatory until the high-water mark passes the batch (Kafka's DelayedProduce).
//
// Checks, in Kafka's order: the partition exists and this broker leads it (and is not fenced); the
// batches are well-formed (CORRUPT_MESSAGE), each within max.message.bytes (MESSAGE_TOO_LARGE); for
// acks=all the ISR has at least min.insync.replicas members (NOT_ENOUGH_REPLICAS); an idempotent
// producer's sequence fits (see producer state). The CRC is checked by the log's append.
//
// acks=all completes when the HW passes the last offset while this broker still leads in the epoch
// it appended in. A leader that lost leadership (or learnt of a newer epoch from a follower) answers
// NOT_LEADER_OR_FOLLOWER instead, so it never acknowledges a write the new leader may not have.
import type { KafkaErrorName } from '../../metadata/errors.js';
import { CorruptRecordError, LogError } from '../log/errors.js';
import { BATCH_HEADER_BYTES, type BatchHeader } from '../log/record-batch.js';
import { batchHeadersOf } from '../producer/replay.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export type Acks = 0 | 1 | -1;

export interface ProduceResult {
  readonly error: KafkaErrorName;
  readonly errorMessage?: string;
  /** The first offset of the append (-1 on error). */
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

const failed = (error: KafkaErrorName, errorMessage?: string, logStartOffset = -1): ProduceResult => ({ error, errorMessage, baseOffset: -1, logStartOffset });

/**
 * Produces `records` (RecordBatch v2 bytes from the request; modified in place) to partition
 * `index` of `topic`. `deadlineMs` bounds an acks=all wait (then REQUEST_TIMED_OUT).
 */
export async function produceToPartition(rm: ReplicaManager, topic: string, index: number, records: Buffer | null, acks: Acks, deadlineMs: number): Promise<ProduceResult> {
  const p = rm.leaderOf(topic, index);
  if (typeof p === 'string') return failed(p);
  if (!p.isActiveLeader || p.role.kind !== 'leader') return failed('NOT_LEADER_OR_FOLLOWER');
  const headers = checkedHeaders(records, rm.maxMessageBytes(topic));
  if ('error' in headers) return failed(headers.error, headers.message, p.log.logStartOffset);
  const minIsr = rm.minIsr(topic);
  if (acks === -1 && p.role.state.isr.length < minIsr) {
    return failed('NOT_ENOUGH_REPLICAS', `the ISR has ${p.role.state.isr.length} members, min.insync.replicas is ${minIsr}`, p.log.logStartOffset);
  }
  let appended;
  try {
    appended = await p.appendAsLeader(records!, headers, minIsr);
    if (rm.config.fsyncAlways && acks !== 0) await p.log.flush();
  } catch (error) {
    return appendFailure(error, p);
  }
  if (appended.kind === 'refused') return failed(appended.error.code, appended.error.message, p.log.logStartOffset);
  // A retry of batches already in the log is answered with their offsets, as Kafka does, once they
  // are committed like any other write (a new leader may hold them above its HW).
  const written = appended.kind === 'duplicate' ? { baseOffset: appended.batch.firstOffset, lastOffset: appended.batch.lastOffset, epoch: p.leaderEpoch } : appended;
  const done: ProduceResult = { error: 'NONE', baseOffset: written.baseOffset, logStartOffset: p.log.logStartOffset };
  if (acks !== -1) return done;
  const stillLeading = () => p.isActiveLeader && p.leaderEpoch === written.epoch;
  const settled = () => !stillLeading() || p.highWatermark > written.lastOffset;
  const inTime = await rm.purgatory.waitFor([p], ['hw', 'role'], settled, deadlineMs - Date.now());
  if (!inTime) return failed('REQUEST_TIMED_OUT', `the high-water mark did not reach offset ${written.lastOffset + 1} in time`, p.log.logStartOffset);
  if (!stillLeading()) return failed('NOT_LEADER_OR_FOLLOWER', 'leadership moved before the write was replicated', p.log.logStartOffset);
  return done;
}

/**
 * The batches' headers, walked once (not their CRCs: the append checks those) for shape and for
 * max.message.bytes; the producer state reads the same headers.
 */
function checkedHeaders(records: Buffer | null, maxMessageBytes: number): BatchHeader[] | { error: KafkaErrorName; message: string } {
  if (records === null || records.length < BATCH_HEADER_BYTES) return { error: 'CORRUPT_MESSAGE', message: 'no record batch' };
  let headers;
  try {
    headers = batchHeadersOf(records);
  } catch (error) {
    if (error instanceof CorruptRecordError) return { error: 'CORRUPT_MESSAGE', message: error.message };
    throw error;
  }
  const big = headers.find((h) => h.sizeBytes > maxMessageBytes);
  if (big !== undefined) return { error: 'MESSAGE_TOO_LARGE', message: `a batch of ${big.sizeBytes} bytes exceeds max.message.bytes ${maxMessageBytes}` };
  return headers;
}

function appendFailure(error: unknown, p: Partition): ProduceResult {
  if (error instanceof CorruptRecordError) return failed('CORRUPT_MESSAGE', error.message, p.log.logStartOffset);
  if (error instanceof LogError && error.code === 'RECORD_LIST_TOO_LARGE') return failed('RECORD_LIST_TOO_LARGE', error.message, p.log.logStartOffset);
  if (error instanceof LogError && error.code === 'CLOSED') return failed('NOT_LEADER_OR_FOLLOWER', 'the partition is closing');
  throw error;
}
