// ListOffsets codec: for every version 0-7 a request and a response against bytes built field by
// field from the schema (independently of the codec), round trips, v0's old-style offsets array,
// and truncation at every cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeListOffsetsRequest, decodeListOffsetsResponse, encodeListOffsetsRequest, encodeListOffsetsResponse, LIST_OFFSETS_FLEXIBLE_FROM, LIST_OFFSETS_TIMESTAMP, type ListOffsetsRequest, type ListOffsetsResponse } from '../../src/protocol/apis/list-offsets.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { arr, assertMalformedAtEveryCut, hex, i16, i32, i64, i8, str, tags } from './fixture-hex.js';

const TIME_MS = 1_700_000_000_000;

const request = (v: number): ListOffsetsRequest => ({
  replicaId: -1,
  isolationLevel: v >= 2 ? 1 : 0,
  topics: [{ name: 't', partitions: [
    { partitionIndex: 0, currentLeaderEpoch: v >= 4 ? 8 : -1, timestamp: LIST_OFFSETS_TIMESTAMP.earliest, maxNumOffsets: v === 0 ? 3 : 1 },
    { partitionIndex: 1, currentLeaderEpoch: v >= 4 ? 8 : -1, timestamp: TIME_MS, maxNumOffsets: 1 },
  ] }],
});

function requestBytes(v: number): string {
  const f = v >= 6;
  const partition = (index: number, timestamp: number, maxNumOffsets: number) =>
    i32(index) + (v >= 4 ? i32(8) : '') + i64(timestamp) + (v === 0 ? i32(maxNumOffsets) : '') + tags(f);
  const topic = str(f, 't') + arr(f, [partition(0, -2, 3), partition(1, TIME_MS, 1)]) + tags(f);
  return i32(-1) + (v >= 2 ? i8(1) : '') + arr(f, [topic]) + tags(f);
}

const response: ListOffsetsResponse = {
  throttleTimeMs: 4,
  topics: [{ name: 't', partitions: [
    { partitionIndex: 0, errorCode: 0, oldStyleOffsets: [2 ** 45, 0], timestamp: TIME_MS, offset: 2 ** 45, leaderEpoch: 8 },
    { partitionIndex: 1, errorCode: 6, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 },
  ] }],
};

function responseBytes(v: number): string {
  const f = v >= 6;
  const partition = (p: ListOffsetsResponse['topics'][number]['partitions'][number]) =>
    i32(p.partitionIndex) + i16(p.errorCode)
    + (v === 0 ? arr(false, p.oldStyleOffsets.map(i64)) : i64(p.timestamp) + i64(p.offset))
    + (v >= 4 ? i32(p.leaderEpoch) : '') + tags(f);
  const topic = str(f, 't') + arr(f, response.topics[0]!.partitions.map(partition)) + tags(f);
  return (v >= 2 ? i32(4) : '') + arr(f, [topic]) + tags(f);
}

function responseAt(v: number): ListOffsetsResponse {
  return {
    throttleTimeMs: v >= 2 ? 4 : 0,
    topics: [{ name: 't', partitions: response.topics[0]!.partitions.map((p) => ({
      ...p,
      oldStyleOffsets: v === 0 ? p.oldStyleOffsets : [],
      timestamp: v >= 1 ? p.timestamp : -1,
      offset: v >= 1 ? p.offset : -1,
      leaderEpoch: v >= 4 ? p.leaderEpoch : -1,
    })) }],
  };
}

describe('ListOffsets codec', () => {
  assert.equal(LIST_OFFSETS_FLEXIBLE_FROM, 6);

  for (let v = 0; v <= 7; v++) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeListOffsetsRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeListOffsetsRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = new Writer();
      encodeListOffsetsResponse(w, v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const r = new Reader(w.written);
      assert.deepEqual(decodeListOffsetsResponse(r, v), responseAt(v));
      r.expectEnd('response');
    });
  }

  it('v0: old-style offsets are a classic int64 array, and an empty one is allowed', () => {
    const bytes = arr(false, [str(false, 't') + arr(false, [i32(0) + i16(0) + arr(false, [])])]);
    const decoded = decodeListOffsetsResponse(new Reader(hex(bytes)), 0);
    assert.deepEqual(decoded.topics[0]!.partitions[0]!.oldStyleOffsets, []);
  });

  it('v7: the max-timestamp sentinel (-3) is an int64 -3 on the wire, both ways', () => {
    const body: ListOffsetsRequest = { replicaId: 2, isolationLevel: 0, topics: [{ name: 'x', partitions: [{ partitionIndex: 3, currentLeaderEpoch: -1, timestamp: LIST_OFFSETS_TIMESTAMP.maxTimestamp, maxNumOffsets: 1 }] }] };
    const bytes = i32(2) + i8(0) + arr(true, [str(true, 'x') + arr(true, [i32(3) + i32(-1) + i64(-3) + tags(true)]) + tags(true)]) + tags(true);
    assert.equal(LIST_OFFSETS_TIMESTAMP.maxTimestamp, -3);
    const w = new Writer();
    encodeListOffsetsRequest(w, 7, body);
    assert.equal(w.written.toString('hex'), bytes);
    assert.deepEqual(decodeListOffsetsRequest(new Reader(hex(bytes)), 7), body);
  });

  it('an offset or timestamp past 2^53 is malformed', () => {
    const bigOffset = arr(false, [str(false, 't') + arr(false, [i32(0) + i16(0) + i64(-1) + i64(2n ** 62n)])]);
    assert.throws(() => decodeListOffsetsResponse(new Reader(hex(bigOffset)), 1), MalformedRequestError);
    const bigTime = i32(-1) + arr(false, [str(false, 't') + arr(false, [i32(0) + i64(-(2n ** 60n))])]);
    assert.throws(() => decodeListOffsetsRequest(new Reader(hex(bigTime)), 1), MalformedRequestError);
  });

  for (const v of [0, 1, 5, 6, 7]) {
    it(`v${v}: a truncated request or response is malformed at every cut`, () => {
      assertMalformedAtEveryCut(hex(requestBytes(v)), (r) => decodeListOffsetsRequest(r, v));
      assertMalformedAtEveryCut(hex(responseBytes(v)), (r) => decodeListOffsetsResponse(r, v));
    });
  }
});
