// Produce codec: for every version 3-9 a request and a response against bytes built field by field
// from the schema (independently of the codec), round trips, records kept as a view of the frame,
// int64 bounds, and truncation at every cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProduceRequest, decodeProduceResponse, encodeProduceRequest, encodeProduceResponse, PRODUCE_FLEXIBLE_FROM, type ProduceRequest, type ProduceResponse } from '../../src/protocol/apis/produce.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { arr, assertMalformedAtEveryCut, bytes, hex, i16, i32, i64, str, tags } from './fixture-hex.js';

// Not a real batch: the codec must carry any bytes through untouched.
const RECORDS = hex('000000000000000a 0000003c 00000000 02 c0ffee00 0000');
const BIG_OFFSET = 2 ** 40 + 5;

const request = (v: number): ProduceRequest => ({
  transactionalId: v === 3 ? null : 'tx',
  acks: -1,
  timeoutMs: 30_000,
  topicData: [{ name: 't', partitionData: [{ index: 2, records: RECORDS }, { index: 3, records: null }] }],
});

function requestBytes(v: number): string {
  const f = v >= 9;
  const partitions = [i32(2) + bytes(f, RECORDS) + tags(f), i32(3) + bytes(f, null) + tags(f)];
  const topic = str(f, 't') + arr(f, partitions) + tags(f);
  return str(f, v === 3 ? null : 'tx') + i16(-1) + i32(30_000) + arr(f, [topic]) + tags(f);
}

const response: ProduceResponse = {
  responses: [{ name: 't', partitionResponses: [
    { index: 2, errorCode: 0, baseOffset: BIG_OFFSET, logAppendTimeMs: -1, logStartOffset: 7, recordErrors: [], errorMessage: null },
    { index: 3, errorCode: 87, baseOffset: -1, logAppendTimeMs: 1_700_000_000_123, logStartOffset: 0,
      recordErrors: [{ batchIndex: 4, batchIndexErrorMessage: 'no key' }, { batchIndex: 5, batchIndexErrorMessage: null }], errorMessage: 'bad' },
  ] }],
  throttleTimeMs: 12,
};

function responseBytes(v: number): string {
  const f = v >= 9;
  const partition = (p: ProduceResponse['responses'][number]['partitionResponses'][number]) => {
    const errors = p.recordErrors.map((e) => i32(e.batchIndex) + str(f, e.batchIndexErrorMessage) + tags(f));
    return i32(p.index) + i16(p.errorCode) + i64(p.baseOffset)
      + (v >= 2 ? i64(p.logAppendTimeMs) : '') + (v >= 5 ? i64(p.logStartOffset) : '')
      + (v >= 8 ? arr(f, errors) + str(f, p.errorMessage) : '') + tags(f);
  };
  const topic = str(f, 't') + arr(f, response.responses[0]!.partitionResponses.map(partition)) + tags(f);
  return arr(f, [topic]) + i32(12) + tags(f);
}

/** What a version carries of `response`; the fields it lacks come back as their defaults. */
function responseAt(v: number): ProduceResponse {
  const topic = response.responses[0]!;
  return {
    responses: [{ name: topic.name, partitionResponses: topic.partitionResponses.map((p) => ({
      ...p,
      logStartOffset: v >= 5 ? p.logStartOffset : -1,
      recordErrors: v >= 8 ? p.recordErrors : [],
      errorMessage: v >= 8 ? p.errorMessage : null,
    })) }],
    throttleTimeMs: response.throttleTimeMs,
  };
}

describe('Produce codec', () => {
  assert.equal(PRODUCE_FLEXIBLE_FROM, 9);

  for (let v = 3; v <= 9; v++) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeProduceRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeProduceRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = new Writer();
      encodeProduceResponse(w, v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const r = new Reader(w.written);
      assert.deepEqual(decodeProduceResponse(r, v), responseAt(v));
      r.expectEnd('response');
    });
  }

  it('the decoded records are a view into the frame, not a copy', () => {
    const frame = hex(requestBytes(9));
    const records = decodeProduceRequest(new Reader(frame), 9).topicData[0]!.partitionData[0]!.records;
    assert.ok(records !== null);
    assert.equal(records.buffer, frame.buffer);
    assert.equal(records.byteOffset, frame.byteOffset + frame.indexOf(RECORDS));
    frame[frame.indexOf(RECORDS)] = 0x7f;
    assert.equal(records[0], 0x7f);
  });

  it('records of 200 bytes take a two-byte compact length in v9', () => {
    const big = Buffer.alloc(200, 0xab);
    const body: ProduceRequest = { transactionalId: null, acks: 1, timeoutMs: 5, topicData: [{ name: 't', partitionData: [{ index: 0, records: big }] }] };
    const w = new Writer();
    encodeProduceRequest(w, 9, body);
    assert.equal(w.written.toString('hex'), '00' + '0001' + '00000005' + '02' + '0274' + '02' + '00000000' + 'c901' + big.toString('hex') + '00' + '00' + '00');
    assert.deepEqual(decodeProduceRequest(new Reader(w.written), 9), body);
  });

  it('an int64 past 2^53 is malformed on decode and a RangeError on encode', () => {
    const partition = i32(0) + i16(0) + i64(2n ** 53n) + i64(-1) + i64(-1);
    assert.throws(() => decodeProduceResponse(new Reader(hex(arr(false, [str(false, 't') + arr(false, [partition])]) + i32(0))), 5), MalformedRequestError);
    const p = response.responses[0]!.partitionResponses[0]!;
    const unsafe: ProduceResponse = { responses: [{ name: 't', partitionResponses: [{ ...p, baseOffset: 2 ** 53 }] }], throttleTimeMs: 0 };
    assert.throws(() => encodeProduceResponse(new Writer(), 5, unsafe), RangeError);
  });

  it('a null topic array or topic name is malformed', () => {
    assert.throws(() => decodeProduceRequest(new Reader(hex('ffff' + 'ffff' + '00000000' + 'ffffffff')), 3), MalformedRequestError);
    assert.throws(() => decodeProduceRequest(new Reader(hex('00' + '0001' + '00000000' + '02' + '00' + '01' + '00' + '00')), 9), MalformedRequestError);
  });

  for (const v of [3, 8, 9]) {
    it(`v${v}: a truncated request or response is malformed at every cut`, () => {
      assertMalformedAtEveryCut(hex(requestBytes(v)), (r) => decodeProduceRequest(r, v));
      assertMalformedAtEveryCut(hex(responseBytes(v)), (r) => decodeProduceResponse(r, v));
    });
  }
});
