// CreatePartitions codec: for every version 0-3, a request and a response against bytes built field
// by field from the schema, round trips, and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeCreatePartitionsRequest,
  decodeCreatePartitionsResponse,
  encodeCreatePartitionsRequest,
  encodeCreatePartitionsResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../../src/protocol/apis/create-partitions.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, bool, decodedAll, encoded, i16, i32, tags, vstr } from './wire-hex.js';

const VERSIONS = [0, 1, 2, 3];

const request: CreatePartitionsRequest = {
  topics: [
    { name: 'a', count: 4, assignments: null },
    { name: 'b', count: 3, assignments: [[1, 2], [3, 1]] },
  ],
  timeoutMs: 2500,
  validateOnly: true,
};

function requestBytes(v: number): string {
  const f = v >= 2;
  const a = vstr(f, 'a') + i32(4) + arr(f, null) + tags(f);
  const assignment = (ids: number[]) => arr(f, ids.map(i32)) + tags(f);
  const b = vstr(f, 'b') + i32(3) + arr(f, [assignment([1, 2]), assignment([3, 1])]) + tags(f);
  return arr(f, [a, b]) + i32(2500) + bool(true) + tags(f);
}

const response: CreatePartitionsResponse = {
  throttleTimeMs: 1,
  results: [
    { name: 'a', errorCode: 0, errorMessage: null },
    { name: 'b', errorCode: 37, errorMessage: 'too few' },
  ],
};

function responseBytes(v: number): string {
  const f = v >= 2;
  const one = (name: string, errorCode: number, message: string | null) => vstr(f, name) + i16(errorCode) + vstr(f, message) + tags(f);
  return i32(1) + arr(f, [one('a', 0, null), one('b', 37, 'too few')]) + tags(f);
}

describe('CreatePartitions codec', () => {
  for (const v of VERSIONS) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      assert.deepEqual(decodedAll(requestBytes(v), (r) => decodeCreatePartitionsRequest(r, v)), request);
      assert.equal(encoded((w) => encodeCreatePartitionsRequest(w, v, request)), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeCreatePartitionsResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeCreatePartitionsResponse(r, v)), response);
    });

    it(`v${v}: a truncated request is malformed at every cut`, () => {
      assertMalformedAtEveryCut(requestBytes(v), (r) => decodeCreatePartitionsRequest(r, v));
    });
  }

  it('a null broker list inside an assignment is malformed', () => {
    const topic = vstr(false, 'a') + i32(2) + arr(false, [arr(false, null)]);
    assert.throws(() => decodedAll(arr(false, [topic]) + i32(0) + bool(false), (r) => decodeCreatePartitionsRequest(r, 1)), MalformedRequestError);
  });

  it('routes key 37 through the frame codec', () => {
    const decoded = decodeRequestFrame(requestFrame(37, 3, 5, (w) => encodeCreatePartitionsRequest(w, 3, request), 2).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'CreatePartitions');
    assert.deepEqual(decoded.request.body, request);
    const v1 = Buffer.concat(encodeResponseFrame(1, 5, { api: 'CreatePartitions', body: response }));
    assert.equal(v1.subarray(8).toString('hex'), responseBytes(1));
  });
});
