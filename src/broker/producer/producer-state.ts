// The idempotent-producer state of one partition replica, as Kafka's ProducerStateManager keeps it
// in memory: per producer id, its epoch and its last batches (append-rules.ts has the rules), so a
// leader answers a retried batch with the offsets it already has instead of appending it twice.
// Pure: no I/O and no clock of its own (the caller passes `nowMs`); persistence is in
// producer-state-manager.ts.
//
// Ordering contract, for a leader append of one produce request's batches to this partition:
//   1. checkLeaderAppend(headers), before the log assigns offsets;
//   2. on 'append': the log append; then pending.commit(appendResult) if it succeeded, or
//      pending.abandon() if it failed. On 'duplicate' or 'error', nothing is appended.
// Nothing else may touch the table between 1 and 2 (no other check, onAppended, or snapshot): the
// caller serialises appends per partition, as Kafka does under the log's lock. Breaking this
// asserts. Followers and log replay call onAppended(header) for every batch, in offset order.
//
// Recency: producers are ordered by their last append (the order replay reproduces); the least
// recent goes beyond `producersMax`. Expiry measures idleness on batch timestamps, as Kafka does.
import assert from 'node:assert/strict';
import type { AppendResult } from '../log/partition-log.js';
import { lastOffsetOf, type BatchHeader } from '../log/record-batch.js';
import { offset, type Offset } from '../log/types.js';
import {
  checkBatchFields,
  checkSequence,
  findDuplicate,
  hasProducerId,
  lastSequenceOf,
  lastTimestampOf,
  sequenceStateOf,
  withAppended,
  type BatchMetadata,
  type ProducerEntry,
  type ProducerError,
  type ProducerId,
  type SequenceState,
} from './append-rules.js';
import type { ProducerStateConfig } from './limits.js';

/** A checked leader append waiting for the log: exactly one of commit or abandon follows. */
export interface PendingAppend {
  /** The log appended the checked batches, in order, from `appended.baseOffset` on. */
  commit(appended: AppendResult): void;
  /** The log append failed: the table is as before the check. */
  abandon(): void;
}

export type AppendVerdict =
  /** Append the batches, then settle `pending`. */
  | { readonly kind: 'append'; readonly pending: PendingAppend }
  /**
   * A batch repeats one already in the log: append nothing and answer the produce request with
   * `batch.firstOffset` as its base offset. As Kafka, one duplicate batch answers for the request.
   */
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  /** Append nothing; the partition's produce response carries `error.code`. */
  | { readonly kind: 'error'; readonly error: ProducerError };

export class ProducerStateTable {
  /** Least recently appended first: Map keeps insertion order and an append re-inserts. */
  readonly #producers = new Map<ProducerId, ProducerEntry>();
  #endOffset: Offset;
  #pending: readonly BatchHeader[] | undefined;

  /** A table holding `entries` (least recently appended first) as of `endOffset`. */
  constructor(
    readonly config: ProducerStateConfig,
    endOffset: Offset = offset(0),
    entries: readonly ProducerEntry[] = [],
  ) {
    assert.ok(config.producersMax >= 1 && config.producerIdExpirationMs >= 0, 'producer state limits must be positive');
    this.#endOffset = endOffset;
    for (const e of entries) this.#put(e);
  }

  /** The offset after the last batch applied: the state describes the log below it. */
  get endOffset(): Offset {
    return this.#endOffset;
  }

  get size(): number {
    return this.#producers.size;
  }

  get hasPendingAppend(): boolean {
    return this.#pending !== undefined;
  }

  entry(producerId: ProducerId): ProducerEntry | undefined {
    return this.#producers.get(producerId);
  }

  /** Every producer, least recently appended first. */
  entries(): ProducerEntry[] {
    return [...this.#producers.values()];
  }

  /**
   * Checks one produce request's batches for this partition, in order, each against the state
   * the previous ones would leave. Batches without a producer id always pass.
   */
  checkLeaderAppend(headers: readonly BatchHeader[]): AppendVerdict {
    assert.equal(this.#pending, undefined, 'a leader append is already pending on this partition');
    const idempotent = headers.filter(hasProducerId);
    const malformed = idempotent.map(checkBatchFields).find((e) => e !== undefined);
    if (malformed !== undefined) return { kind: 'error', error: malformed };
    const updated = new Map<ProducerId, SequenceState>();
    for (const h of idempotent) {
      const committed = this.#producers.get(h.producerId);
      // Duplicates are sought among appended batches only: a pending one has no offsets to answer.
      const duplicate = findDuplicate(committed, h);
      if (duplicate !== undefined) return { kind: 'duplicate', batch: duplicate };
      const state = updated.get(h.producerId) ?? (committed === undefined ? undefined : sequenceStateOf(committed));
      const error = checkSequence(state, h);
      if (error !== undefined) return { kind: 'error', error };
      updated.set(h.producerId, { producerEpoch: h.producerEpoch, lastSeq: lastSequenceOf(h) });
    }
    this.#pending = headers;
    return { kind: 'append', pending: this.#pendingFor(headers) };
  }

  #pendingFor(headers: readonly BatchHeader[]): PendingAppend {
    const settle = (): void => {
      assert.equal(this.#pending, headers, 'this pending append was already settled');
      this.#pending = undefined;
    };
    return {
      commit: (appended) => {
        settle();
        this.#commit(headers, appended);
      },
      abandon: settle,
    };
  }

  #commit(headers: readonly BatchHeader[], appended: AppendResult): void {
    let next = appended.baseOffset;
    for (const h of headers) {
      this.#apply({ ...h, baseOffset: next });
      next = offset(next + h.lastOffsetDelta + 1);
    }
    assert.equal(next, appended.lastOffset + 1, 'the log appended other batches than were checked');
  }

  /** A batch is in the log at its real offsets (follower append, replay). */
  onAppended(header: BatchHeader): void {
    assert.equal(this.#pending, undefined, 'a batch applied while a leader append is pending');
    this.#apply(header);
  }

  #apply(h: BatchHeader): void {
    assert.ok(h.baseOffset >= this.#endOffset, `batch at ${h.baseOffset} applied below the state's end ${this.#endOffset}`);
    this.#endOffset = offset(lastOffsetOf(h) + 1);
    if (!hasProducerId(h)) return;
    this.#put(withAppended(this.#producers.get(h.producerId), h));
  }

  #put(entry: ProducerEntry): void {
    this.#producers.delete(entry.producerId);
    this.#producers.set(entry.producerId, entry);
    for (const id of this.#producers.keys()) {
      if (this.#producers.size <= this.config.producersMax) break;
      this.#producers.delete(id);
    }
  }

  /** Forgets producers idle for producerIdExpirationMs or longer; returns how many. */
  removeExpired(nowMs: number): number {
    let removed = 0;
    for (const [id, e] of this.#producers) {
      if (nowMs - lastTimestampOf(e) < this.config.producerIdExpirationMs) continue;
      this.#producers.delete(id);
      removed++;
    }
    return removed;
  }
}
