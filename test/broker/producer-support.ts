// Helpers of the producer-state tests: batch headers and batch bytes of idempotent producers, and a
// leader append that goes through the table's check/commit the way a replica manager would.
import assert from 'node:assert/strict';
import type { PartitionLog } from '../../src/broker/log/partition-log.js';
import { BATCH_HEADER_BYTES, type BatchHeader } from '../../src/broker/log/record-batch.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { offset } from '../../src/broker/log/types.js';
import type { ProducerEntry } from '../../src/broker/producer/append-rules.js';
import type { AppendVerdict, ProducerStateTable } from '../../src/broker/producer/producer-state.js';
import { batchHeadersOf } from '../../src/broker/producer/replay.js';
import { epoch } from './log-support.js';

export interface BatchSpec {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly records?: number;
  readonly baseOffset?: number;
  readonly maxTimestamp?: number;
}

/** A header as a producer sends it (or, with `baseOffset`, as the log holds it). */
export function header(s: BatchSpec): BatchHeader {
  const records = s.records ?? 1;
  return {
    baseOffset: offset(s.baseOffset ?? 0),
    sizeBytes: BATCH_HEADER_BYTES,
    partitionLeaderEpoch: -1,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: records - 1,
    baseTimestamp: s.maxTimestamp ?? 1_000,
    maxTimestamp: s.maxTimestamp ?? 1_000,
    producerId: s.producerId,
    producerEpoch: s.producerEpoch,
    baseSequence: s.baseSequence,
    recordCount: records,
  };
}

/** The bytes of a batch as a producer sends it; records are one ms apart from `maxTimestamp - n + 1`. */
export function producerBatch(s: BatchSpec): Buffer {
  const count = s.records ?? 1;
  const last = s.maxTimestamp ?? 1_000;
  const records = Array.from({ length: count }, (_, i) => ({ timestamp: last - count + 1 + i, value: Buffer.from(`v${s.baseSequence}-${i}`) }));
  return encodeBatch({ records, producerId: s.producerId, producerEpoch: s.producerEpoch, baseSequence: s.baseSequence });
}

/**
 * A leader append of `buf` (one or more batches) through `table`: check, log append, commit. Returns
 * the verdict, with the log's result when it appended.
 */
export async function leaderAppend(table: ProducerStateTable, log: PartitionLog, buf: Buffer, leaderEpoch = 0): Promise<AppendVerdict> {
  const verdict = table.checkLeaderAppend(batchHeadersOf(buf));
  if (verdict.kind !== 'append') return verdict;
  try {
    verdict.pending.commit(await log.append(buf, epoch(leaderEpoch)));
  } catch (e) {
    verdict.pending.abandon();
    throw e;
  }
  return verdict;
}

/** Entries as plain data for deepEqual, in the table's recency order. */
export const snapshotOf = (entries: readonly ProducerEntry[]): unknown => entries.map((e) => ({ ...e, batches: e.batches.map((b) => ({ ...b })) }));

export function assertSameEntries(actual: readonly ProducerEntry[], expected: readonly ProducerEntry[], what: string): void {
  assert.deepEqual(snapshotOf(actual), snapshotOf(expected), what);
}
