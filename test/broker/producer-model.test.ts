// Seeded model test of ProducerStateTable: random produce requests (next sequences, retries, gaps,
// epoch bumps, stale epochs, sequences near the wrap), commits and abandons, follower batches and
// expiry, each checked against a plain reference that keeps every batch and recomputes the answers
// from that full history. Replay one seed with PRODUCER_MODEL_SEED=N; PRODUCER_MODEL_SEEDS=N runs
// seeds 1..N (20 by default).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatchHeader } from '../../src/broker/log/record-batch.js';
import { offset } from '../../src/broker/log/types.js';
import type { ProducerEntry } from '../../src/broker/producer/append-rules.js';
import { BATCHES_PER_PRODUCER_MAX, type ProducerStateConfig } from '../../src/broker/producer/limits.js';
import { ProducerStateTable, type AppendVerdict } from '../../src/broker/producer/producer-state.js';
import { SeededRandom } from '../../src/raft/core/random.js';
import { header } from './producer-support.js';

const SEED_COUNT = Number(process.env.PRODUCER_MODEL_SEEDS ?? 20);
const SEEDS = process.env.PRODUCER_MODEL_SEED === undefined ? Array.from({ length: SEED_COUNT }, (_, i) => i + 1) : [Number(process.env.PRODUCER_MODEL_SEED)];
const STEPS = 400;
const SEQ_SPACE = 2 ** 31;

interface RefBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

interface RefProducer {
  epoch: number;
  /** Every batch of the current epoch, oldest first (the table keeps only the last few). */
  readonly batches: RefBatch[];
  lastAppendStep: number;
}

/** The reference: full histories, modular arithmetic, recency by step number. */
class Reference {
  readonly producers = new Map<number, RefProducer>();
  end = 0;
  step = 0;

  constructor(readonly config: ProducerStateConfig) {}

  verdict(headers: readonly BatchHeader[]): { kind: string; code?: string; offsets?: [number, number] } {
    if (headers.some((h) => h.producerId >= 0 && h.baseSequence < 0)) return { kind: 'error', code: 'INVALID_RECORD' };
    const pending = new Map<number, { epoch: number; lastSeq: number }>();
    for (const h of headers) {
      if (h.producerId < 0) continue;
      const p = this.producers.get(h.producerId);
      const lastSeq = (h.baseSequence + h.lastOffsetDelta) % SEQ_SPACE;
      const dup = p !== undefined && p.epoch === h.producerEpoch ? p.batches.slice(-BATCHES_PER_PRODUCER_MAX).find((b) => b.firstSeq === h.baseSequence && b.lastSeq === lastSeq) : undefined;
      if (dup !== undefined) return { kind: 'duplicate', offsets: [dup.firstOffset, dup.lastOffset] };
      const s = pending.get(h.producerId) ?? (p === undefined ? undefined : { epoch: p.epoch, lastSeq: p.batches.at(-1)!.lastSeq });
      if (s !== undefined && h.producerEpoch < s.epoch) return { kind: 'error', code: 'INVALID_PRODUCER_EPOCH' };
      const expected = s === undefined ? h.baseSequence : h.producerEpoch > s.epoch ? 0 : (s.lastSeq + 1) % SEQ_SPACE;
      if (h.baseSequence !== expected) return { kind: 'error', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
      pending.set(h.producerId, { epoch: h.producerEpoch, lastSeq });
    }
    return { kind: 'append' };
  }

  apply(h: BatchHeader): void {
    this.step++;
    this.end = h.baseOffset + h.lastOffsetDelta + 1;
    if (h.producerId < 0) return;
    let p = this.producers.get(h.producerId);
    if (p === undefined || p.epoch !== h.producerEpoch) {
      p = { epoch: h.producerEpoch, batches: [], lastAppendStep: 0 };
      this.producers.set(h.producerId, p);
    }
    const b = { firstSeq: h.baseSequence, lastSeq: (h.baseSequence + h.lastOffsetDelta) % SEQ_SPACE, firstOffset: h.baseOffset, lastOffset: this.end - 1, maxTimestamp: h.maxTimestamp };
    p.batches.push(b);
    p.lastAppendStep = this.step;
    while (this.producers.size > this.config.producersMax) this.producers.delete(this.#leastRecent());
  }

  #leastRecent(): number {
    return [...this.producers].reduce((a, b) => (b[1].lastAppendStep < a[1].lastAppendStep ? b : a))[0];
  }

  expire(nowMs: number): number {
    const doomed = [...this.producers].filter(([, p]) => nowMs - p.batches.at(-1)!.maxTimestamp >= this.config.producerIdExpirationMs);
    for (const [id] of doomed) this.producers.delete(id);
    return doomed.length;
  }

  entries(): ProducerEntry[] {
    return [...this.producers]
      .sort((a, b) => a[1].lastAppendStep - b[1].lastAppendStep)
      .map(([producerId, p]) => ({
        producerId,
        producerEpoch: p.epoch,
        batches: p.batches.slice(-BATCHES_PER_PRODUCER_MAX).map((b) => ({ ...b, firstOffset: offset(b.firstOffset), lastOffset: offset(b.lastOffset) })),
      }));
  }
}

interface World {
  readonly rnd: SeededRandom;
  readonly table: ProducerStateTable;
  readonly ref: Reference;
  nowMs: number;
  readonly counts: Record<string, number>;
}

const PRODUCER_IDS = [0, 1, 2, 3, 4, 5];

/** A sequence for the next batch of `pid`, chosen to hit every rule now and then. */
function chooseSequence(w: World, pid: number, epoch: number, planned: Map<number, number>): number {
  const p = w.ref.producers.get(pid);
  const next = planned.get(pid) ?? (p === undefined ? (w.rnd.chance(0.3) ? SEQ_SPACE - 1 - w.rnd.int(6) : 0) : (p.batches.at(-1)!.lastSeq + 1) % SEQ_SPACE);
  const r = w.rnd.int(100);
  if (p !== undefined && epoch > p.epoch) return r < 80 ? 0 : 1 + w.rnd.int(4);
  if (r < 70) return next;
  if (r < 80 && p !== undefined && p.batches.length > 0) return p.batches[Math.max(0, p.batches.length - 1 - w.rnd.int(8))]!.firstSeq;
  if (r < 90) return (next + 1 + w.rnd.int(3)) % SEQ_SPACE;
  return r < 97 ? w.rnd.int(20) : -1 - w.rnd.int(2);
}

function chooseEpoch(w: World, pid: number): number {
  const current = w.ref.producers.get(pid)?.epoch ?? w.rnd.int(3);
  const r = w.rnd.int(100);
  return r < 85 ? current : r < 95 ? current + 1 : Math.max(0, current - 1);
}

/** A retry of a cached or older batch must repeat its exact size to be a duplicate, so reuse it. */
function recordsFor(w: World, pid: number, epoch: number, seq: number): number {
  const p = w.ref.producers.get(pid);
  const old = p !== undefined && p.epoch === epoch ? p.batches.find((b) => b.firstSeq === seq) : undefined;
  if (old !== undefined && w.rnd.chance(0.8)) return ((old.lastSeq - old.firstSeq + SEQ_SPACE) % SEQ_SPACE) + 1;
  return 1 + w.rnd.int(4);
}

function randomRequest(w: World): BatchHeader[] {
  const planned = new Map<number, number>();
  const headers: BatchHeader[] = [];
  for (let i = 0, n = w.rnd.chance(0.75) ? 1 : 2 + w.rnd.int(2); i < n; i++) {
    w.nowMs += w.rnd.int(50);
    if (w.rnd.chance(0.08)) {
      headers.push(header({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: 1 + w.rnd.int(3), maxTimestamp: w.nowMs }));
      continue;
    }
    const pid = PRODUCER_IDS[w.rnd.int(PRODUCER_IDS.length)]!;
    const epoch = chooseEpoch(w, pid);
    const seq = chooseSequence(w, pid, epoch, planned);
    const records = recordsFor(w, pid, epoch, seq);
    headers.push(header({ producerId: pid, producerEpoch: epoch, baseSequence: seq, records, maxTimestamp: w.nowMs - w.rnd.int(30) }));
    planned.set(pid, (seq + records) % SEQ_SPACE);
  }
  return headers;
}

function describeVerdict(v: AppendVerdict): { kind: string; code?: string; offsets?: [number, number] } {
  if (v.kind === 'error') return { kind: 'error', code: v.error.code };
  if (v.kind === 'duplicate') return { kind: 'duplicate', offsets: [v.batch.firstOffset, v.batch.lastOffset] };
  return { kind: 'append' };
}

function produce(w: World, history: string[]): void {
  const headers = randomRequest(w);
  history.push(`produce ${headers.map((h) => `${h.producerId}/e${h.producerEpoch}/s${h.baseSequence}+${h.lastOffsetDelta + 1}`).join(' ')}`);
  const expected = w.ref.verdict(headers);
  const verdict = w.table.checkLeaderAppend(headers);
  const got = describeVerdict(verdict);
  assert.deepEqual(got, expected, 'verdict');
  w.counts[got.code ?? got.kind] = (w.counts[got.code ?? got.kind] ?? 0) + 1;
  if (verdict.kind !== 'append') return;
  if (w.rnd.chance(0.1)) {
    history.push('  abandoned');
    verdict.pending.abandon();
    return;
  }
  const base = w.ref.end + (w.rnd.chance(0.1) ? 1 + w.rnd.int(3) : 0); // unseen non-idempotent batches
  let next = base;
  for (const h of headers) {
    w.ref.apply({ ...h, baseOffset: offset(next) });
    next += h.lastOffsetDelta + 1;
  }
  verdict.pending.commit({ baseOffset: offset(base), lastOffset: offset(next - 1) });
}

function followerBatch(w: World, history: string[]): void {
  const pid = PRODUCER_IDS[w.rnd.int(PRODUCER_IDS.length)]!;
  const h = header({ producerId: pid, producerEpoch: w.rnd.int(4), baseSequence: w.rnd.int(50), records: 1 + w.rnd.int(3), baseOffset: w.ref.end, maxTimestamp: w.nowMs });
  history.push(`follower ${pid}/e${h.producerEpoch}/s${h.baseSequence}+${h.recordCount} at ${h.baseOffset}`);
  w.ref.apply(h);
  w.table.onAppended(h);
}

function step(w: World, history: string[]): void {
  const r = w.rnd.int(100);
  if (r < 85) produce(w, history);
  else if (r < 95) followerBatch(w, history);
  else {
    const now = w.nowMs + w.rnd.int(2 * w.ref.config.producerIdExpirationMs);
    history.push(`expire at ${now}`);
    assert.equal(w.table.removeExpired(now), w.ref.expire(now), 'expired count');
  }
  assert.deepEqual(w.table.entries(), w.ref.entries(), 'entries');
  assert.equal(w.table.endOffset, w.ref.end, 'end offset');
}

for (const seed of SEEDS) {
  test(`producer state matches the reference, seed ${seed}`, () => {
    const rnd = new SeededRandom(seed);
    const config: ProducerStateConfig = { producerIdExpirationMs: 2_000 + rnd.int(5_000), producersMax: 2 + rnd.int(5) };
    const w: World = { rnd, table: new ProducerStateTable(config), ref: new Reference(config), nowMs: 1_000_000, counts: {} };
    const history: string[] = [];
    try {
      for (let i = 0; i < STEPS; i++) step(w, history);
      for (const kind of ['append', 'duplicate', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH']) {
        assert.ok((w.counts[kind] ?? 0) > 0, `the run should see ${kind} (saw ${JSON.stringify(w.counts)})`);
      }
    } catch (e) {
      throw new Error(`seed ${seed} failed after: ${history.slice(-8).join('; ')} (replay with PRODUCER_MODEL_SEED=${seed}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  });
}
