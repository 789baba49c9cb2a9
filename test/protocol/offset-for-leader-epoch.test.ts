// OffsetForLeaderEpoch codec: for every version 0-4 a request and a response against bytes built
// field by field from the schema (independently of the codec), round trips, int64 bounds, and
// truncation at every cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOffsetForLeaderEpochRequest, decodeOffsetForLeaderEpochResponse, encodeOffsetForLeaderEpochRequest, encodeOffsetForLeaderEpochResponse, OFFSET_FOR_LEADER_EPOCH_DEBUG_REPLICA_ID, OFFSET_FOR_LEADER_EPOCH_FLEXIBLE_FROM, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../../src/protocol/apis/offset-for-leader-epoch.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { arr, assertMalformedAtEveryCut, hex, i16, i32, i64, str, tags } from './fixture-hex.js';

const request = (v: number): OffsetForLeaderEpochRequest => ({
  replicaId: v >= 3 ? 2 : OFFSET_FOR_LEADER_EPOCH_DEBUG_REPLICA_ID,
  topics: [
    { topic: 't', partitions: [{ partition: 0, currentLeaderEpoch: v >= 2 ? 9 : -1, leaderEpoch: 7 }, { partition: 4, currentLeaderEpoch: v >= 2 ? 9 : -1, leaderEpoch: 0 }] },
    { topic: 'u', partitions: [] },
  ],
});

function requestBytes(v: number): string {
  const f = v >= 4;
  const partition = (index: number, leaderEpoch: number) => i32(index) + (v >= 2 ? i32(9) : '') + i32(leaderEpoch) + tags(f);
  const topics = [str(f, 't') + arr(f, [partition(0, 7), partition(4, 0)]) + tags(f), str(f, 'u') + arr(f, []) + tags(f)];
  return (v >= 3 ? i32(2) : '') + arr(f, topics) + tags(f);
}

const response: OffsetForLeaderEpochResponse = {
  throttleTimeMs: 3,
  topics: [{ topic: 't', partitions: [
    { errorCode: 0, partition: 0, leaderEpoch: 7, endOffset: 2 ** 50 + 1 },
    { errorCode: 75, partition: 4, leaderEpoch: -1, endOffset: -1 },
  ] }],
};

function responseBytes(v: number): string {
  const f = v >= 4;
  const partition = (p: OffsetForLeaderEpochResponse['topics'][number]['partitions'][number]) =>
    i16(p.errorCode) + i32(p.partition) + (v >= 1 ? i32(p.leaderEpoch) : '') + i64(p.endOffset) + tags(f);
  const topic = str(f, 't') + arr(f, response.topics[0]!.partitions.map(partition)) + tags(f);
  return (v >= 2 ? i32(3) : '') + arr(f, [topic]) + tags(f);
}

function responseAt(v: number): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: v >= 2 ? 3 : 0,
    topics: [{ topic: 't', partitions: response.topics[0]!.partitions.map((p) => ({ ...p, leaderEpoch: v >= 1 ? p.leaderEpoch : -1 })) }],
  };
}

describe('OffsetForLeaderEpoch codec', () => {
  assert.equal(OFFSET_FOR_LEADER_EPOCH_FLEXIBLE_FROM, 4);

  for (let v = 0; v <= 4; v++) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeOffsetForLeaderEpochRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeOffsetForLeaderEpochRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = new Writer();
      encodeOffsetForLeaderEpochResponse(w, v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const r = new Reader(w.written);
      assert.deepEqual(decodeOffsetForLeaderEpochResponse(r, v), responseAt(v));
      r.expectEnd('response');
    });
  }

  it('an end offset past 2^53 is malformed', () => {
    const bytes = i32(0) + arr(false, [str(false, 't') + arr(false, [i16(0) + i32(0) + i32(1) + i64(2n ** 53n)])]);
    assert.throws(() => decodeOffsetForLeaderEpochResponse(new Reader(hex(bytes)), 2), MalformedRequestError);
  });

  it('v4: unknown tags in a partition are skipped', () => {
    const partition = i32(0) + i32(9) + i32(7) + '01' + '05' + '02' + 'abcd';
    const bytes = i32(2) + arr(true, [str(true, 't') + arr(true, [partition]) + '00']) + '00';
    assert.deepEqual(decodeOffsetForLeaderEpochRequest(new Reader(hex(bytes)), 4).topics[0]!.partitions, [{ partition: 0, currentLeaderEpoch: 9, leaderEpoch: 7 }]);
  });

  for (let v = 0; v <= 4; v++) {
    it(`v${v}: a truncated request or response is malformed at every cut`, () => {
      assertMalformedAtEveryCut(hex(requestBytes(v)), (r) => decodeOffsetForLeaderEpochRequest(r, v));
      assertMalformedAtEveryCut(hex(responseBytes(v)), (r) => decodeOffsetForLeaderEpochResponse(r, v));
    });
  }
});
