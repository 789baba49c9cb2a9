// The rules for one producer's batch, as Kafka's ProducerAppendInfo.checkProducerEpoch/checkSequence
// and ProducerStateEntry.findDuplicateBatch (KIP-98, KIP-360), for an idempotent producer that is
// not transactional. Pure functions over immutable entries.
//
// For a batch of epoch e and sequences [first, last] from producer p, whose state is (E, lastSeq):
//   first < 0                     INVALID_RECORD, checked for the whole request first
//   p unknown                     append at any sequence (KIP-360: its state may have expired or
//                                 been evicted; Kafka no longer answers UNKNOWN_PRODUCER_ID here)
//   e == E, [first, last] equals one of the cached batches    duplicate: answer that batch's offsets
//   e <  E                        INVALID_PRODUCER_EPOCH (Kafka since 2.7, KIP-588; the client may
//                                 retry after bumping, unlike the fatal PRODUCER_FENCED)
//   e >  E, first != 0            OUT_OF_ORDER_SEQUENCE_NUMBER: a new epoch restarts at 0
//   e >  E, first == 0            append; the cached batches of the old epoch are dropped
//   e == E, first == lastSeq + 1  append (sequences wrap from 2^31-1 to 0)
//   e == E, otherwise             OUT_OF_ORDER_SEQUENCE_NUMBER (a gap, or a retry older than the
//                                 cached batches)
import type { ApiError, KafkaErrorName } from '../../metadata/errors.js';
import type { BatchHeader } from '../log/record-batch.js';
import { offset, type Offset } from '../log/types.js';
import { BATCHES_PER_PRODUCER_MAX } from './limits.js';

/** A producer id as InitProducerId hands out; a plain number like the header field it comes from. */
export type ProducerId = number;

/** RecordBatch.NO_PRODUCER_ID: the batch's producer is not idempotent and is never checked. */
export const NO_PRODUCER_ID = -1;
/** Kafka's RecordBatch.hasProducerId: any negative id means none. */
export const hasProducerId = (h: BatchHeader): boolean => h.producerId > NO_PRODUCER_ID;
/** Sequences are int32 and wrap from this to 0. */
export const SEQUENCE_MAX = 0x7fff_ffff;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: Offset;
  readonly lastOffset: Offset;
  readonly maxTimestamp: number;
}

export interface ProducerEntry {
  readonly producerId: ProducerId;
  readonly producerEpoch: number;
  /** The producer's last batches in this epoch, oldest first: 1 to BATCHES_PER_PRODUCER_MAX. */
  readonly batches: readonly BatchMetadata[];
}

/** What the sequence rules need of a producer: its epoch and last sequence. */
export interface SequenceState {
  readonly producerEpoch: number;
  readonly lastSeq: number;
}

export type ProducerErrorName = Extract<KafkaErrorName, 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'INVALID_RECORD'>;

export interface ProducerError extends ApiError {
  readonly code: ProducerErrorName;
}

/** The idle time that expiry measures: the max timestamp of the producer's last batch, as Kafka. */
export const lastTimestampOf = (e: ProducerEntry): number => e.batches.at(-1)!.maxTimestamp;

export const sequenceStateOf = (e: ProducerEntry): SequenceState => ({ producerEpoch: e.producerEpoch, lastSeq: e.batches.at(-1)!.lastSeq });

/** `seq + delta` in int32 sequence space, wrapping past SEQUENCE_MAX to 0 (Kafka's incrementSequence). */
export function incrementSequence(seq: number, delta: number): number {
  return seq > SEQUENCE_MAX - delta ? delta - (SEQUENCE_MAX - seq) - 1 : seq + delta;
}

/** The batch's last sequence: one per record offset, as Kafka's DefaultRecordBatch.lastSequence. */
export const lastSequenceOf = (h: BatchHeader): number => incrementSequence(h.baseSequence, h.lastOffsetDelta);

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === incrementSequence(lastSeq, 1);
}

/** The cached batch `h` repeats, if it is a retry of one of the last batches of the current epoch. */
export function findDuplicate(entry: ProducerEntry | undefined, h: BatchHeader): BatchMetadata | undefined {
  if (entry === undefined || entry.producerEpoch !== h.producerEpoch) return undefined;
  const lastSeq = lastSequenceOf(h);
  return entry.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === lastSeq);
}

/**
 * Why a batch of an idempotent producer is malformed, if it is: Kafka's LogValidator refuses a
 * negative sequence before any producer state is consulted, for every batch of the request.
 */
export function checkBatchFields(h: BatchHeader): ProducerError | undefined {
  if (h.baseSequence >= 0) return undefined;
  return { code: 'INVALID_RECORD', message: `invalid sequence ${h.baseSequence} in a batch of producer ${h.producerId}` };
}

/** Why a leader must refuse `h` given the producer's state (undefined: unknown producer), if it must. */
export function checkSequence(state: SequenceState | undefined, h: BatchHeader): ProducerError | undefined {
  const who = `producer ${h.producerId}`;
  if (state === undefined) return undefined;
  if (h.producerEpoch < state.producerEpoch) {
    return { code: 'INVALID_PRODUCER_EPOCH', message: `${who} epoch ${h.producerEpoch} is older than the last seen ${state.producerEpoch}` };
  }
  if (h.producerEpoch > state.producerEpoch) {
    if (h.baseSequence === 0) return undefined;
    return { code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `${who} starts epoch ${h.producerEpoch} at sequence ${h.baseSequence}, not 0` };
  }
  if (inSequence(state.lastSeq, h.baseSequence)) return undefined;
  return { code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `${who} epoch ${h.producerEpoch} sent sequence ${h.baseSequence} after ${state.lastSeq}` };
}

/** `h`, appended at its (real) offsets, as the metadata a producer entry caches. */
export function batchMetadataOf(h: BatchHeader): BatchMetadata {
  return {
    firstSeq: h.baseSequence,
    lastSeq: lastSequenceOf(h),
    firstOffset: h.baseOffset,
    lastOffset: offset(h.baseOffset + h.lastOffsetDelta),
    maxTimestamp: h.maxTimestamp,
  };
}

/**
 * The entry after appending `h` unchecked, as a follower or a replay does (the log is the truth):
 * a different epoch, even an older one, replaces the cached batches, as Kafka's addBatch does.
 */
export function withAppended(entry: ProducerEntry | undefined, h: BatchHeader): ProducerEntry {
  const kept = entry !== undefined && entry.producerEpoch === h.producerEpoch ? entry.batches : [];
  const batches = [...kept, batchMetadataOf(h)].slice(-BATCHES_PER_PRODUCER_MAX);
  return { producerId: h.producerId, producerEpoch: h.producerEpoch, batches };
}
