// The Raft wire codec: every message variant survives a round trip, and malformed bytes or invalid
// field values are rejected with a reason instead of producing a message.
import '../../src/raft/proto-config.js'; // before the generated code, as in codec.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import $protobuf from 'protobufjs/minimal.js';
import { flotilla } from '../../src/gen/raft.js';
import {
  MalformedMessageError,
  RAFT_BATCH_BYTES_MAX,
  RAFT_BATCH_MESSAGES_MAX,
  decodeBatch,
  encodeBatch,
  encodeMessage,
  frameBatch,
  framedBytes,
} from '../../src/raft/codec.js';
import { SeededRandom } from '../../src/raft/core/random.js';
import { EntryType, logIndex, nodeId, term, type Entry, type Message, type MessageType } from '../../src/raft/core/types.js';

import pb = flotilla.raft;

const TYPES: readonly MessageType[] = ['prevote', 'vote', 'prevote-resp', 'vote-resp', 'append', 'append-resp', 'heartbeat', 'heartbeat-resp', 'snapshot', 'snapshot-resp', 'timeout-now'];

// ---------------------------------------------------------------------------------------------
// Random valid messages.

/** A natural number in [0, max], often at the edges (0, max, beyond 32 bits). */
function nat(r: SeededRandom, max = Number.MAX_SAFE_INTEGER): number {
  switch (r.int(5)) {
    case 0: return 0;
    case 1: return max;
    case 2: return Math.min(max, r.int(100));
    default: return Math.floor(r.float() * (max + 1));
  }
}

function randomBytes(r: SeededRandom, lengthMax: number): Uint8Array {
  const bytes = new Uint8Array(r.chance(0.2) ? 0 : r.int(lengthMax + 1));
  for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(256);
  return bytes;
}

function randomEntries(r: SeededRandom, prevIndex: number, prevTerm: number, termMax: number): Entry[] {
  const entries: Entry[] = [];
  let t = Math.max(1, prevTerm);
  const count = r.chance(0.2) ? 0 : r.int(8);
  for (let i = 0; i < count && prevIndex + 1 + i <= Number.MAX_SAFE_INTEGER; i++) {
    t = Math.min(termMax, t + (r.chance(0.3) ? r.int(3) : 0));
    const type = r.chance(0.2) ? EntryType.ConfChange : EntryType.Normal;
    entries.push({ term: term(t), index: logIndex(prevIndex + 1 + i), type, data: randomBytes(r, 300) });
  }
  return entries;
}

function randomMessage(r: SeededRandom, type: MessageType): Message {
  const from = nodeId(1 + r.int(7));
  const to = nodeId(r.chance(0.1) ? 0xffff_ffff : from + 1 + r.int(7));
  const t = Math.max(1, nat(r));
  const env = { from, to, term: term(t) };
  switch (type) {
    case 'prevote':
    case 'vote':
      return { ...env, type, lastIndex: logIndex(nat(r)), lastTerm: term(nat(r, t)), transfer: r.chance(0.5) };
    case 'prevote-resp':
    case 'vote-resp':
      return { ...env, type, reject: r.chance(0.5) };
    case 'append': {
      const prevIndex = nat(r, Number.MAX_SAFE_INTEGER - 10);
      const prevTerm = nat(r, t);
      return { ...env, type, prevIndex: logIndex(prevIndex), prevTerm: term(prevTerm), entries: randomEntries(r, prevIndex, prevTerm, t), commit: logIndex(nat(r)) };
    }
    case 'append-resp':
      return { ...env, type, reject: r.chance(0.5), index: logIndex(nat(r)), hintIndex: logIndex(nat(r)), hintTerm: term(nat(r)) };
    case 'heartbeat':
      return { ...env, type, commit: logIndex(nat(r)), readRound: nat(r) };
    case 'heartbeat-resp':
      return { ...env, type, readRound: nat(r) };
    case 'snapshot':
      return randomSnapshotChunk(r, env);
    case 'snapshot-resp':
      return { ...env, type, index: logIndex(nat(r)), nextOffset: nat(r), done: r.chance(0.5) };
    case 'timeout-now':
      return { ...env, type };
  }
}

function randomSnapshotChunk(r: SeededRandom, env: Pick<Message, 'from' | 'to' | 'term'>): Message {
  const data = randomBytes(r, 2000);
  const offset = nat(r, 1_000_000);
  const done = r.chance(0.5);
  const totalBytes = offset + data.length + (done ? 0 : 1 + r.int(1000));
  const ids = [1, 2, 3, 4, 5, 6].map(nodeId);
  const split = r.int(ids.length + 1);
  const meta = { index: logIndex(Math.max(1, nat(r))), term: term(Math.max(1, nat(r, env.term))), conf: { voters: ids.slice(0, split), learners: ids.slice(split) } };
  return { ...env, type: 'snapshot', meta, totalBytes, offset, data, done };
}

function roundTrip(messages: readonly Message[]): readonly Message[] {
  const result = decodeBatch(encodeBatch(messages));
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.messages;
}

describe('codec round trip', () => {
  test('every variant, randomized over many seeds', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = new SeededRandom(seed);
      const batch = Array.from({ length: 1 + r.int(20) }, () => randomMessage(r, TYPES[r.int(TYPES.length)] as MessageType));
      assert.deepStrictEqual(roundTrip(batch), batch, `seed ${seed}`);
    }
  });

  test('each variant on its own, at the edges of its fields', () => {
    const r = new SeededRandom(42);
    for (const type of TYPES) {
      for (let i = 0; i < 50; i++) {
        const m = randomMessage(r, type);
        assert.deepStrictEqual(roundTrip([m]), [m], `${type} #${i}`);
      }
    }
  });

  test('64-bit fields decode as plain numbers, exact up to 2^53 - 1', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const [m] = roundTrip([{ type: 'heartbeat', from: nodeId(1), to: nodeId(2), term: term(big), commit: logIndex(2 ** 40 + 1), readRound: 2 ** 33 }]);
    assert.ok(m?.type === 'heartbeat');
    assert.equal(typeof m.term, 'number');
    assert.equal(typeof m.commit, 'number');
    assert.equal(m.term, big);
    assert.equal(m.commit, 2 ** 40 + 1);
    assert.equal(m.readRound, 2 ** 33);
  });

  test('entries with large data, empty data, and appends with no entries', () => {
    const large = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const entries: Entry[] = [
      { term: term(3), index: logIndex(11), type: EntryType.Normal, data: new Uint8Array(0) },
      { term: term(3), index: logIndex(12), type: EntryType.Normal, data: large },
      { term: term(4), index: logIndex(13), type: EntryType.ConfChange, data: Uint8Array.of(1, 0, 0, 0, 9) },
    ];
    const env = { from: nodeId(1), to: nodeId(2), term: term(4) };
    const full: Message = { ...env, type: 'append', prevIndex: logIndex(10), prevTerm: term(2), entries, commit: logIndex(9) };
    const empty: Message = { ...env, type: 'append', prevIndex: logIndex(0), prevTerm: term(0), entries: [], commit: logIndex(0) };
    const decoded = roundTrip([full, empty]);
    assert.deepStrictEqual(decoded, [full, empty]);
    const data = decoded[0]?.type === 'append' ? decoded[0].entries[1]?.data : undefined;
    assert.ok(data instanceof Uint8Array && !Buffer.isBuffer(data), 'entry data is a plain Uint8Array copy');
  });

  test('snapshot chunks: first, middle, last, and an empty snapshot in one chunk', () => {
    const env = { from: nodeId(1), to: nodeId(3), term: term(5) };
    const meta = { index: logIndex(100), term: term(4), conf: { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [nodeId(4)] } };
    const bytes = new Uint8Array(30).map((_, i) => i);
    const chunk = (offset: number, end: number, totalBytes: number): Message => ({ ...env, type: 'snapshot', meta, totalBytes, offset, data: bytes.slice(offset, end), done: end === totalBytes });
    const chunks = [chunk(0, 10, 30), chunk(10, 20, 30), chunk(20, 30, 30), chunk(0, 0, 0)];
    assert.deepStrictEqual(roundTrip(chunks), chunks);
  });

  test('framedBytes predicts the size of a batch exactly', () => {
    const r = new SeededRandom(7);
    for (let i = 0; i < 50; i++) {
      const encoded = Array.from({ length: 1 + r.int(5) }, () => encodeMessage(randomMessage(r, TYPES[r.int(TYPES.length)] as MessageType)));
      assert.equal(frameBatch(encoded).length, encoded.reduce((sum, e) => sum + framedBytes(e), 0));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Rejection.

const ENV = { from: 1, to: 2, term: 5 };

/** A batch of one wire message built field by field, so it can hold what our encoder refuses. */
function wireBatch(...messages: pb.RaftMessage.$Properties[]): Uint8Array {
  return frameBatch(messages.map((m) => pb.RaftMessage.encode(m).finish()));
}

function assertRejected(bytes: Uint8Array, pattern: RegExp): void {
  const result = decodeBatch(bytes);
  assert.equal(result.ok, false, 'expected a rejection');
  if (!result.ok) assert.match(result.reason, pattern);
}

const entry = (index: number, t = 5, type = 0): pb.Entry.$Properties => ({ index, term: t, type, data: Uint8Array.of(1) });
const meta = { index: 9, term: 4, conf: { voters: [1, 2, 3] } };

describe('codec rejects malformed bytes', () => {
  test('an empty frame, garbage and truncations', () => {
    assertRejected(new Uint8Array(0), /empty batch/);
    assertRejected(Uint8Array.of(0xff, 0xff, 0xff), /undecodable|unexpected field/);
    const one = encodeBatch([{ type: 'timeout-now', from: nodeId(1), to: nodeId(2), term: term(3) }]);
    for (let length = 1; length < one.length; length++) assertRejected(one.subarray(0, length), /undecodable/);
  });

  test('random garbage never decodes into messages', () => {
    const r = new SeededRandom(99);
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(r, 64);
      if (bytes.length === 0) continue;
      assert.equal(decodeBatch(bytes).ok, false, `garbage #${i}`);
    }
  });

  test('a batch over the byte or message limits', () => {
    assertRejected(new Uint8Array(RAFT_BATCH_BYTES_MAX + 1), /exceeds/);
    const one = pb.RaftMessage.encode({ ...ENV, timeoutNow: {} }).finish();
    const writer = $protobuf.Writer.create();
    for (let i = 0; i <= RAFT_BATCH_MESSAGES_MAX; i++) writer.uint32(10).bytes(one);
    assertRejected(writer.finish(), /more than 4096 messages/);
    assert.throws(() => frameBatch(new Array<Uint8Array>(RAFT_BATCH_MESSAGES_MAX + 1).fill(one)), MalformedMessageError);
  });

  test('a field other than the messages in the batch', () => {
    const w = $protobuf.Writer.create();
    w.uint32((2 << 3) | 0).uint32(7);
    assertRejected(w.finish(), /unexpected field 2/);
  });
});

describe('codec rejects invalid field values', () => {
  const cases: [string, pb.RaftMessage.$Properties, RegExp][] = [
    ['no body', { ...ENV }, /missing or unknown message body/],
    ['missing from', { to: 2, term: 5, timeoutNow: {} }, /from must be a node id/],
    ['missing to', { from: 1, term: 5, timeoutNow: {} }, /to must be a node id/],
    ['self-addressed', { from: 2, to: 2, term: 5, timeoutNow: {} }, /both 2/],
    ['term past 2^53', { ...ENV, term: 2 ** 60, timeoutNow: {} }, /term must be a non-negative safe integer/],
    ['vote lastTerm above term', { ...ENV, vote: { lastIndex: 3, lastTerm: 6 } }, /lastTerm 6 exceeds term 5/],
    ['unknown entry type', { ...ENV, append: { prevIndex: 3, prevTerm: 2, entries: [entry(4, 5, 7)] } }, /unknown entry type 7/],
    ['entry index gap', { ...ENV, append: { prevIndex: 3, prevTerm: 2, entries: [entry(4), entry(6)] } }, /entry 1: index 6 is not contiguous.*expected 5/],
    ['entry not after prevIndex', { ...ENV, append: { prevIndex: 3, prevTerm: 2, entries: [entry(3)] } }, /entry 0: index 3/],
    ['entry term 0', { ...ENV, append: { prevIndex: 0, entries: [entry(1, 0)] } }, /term must be at least 1/],
    ['entry term decreasing', { ...ENV, append: { prevIndex: 3, prevTerm: 2, entries: [entry(4, 3), entry(5, 2)] } }, /term 2 is below the preceding term 3/],
    ['entry term above message term', { ...ENV, append: { prevIndex: 3, prevTerm: 2, entries: [entry(4, 6)] } }, /term 6 exceeds message term 5/],
    ['chunk without meta', { ...ENV, snapshot: { totalBytes: 1, offset: 0, data: Uint8Array.of(1), done: true } }, /without meta/],
    ['meta without conf', { ...ENV, snapshot: { meta: { index: 9, term: 4 }, totalBytes: 1, data: Uint8Array.of(1), done: true } }, /without conf/],
    ['empty snapshot meta', { ...ENV, snapshot: { meta: { conf: {} }, totalBytes: 1, data: Uint8Array.of(1), done: true } }, /is empty/],
    ['conf member twice', { ...ENV, snapshot: { meta: { ...meta, conf: { voters: [1, 2], learners: [2] } }, totalBytes: 1, data: Uint8Array.of(1), done: true } }, /node 2 appears twice/],
    ['chunk past totalBytes', { ...ENV, snapshot: { meta, totalBytes: 10, offset: 8, data: Uint8Array.of(1, 2, 3), done: true } }, /runs past totalBytes 10/],
    ['done before the end', { ...ENV, snapshot: { meta, totalBytes: 10, offset: 0, data: Uint8Array.of(1, 2, 3), done: true } }, /done=true but chunk ends at 3 of 10/],
    ['not done at the end', { ...ENV, snapshot: { meta, totalBytes: 3, offset: 0, data: Uint8Array.of(1, 2, 3), done: false } }, /done=false/],
  ];
  for (const [name, message, pattern] of cases) {
    test(name, () => assertRejected(wireBatch(message), pattern));
  }

  test('one bad message rejects the whole batch and names its position', () => {
    assertRejected(wireBatch({ ...ENV, timeoutNow: {} }, { ...ENV, to: 0, timeoutNow: {} }), /^message 1 /);
  });

  test('an unknown body (a field from a newer version) is rejected, not guessed', () => {
    const w = pb.RaftMessage.encode({ ...ENV });
    w.uint32((15 << 3) | 2).bytes(Uint8Array.of(8, 1));
    assertRejected(frameBatch([w.finish()]), /missing or unknown message body/);
  });
});

describe('encodeMessage refuses invalid messages from our own core', () => {
  const base = { from: nodeId(1), to: nodeId(2), term: term(3) };
  const invalid: [string, Message][] = [
    ['negative term', { ...base, term: term(-1), type: 'timeout-now' }],
    ['fractional index', { ...base, type: 'heartbeat', commit: logIndex(1.5), readRound: 0 }],
    ['NaN', { ...base, type: 'heartbeat-resp', readRound: Number.NaN }],
    ['unsafe integer', { ...base, type: 'append-resp', reject: false, index: logIndex(2 ** 53), hintIndex: logIndex(0), hintTerm: term(0) }],
    ['node id 0', { ...base, to: nodeId(0), type: 'timeout-now' }],
    ['node id past uint32', { ...base, to: nodeId(2 ** 32), type: 'timeout-now' }],
    ['self-addressed', { ...base, to: nodeId(1), type: 'timeout-now' }],
    ['unknown type', { ...base, type: 'gossip' } as unknown as Message],
    ['entries not contiguous', { ...base, type: 'append', prevIndex: logIndex(1), prevTerm: term(1), commit: logIndex(0), entries: [{ term: term(1), index: logIndex(3), type: EntryType.Normal, data: new Uint8Array(0) }] }],
    ['unknown entry type', { ...base, type: 'append', prevIndex: logIndex(1), prevTerm: term(1), commit: logIndex(0), entries: [{ term: term(1), index: logIndex(2), type: 5 as EntryType, data: new Uint8Array(0) }] }],
  ];
  for (const [name, m] of invalid) {
    test(name, () => {
      assert.throws(() => encodeMessage(m), (err: unknown) => err instanceof MalformedMessageError && err.reason.length > 0);
    });
  }
});
