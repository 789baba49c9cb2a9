// Fetch codec: for every version 4-12 a request and a response against bytes built field by field
// from the schema (independently of the codec), round trips, the v12 tagged fields, records served
// by reference (the same Buffer objects reach the output chunks), and truncation at every cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFetchRequest, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse, FETCH_FLEXIBLE_FROM, FETCH_MAX_BYTES_DEFAULT, fetchRecordsBytes, type FetchRequest, type FetchResponse, type FetchResponsePartition } from '../../src/protocol/apis/fetch.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { RAW_REF_COPY_BELOW_BYTES, Writer } from '../../src/protocol/writer.js';
import { arr, assertMalformedAtEveryCut, bytes, hex, i16, i32, i64, i8, str, tags } from './fixture-hex.js';

const BIG_OFFSET = 2 ** 40 + 3;

const request = (v: number): FetchRequest => ({
  clusterId: v >= 12 ? 'cl' : null,
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52_428_800,
  isolationLevel: 1,
  sessionId: v >= 7 ? 77 : 0,
  sessionEpoch: v >= 7 ? 3 : -1,
  topics: [{ topic: 't', partitions: [{
    partition: 0,
    currentLeaderEpoch: v >= 9 ? 5 : -1,
    fetchOffset: BIG_OFFSET,
    lastFetchedEpoch: v >= 12 ? 4 : -1,
    logStartOffset: v >= 5 ? 0 : -1,
    partitionMaxBytes: 1_048_576,
  }] }],
  forgottenTopicsData: v >= 7 ? [{ topic: 'old', partitions: [1, 2] }] : [],
  rackId: v >= 11 ? 'r1' : '',
});

function requestBytes(v: number): string {
  const f = v >= 12;
  const partition = i32(0) + (v >= 9 ? i32(5) : '') + i64(BIG_OFFSET) + (v >= 12 ? i32(4) : '') + (v >= 5 ? i64(0) : '') + i32(1_048_576) + tags(f);
  const topic = str(f, 't') + arr(f, [partition]) + tags(f);
  const forgotten = str(f, 'old') + arr(f, [i32(1), i32(2)]) + tags(f);
  // v12's section holds tag 0 (ClusterId): count 1, tag 0, size 3, then the compact string.
  const clusterIdTag = '01' + '00' + '03' + str(true, 'cl');
  return i32(-1) + i32(500) + i32(1) + i32(52_428_800) + i8(1)
    + (v >= 7 ? i32(77) + i32(3) : '')
    + arr(f, [topic])
    + (v >= 7 ? arr(f, [forgotten]) : '')
    + (v >= 11 ? str(f, 'r1') : '')
    + (f ? clusterIdTag : '');
}

// Large slices must come out by reference, the small one is copied: both paths are exercised.
const sliceA = Buffer.alloc(RAW_REF_COPY_BELOW_BYTES, 0xa1);
const sliceB = Buffer.from('0b0b0b0b0b', 'hex');
const sliceC = Buffer.alloc(2000, 0xc3);
const allRecords = Buffer.concat([sliceA, sliceB, sliceC]);

const withData: FetchResponsePartition = {
  partitionIndex: 0, errorCode: 0, highWatermark: BIG_OFFSET, lastStableOffset: BIG_OFFSET - 1, logStartOffset: 10,
  abortedTransactions: [{ producerId: 2 ** 41, firstOffset: 12 }], preferredReadReplica: -1, records: [sliceA, sliceB, sliceC],
};
const fenced: FetchResponsePartition = {
  partitionIndex: 1, errorCode: 74, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
  divergingEpoch: { epoch: 6, endOffset: 900 }, currentLeader: { leaderId: 2, leaderEpoch: 7 }, snapshotId: { endOffset: 800, epoch: 5 },
  abortedTransactions: null, preferredReadReplica: 3, records: null,
};
const response: FetchResponse = { throttleTimeMs: 9, errorCode: 0, sessionId: 77, responses: [{ topic: 't', partitions: [withData, fenced] }] };

function partitionBytes(v: number, p: FetchResponsePartition, records: Buffer | null, partitionTags: string): string {
  const f = v >= 12;
  const aborted = p.abortedTransactions === null ? null : p.abortedTransactions.map((a) => i64(a.producerId) + i64(a.firstOffset) + tags(f));
  return i32(p.partitionIndex) + i16(p.errorCode) + i64(p.highWatermark) + i64(p.lastStableOffset)
    + (v >= 5 ? i64(p.logStartOffset) : '') + arr(f, aborted) + (v >= 11 ? i32(p.preferredReadReplica) : '')
    + bytes(f, records) + (f ? partitionTags : '');
}

function responseBytes(v: number): string {
  const f = v >= 12;
  // tag 0 DivergingEpoch {epoch int32, end_offset int64, tags}: 13 bytes; tag 1 CurrentLeader
  // {leader_id, leader_epoch, tags}: 9 bytes; tag 2 SnapshotId {end_offset int64, epoch, tags}: 13 bytes.
  const fencedTags = '03' + '00' + '0d' + i32(6) + i64(900) + '00' + '01' + '09' + i32(2) + i32(7) + '00' + '02' + '0d' + i64(800) + i32(5) + '00';
  const topic = str(f, 't') + arr(f, [partitionBytes(v, withData, allRecords, '00'), partitionBytes(v, fenced, null, fencedTags)]) + tags(f);
  return i32(9) + (v >= 7 ? i16(0) + i32(77) : '') + arr(f, [topic]) + tags(f);
}

/** What a version carries of `response`, as the decoder returns it (records as one view). */
function responseAt(v: number): FetchResponse {
  const at = (p: FetchResponsePartition): FetchResponsePartition => {
    const { divergingEpoch, currentLeader, snapshotId, ...fixed } = p;
    const tagged = v >= 12 ? { divergingEpoch, currentLeader, snapshotId } : {};
    return {
      ...fixed, ...Object.fromEntries(Object.entries(tagged).filter(([, value]) => value !== undefined)),
      logStartOffset: v >= 5 ? p.logStartOffset : -1,
      preferredReadReplica: v >= 11 ? p.preferredReadReplica : -1,
      records: p.records === null ? null : [Buffer.concat(p.records)],
    };
  };
  return { ...response, sessionId: v >= 7 ? 77 : 0, responses: [{ topic: 't', partitions: [at(withData), at(fenced)] }] };
}

const encodeResponse = (v: number, body: FetchResponse): Writer => {
  const w = new Writer();
  encodeFetchResponse(w, v, body);
  return w;
};

describe('Fetch codec', () => {
  assert.equal(FETCH_FLEXIBLE_FROM, 12);

  for (let v = 4; v <= 12; v++) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeFetchRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeFetchRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = encodeResponse(v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const r = new Reader(w.written);
      assert.deepEqual(decodeFetchResponse(r, v), responseAt(v));
      r.expectEnd('response');
    });
  }

  it('request fields before v3 take their documented defaults', () => {
    const r = new Reader(hex(i32(1) + i32(2) + i32(3) + arr(false, [])));
    assert.deepEqual(decodeFetchRequest(r, 2), {
      clusterId: null, replicaId: 1, maxWaitMs: 2, minBytes: 3, maxBytes: FETCH_MAX_BYTES_DEFAULT, isolationLevel: 0,
      sessionId: 0, sessionEpoch: -1, topics: [], forgottenTopicsData: [], rackId: '',
    });
  });

  for (const v of [11, 12]) {
    it(`v${v}: large record slices reach the output chunks by reference, not copied`, () => {
      const chunks = encodeResponse(v, response).chunks();
      assert.ok(chunks.includes(sliceA), 'slice A is one of the chunks');
      assert.ok(chunks.includes(sliceC), 'slice C is one of the chunks');
      assert.ok(!chunks.includes(sliceB), 'the 5-byte slice is copied into our own chunk');
      assert.equal(Buffer.concat(chunks).toString('hex'), responseBytes(v));
    });
  }

  it('a whole frame: length prefix patched in the first chunk after the records are referenced', () => {
    const w = new Writer().int32(0).int32(5).emptyTaggedFields();
    encodeFetchResponse(w, 12, response);
    w.patchInt32(0, w.lengthBytes - 4);
    const frame = Buffer.concat(w.chunks());
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    assert.equal(frame.subarray(9).toString('hex'), responseBytes(12));
  });

  it('decoded records are one view into the response bytes', () => {
    const bytesIn = hex(responseBytes(12));
    const records = decodeFetchResponse(new Reader(bytesIn), 12).responses[0]!.partitions[0]!.records;
    assert.ok(records !== null && records.length === 1);
    assert.equal(records[0]!.buffer, bytesIn.buffer);
    assert.deepEqual(fetchRecordsBytes(records), allRecords);
    assert.equal(fetchRecordsBytes(records), records[0]);
    assert.deepEqual(fetchRecordsBytes([sliceB, sliceB]), Buffer.concat([sliceB, sliceB]));
    assert.equal(fetchRecordsBytes(null), null);
  });

  it('empty records are a zero length, not null', () => {
    const empty: FetchResponse = { ...response, responses: [{ topic: 't', partitions: [{ ...withData, records: [] }] }] };
    for (const v of [4, 12]) {
      const back = decodeFetchResponse(new Reader(encodeResponse(v, empty).written), v);
      assert.deepEqual(back.responses[0]!.partitions[0]!.records, [Buffer.alloc(0)]);
    }
  });

  it('v12: unknown tags are skipped, in the request and in a partition', () => {
    const unknownTopLevel = '02' + '00' + '03' + str(true, 'cl') + '07' + '02' + 'abcd';
    const requestHex = requestBytes(12).slice(0, -('01' + '00' + '03' + str(true, 'cl')).length) + unknownTopLevel;
    assert.equal(decodeFetchRequest(new Reader(hex(requestHex)), 12).clusterId, 'cl');
    const partitionTagsHex = '02' + '01' + '09' + i32(2) + i32(7) + '00' + '09' + '01' + 'ee';
    const body = arr(true, [str(true, 't') + arr(true, [partitionBytes(12, fenced, null, partitionTagsHex)]) + '00']);
    const decoded = decodeFetchResponse(new Reader(hex(i32(0) + i16(0) + i32(0) + body + '00')), 12);
    const p = decoded.responses[0]!.partitions[0]!;
    assert.deepEqual(p.currentLeader, { leaderId: 2, leaderEpoch: 7 });
    assert.ok(!('divergingEpoch' in p) && !('snapshotId' in p));
  });

  it('v12: a known tag whose declared size disagrees with its value is malformed', () => {
    const tooShort = '01' + '01' + '08' + i32(2) + i32(7) + '00';
    const tooLong = '01' + '01' + '0a' + i32(2) + i32(7) + '00' + 'ff';
    for (const partitionTags of [tooShort, tooLong]) {
      const body = arr(true, [str(true, 't') + arr(true, [partitionBytes(12, fenced, null, partitionTags)]) + '00']);
      assert.throws(() => decodeFetchResponse(new Reader(hex(i32(0) + i16(0) + i32(0) + body + '00')), 12), MalformedRequestError);
    }
    const clusterIdTag = '01' + '00' + '03' + str(true, 'cl');
    const sizeTooLong = requestBytes(12).slice(0, -clusterIdTag.length) + '01' + '00' + '05' + str(true, 'cl') + 'ffff';
    assert.throws(() => decodeFetchRequest(new Reader(hex(sizeTooLong)), 12), MalformedRequestError);
  });

  it('tagged fields are only written when set', () => {
    const plain = encodeResponse(12, { ...response, responses: [{ topic: 't', partitions: [{ ...fenced }] }] }).written;
    const untagged = { ...fenced, divergingEpoch: undefined, currentLeader: undefined, snapshotId: undefined };
    const none = encodeResponse(12, { ...response, responses: [{ topic: 't', partitions: [untagged] }] }).written;
    // three (tag, size) pairs and the 13 + 9 + 13 value bytes
    assert.equal(plain.length - none.length, 3 * 2 + 13 + 9 + 13);
    const w = new Writer();
    encodeFetchRequest(w, 12, { ...request(12), clusterId: null });
    assert.equal(w.written.toString('hex').slice(-2), '00');
  });

  it('an offset past 2^53 is malformed', () => {
    const partition = i32(0) + i64(2n ** 60n) + i64(-1) + i32(1);
    const bad = i32(-1) + i32(0) + i32(0) + i32(0) + i8(0) + arr(false, [str(false, 't') + arr(false, [partition])]);
    assert.throws(() => decodeFetchRequest(new Reader(hex(bad)), 5), MalformedRequestError);
  });

  for (const v of [4, 7, 11, 12]) {
    it(`v${v}: a truncated request or response is malformed at every cut`, () => {
      assertMalformedAtEveryCut(hex(requestBytes(v)), (r) => decodeFetchRequest(r, v));
      assertMalformedAtEveryCut(hex(responseBytes(v)), (r) => decodeFetchResponse(r, v));
    });
  }
});

