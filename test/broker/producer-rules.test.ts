// The idempotent-producer rules one by one (append-rules.ts, producer-state.ts), against Kafka's
// ProducerAppendInfo and ProducerStateEntry behaviour for an idempotent, non-transactional producer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SEQUENCE_MAX, incrementSequence } from '../../src/broker/producer/append-rules.js';
import { DEFAULT_PRODUCER_STATE_CONFIG, type ProducerStateConfig } from '../../src/broker/producer/limits.js';
import { ProducerStateTable, type AppendVerdict } from '../../src/broker/producer/producer-state.js';
import { offset } from '../../src/broker/log/types.js';
import { header, type BatchSpec } from './producer-support.js';

const PID = 7;

/** A table plus a log end offset, appending as a leader whose log always succeeds. */
class Leader {
  readonly table: ProducerStateTable;
  end = 0;

  constructor(config: ProducerStateConfig = DEFAULT_PRODUCER_STATE_CONFIG) {
    this.table = new ProducerStateTable(config);
  }

  /** Checks the batches as one request; commits if they pass. */
  produce(...specs: BatchSpec[]): AppendVerdict {
    const headers = specs.map(header);
    const verdict = this.table.checkLeaderAppend(headers);
    if (verdict.kind === 'append') {
      const records = headers.reduce((n, h) => n + h.lastOffsetDelta + 1, 0);
      verdict.pending.commit({ baseOffset: offset(this.end), lastOffset: offset(this.end + records - 1) });
      this.end += records;
    }
    return verdict;
  }
}

const spec = (baseSequence: number, records = 1, producerEpoch = 0, producerId = PID): BatchSpec => ({ producerId, producerEpoch, baseSequence, records });

function assertAppended(v: AppendVerdict, what = 'append'): void {
  assert.equal(v.kind, 'append', `${what}: ${JSON.stringify(v)}`);
}

function assertError(v: AppendVerdict, code: string): void {
  assert.equal(v.kind, 'error', JSON.stringify(v));
  if (v.kind === 'error') assert.equal(v.error.code, code, v.error.message);
}

function assertDuplicate(v: AppendVerdict, firstOffset: number, lastOffset: number): void {
  assert.equal(v.kind, 'duplicate', JSON.stringify(v));
  if (v.kind === 'duplicate') assert.deepEqual([v.batch.firstOffset, v.batch.lastOffset], [firstOffset, lastOffset]);
}

describe('a leader append', () => {
  test('the first batch of an unknown producer is appended at any sequence (KIP-360)', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0, 3)));
    assertAppended(l.produce(spec(42, 1, 5, PID + 1)));
    assert.deepEqual(l.table.entry(PID)?.batches, [{ firstSeq: 0, lastSeq: 2, firstOffset: 0, lastOffset: 2, maxTimestamp: 1_000 }]);
    assert.equal(l.table.entry(PID + 1)?.producerEpoch, 5);
  });

  test('the next sequence is appended; the state keeps the real offsets', () => {
    const l = new Leader();
    l.end = 100;
    assertAppended(l.produce(spec(0, 2)));
    assertAppended(l.produce(spec(2, 3)));
    assert.deepEqual(
      l.table.entry(PID)?.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]),
      [
        [0, 1, 100, 101],
        [2, 4, 102, 104],
      ],
    );
    assert.equal(l.table.endOffset, 105);
  });

  test('a retry of each of the last 5 batches is a duplicate answered with its offsets', () => {
    const l = new Leader();
    for (let i = 0; i < 7; i++) assertAppended(l.produce(spec(i * 2, 2)));
    // Batches 2..6 are cached: sequences 4..13 at offsets 4..13.
    for (let i = 2; i < 7; i++) assertDuplicate(l.produce(spec(i * 2, 2)), i * 2, i * 2 + 1);
    assert.equal(l.end, 14, 'duplicates append nothing');
  });

  test('a retry older than the cached batches is out of order', () => {
    const l = new Leader();
    for (let i = 0; i < 6; i++) assertAppended(l.produce(spec(i)));
    assertError(l.produce(spec(0)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    assertDuplicate(l.produce(spec(1)), 1, 1);
  });

  test('a batch overlapping a cached one without matching it is out of order', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0, 4)));
    assertError(l.produce(spec(0, 2)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    assertError(l.produce(spec(2, 2)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  test('a gap in the sequence is out of order', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0, 2)));
    assertError(l.produce(spec(3)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    assertAppended(l.produce(spec(2)));
  });

  test('a new epoch starting at sequence 0 is appended and replaces the cached batches', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0), spec(1)));
    assertAppended(l.produce(spec(0, 1, 1)));
    assert.deepEqual(l.table.entry(PID)?.producerEpoch, 1);
    assert.equal(l.table.entry(PID)?.batches.length, 1);
    assertError(l.produce(spec(1, 1, 0)), 'INVALID_PRODUCER_EPOCH');
    assertAppended(l.produce(spec(1, 1, 1)));
  });

  test('a new epoch starting at a sequence other than 0 is out of order', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0)));
    assertError(l.produce(spec(1, 1, 1)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    assert.equal(l.table.entry(PID)?.producerEpoch, 0);
  });

  test('an older epoch is INVALID_PRODUCER_EPOCH, even for a retry of its own batch', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0, 1, 3)));
    assertError(l.produce(spec(1, 1, 2)), 'INVALID_PRODUCER_EPOCH');
    assertAppended(l.produce(spec(0, 1, 4)));
    assertError(l.produce(spec(0, 1, 3)), 'INVALID_PRODUCER_EPOCH');
  });

  test('sequences wrap from 2^31-1 to 0, within a batch and between batches', () => {
    assert.equal(incrementSequence(SEQUENCE_MAX, 1), 0);
    assert.equal(incrementSequence(SEQUENCE_MAX - 1, 3), 1);
    const l = new Leader();
    assertAppended(l.produce(spec(SEQUENCE_MAX - 1, 2)));
    assertAppended(l.produce(spec(0, 3)));
    assertAppended(l.produce(spec(3)));
    assertDuplicate(l.produce(spec(SEQUENCE_MAX - 1, 2)), 0, 1);
    const w = new Leader();
    assertAppended(w.produce(spec(SEQUENCE_MAX - 1, 4)));
    assert.equal(w.table.entry(PID)?.batches[0]?.lastSeq, 1);
    assertError(w.produce(spec(SEQUENCE_MAX)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    assertAppended(w.produce(spec(2)));
  });

  test('a negative sequence from an idempotent producer is INVALID_RECORD, before any duplicate', () => {
    const l = new Leader();
    assertError(l.produce(spec(-1)), 'INVALID_RECORD');
    assertAppended(l.produce(spec(0)));
    assertError(l.produce(spec(0), spec(-1, 1, 0, PID + 1)), 'INVALID_RECORD');
  });

  test('batches without a producer id always pass and only move the end offset', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(-1, 3, -1, -1), spec(-1, 2, -1, -1)));
    assert.equal(l.table.size, 0);
    assert.equal(l.table.endOffset, 5);
  });
});

describe('several batches in one request', () => {
  test('each is checked against the state the previous ones leave, and all commit with their offsets', () => {
    const l = new Leader();
    l.end = 10;
    assertAppended(l.produce(spec(0, 2), spec(2, 1), spec(0, 1, 0, PID + 1), spec(3, 2)));
    assert.deepEqual(
      l.table.entry(PID)?.batches.map((b) => [b.firstOffset, b.lastOffset]),
      [
        [10, 11],
        [12, 12],
        [14, 15],
      ],
    );
    assert.deepEqual(l.table.entry(PID + 1)?.batches[0]?.firstOffset, 13);
  });

  test('one bad batch refuses the request, and an abandoned append leaves the state as it was', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0)));
    assertError(l.produce(spec(1), spec(1)), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    // The second batch bumps the epoch, so the third one's epoch 0 is already old.
    assertError(l.produce(spec(1), spec(0, 1, 1), spec(2)), 'INVALID_PRODUCER_EPOCH');
    assert.equal(l.table.entry(PID)?.producerEpoch, 0, 'a refused request changes nothing');
    const before = l.table.entries();
    const v = l.table.checkLeaderAppend([header(spec(1)), header(spec(2))]);
    assert.equal(v.kind, 'append');
    if (v.kind === 'append') v.pending.abandon();
    assert.deepEqual(l.table.entries(), before);
    assertAppended(l.produce(spec(1)));
  });

  test('a duplicate anywhere in the request answers for the whole request, as Kafka', () => {
    const l = new Leader();
    assertAppended(l.produce(spec(0)));
    assertDuplicate(l.produce(spec(1), spec(0)), 0, 0);
    assert.equal(l.end, 1);
  });

  test('the table refuses a second check, or a follower batch, while an append is pending', () => {
    const l = new Leader();
    const v = l.table.checkLeaderAppend([header(spec(0))]);
    assert.throws(() => l.table.checkLeaderAppend([header(spec(1))]), /already pending/);
    assert.throws(() => l.table.onAppended(header(spec(0))), /pending/);
    if (v.kind === 'append') {
      v.pending.commit({ baseOffset: offset(0), lastOffset: offset(0) });
      assert.throws(() => v.pending.abandon(), /already settled/);
    }
    assert.equal(l.table.checkLeaderAppend([header(spec(1))]).kind, 'append', 'a settled append frees the table');
  });

  test('a commit whose offsets do not cover the checked batches asserts', () => {
    const t = new ProducerStateTable(DEFAULT_PRODUCER_STATE_CONFIG);
    const v = t.checkLeaderAppend([header(spec(0, 2))]);
    assert.equal(v.kind, 'append');
    if (v.kind === 'append') assert.throws(() => v.pending.commit({ baseOffset: offset(0), lastOffset: offset(0) }), /other batches/);
  });
});

describe('followers and limits', () => {
  test('a follower applies batches unchecked, an older epoch included, as the log says', () => {
    const t = new ProducerStateTable(DEFAULT_PRODUCER_STATE_CONFIG);
    t.onAppended(header({ ...spec(5, 1, 3), baseOffset: 0 }));
    t.onAppended(header({ ...spec(9, 1, 3), baseOffset: 1 }));
    t.onAppended(header({ ...spec(0, 2, 2), baseOffset: 2 }));
    assert.deepEqual(t.entry(PID)?.producerEpoch, 2);
    assert.deepEqual(t.entry(PID)?.batches.map((b) => b.firstOffset), [2]);
    assert.throws(() => t.onAppended(header({ ...spec(2, 1, 2), baseOffset: 3 })), /below the state's end/);
  });

  test('beyond producersMax the least recently appended producer is forgotten', () => {
    const t = new ProducerStateTable({ ...DEFAULT_PRODUCER_STATE_CONFIG, producersMax: 3 });
    let at = 0;
    const append = (pid: number, seq: number): void => t.onAppended(header({ ...spec(seq, 1, 0, pid), baseOffset: at++ }));
    append(1, 0);
    append(2, 0);
    append(3, 0);
    append(1, 1);
    append(4, 0);
    assert.deepEqual(
      t.entries().map((e) => e.producerId),
      [3, 1, 4],
    );
    const v = t.checkLeaderAppend([header(spec(57, 1, 0, 2))]);
    assert.equal(v.kind, 'append', 'a forgotten producer is unknown, so any sequence passes');
  });

  test('producers idle for producer.id.expiration.ms or longer expire', () => {
    const t = new ProducerStateTable({ ...DEFAULT_PRODUCER_STATE_CONFIG, producerIdExpirationMs: 1_000 });
    t.onAppended(header({ ...spec(0, 1, 0, 1), baseOffset: 0, maxTimestamp: 5_000 }));
    t.onAppended(header({ ...spec(0, 1, 0, 2), baseOffset: 1, maxTimestamp: 5_500 }));
    assert.equal(t.removeExpired(5_999), 0);
    assert.equal(t.removeExpired(6_000), 1);
    assert.deepEqual(
      t.entries().map((e) => e.producerId),
      [2],
    );
    assert.equal(t.removeExpired(6_500), 1);
    assert.equal(t.size, 0);
  });
});
