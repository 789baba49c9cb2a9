// InitProducerId codec: for every version 0-4 a request and a response against bytes built field by
// field from the schema (independently of the codec), round trips, int64 bounds, and truncation at
// every cut.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeInitProducerIdRequest, decodeInitProducerIdResponse, encodeInitProducerIdRequest, encodeInitProducerIdResponse, INIT_PRODUCER_ID_FLEXIBLE_FROM, type InitProducerIdRequest, type InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { assertMalformedAtEveryCut, hex, i16, i32, i64, str, tags } from './fixture-hex.js';

const PRODUCER_ID = 2 ** 33 + 17;

// Odd versions carry a transactional id, even ones null: both forms in classic and compact encoding.
const request = (v: number): InitProducerIdRequest => ({
  transactionalId: v % 2 === 1 ? 'txn-1' : null,
  transactionTimeoutMs: 60_000,
  producerId: v >= 3 ? PRODUCER_ID : -1,
  producerEpoch: v >= 3 ? 4 : -1,
});

function requestBytes(v: number): string {
  const f = v >= 2;
  return str(f, v % 2 === 1 ? 'txn-1' : null) + i32(60_000) + (v >= 3 ? i64(PRODUCER_ID) + i16(4) : '') + tags(f);
}

const response: InitProducerIdResponse = { throttleTimeMs: 0, errorCode: 0, producerId: PRODUCER_ID, producerEpoch: 0 };
const responseBytes = (v: number) => i32(0) + i16(0) + i64(PRODUCER_ID) + i16(0) + tags(v >= 2);

describe('InitProducerId codec', () => {
  assert.equal(INIT_PRODUCER_ID_FLEXIBLE_FROM, 2);

  for (let v = 0; v <= 4; v++) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeInitProducerIdRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeInitProducerIdRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = new Writer();
      encodeInitProducerIdResponse(w, v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const r = new Reader(w.written);
      assert.deepEqual(decodeInitProducerIdResponse(r, v), response);
      r.expectEnd('response');
    });

    it(`v${v}: a truncated request or response is malformed at every cut`, () => {
      assertMalformedAtEveryCut(hex(requestBytes(v)), (r) => decodeInitProducerIdRequest(r, v));
      assertMalformedAtEveryCut(hex(responseBytes(v)), (r) => decodeInitProducerIdResponse(r, v));
    });
  }

  it('an error answer carries producer id -1', () => {
    const fenced: InitProducerIdResponse = { throttleTimeMs: 0, errorCode: 90, producerId: -1, producerEpoch: -1 };
    const w = new Writer();
    encodeInitProducerIdResponse(w, 4, fenced);
    assert.equal(w.written.toString('hex'), i32(0) + i16(90) + i64(-1) + i16(-1) + '00');
    assert.deepEqual(decodeInitProducerIdResponse(new Reader(w.written), 4), fenced);
  });

  it('a producer id past 2^53 is malformed', () => {
    assert.throws(() => decodeInitProducerIdResponse(new Reader(hex(i32(0) + i16(0) + i64(2n ** 63n - 1n) + i16(0))), 1), MalformedRequestError);
    assert.throws(() => decodeInitProducerIdRequest(new Reader(hex(str(true, null) + i32(1) + i64(-(2n ** 63n)) + i16(0) + '00')), 3), MalformedRequestError);
  });
});
