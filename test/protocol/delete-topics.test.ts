// DeleteTopics codec: for every version 0-6, a request and a response against bytes built field by
// field from the schema, round trips, and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZERO_UUID } from '../../src/protocol/apis/fields.js';
import {
  decodeDeleteTopicsRequest,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../src/protocol/apis/delete-topics.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, decodedAll, encoded, i16, i32, tags, uuidHex, vstr } from './wire-hex.js';

const TOPIC_ID = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const VERSIONS = [0, 1, 2, 3, 4, 5, 6];

const request = (v: number): DeleteTopicsRequest => ({
  topics: v >= 6 ? [{ name: 'a', topicId: ZERO_UUID }, { name: null, topicId: TOPIC_ID }] : [{ name: 'a', topicId: ZERO_UUID }, { name: 'b', topicId: ZERO_UUID }],
  timeoutMs: 3000,
});

function requestBytes(v: number): string {
  const f = v >= 4;
  if (v >= 6) return arr(true, [vstr(true, 'a') + '00'.repeat(16) + tags(true), vstr(true, null) + uuidHex(TOPIC_ID) + tags(true)]) + i32(3000) + tags(true);
  return arr(f, [vstr(f, 'a'), vstr(f, 'b')]) + i32(3000) + tags(f);
}

const response: DeleteTopicsResponse = {
  throttleTimeMs: 4,
  responses: [
    { name: 'a', topicId: TOPIC_ID, errorCode: 0, errorMessage: null },
    { name: 'b', topicId: ZERO_UUID, errorCode: 3, errorMessage: 'no such topic' },
  ],
};

function responseBytes(v: number): string {
  const f = v >= 4;
  const one = (name: string, id: string, errorCode: number, message: string | null) =>
    vstr(f, name) + (v >= 6 ? uuidHex(id) : '') + i16(errorCode) + (v >= 5 ? vstr(true, message) : '') + tags(f);
  return (v >= 1 ? i32(4) : '') + arr(f, [one('a', TOPIC_ID, 0, null), one('b', ZERO_UUID, 3, 'no such topic')]) + tags(f);
}

const seenAt = (v: number): DeleteTopicsResponse => ({
  throttleTimeMs: v >= 1 ? 4 : 0,
  responses: response.responses.map((t) => ({ ...t, topicId: v >= 6 ? t.topicId : ZERO_UUID, errorMessage: v >= 5 ? t.errorMessage : null })),
});

describe('DeleteTopics codec', () => {
  for (const v of VERSIONS) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      assert.deepEqual(decodedAll(requestBytes(v), (r) => decodeDeleteTopicsRequest(r, v)), request(v));
      assert.equal(encoded((w) => encodeDeleteTopicsRequest(w, v, request(v))), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeDeleteTopicsResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeDeleteTopicsResponse(r, v)), seenAt(v));
    });

    it(`v${v}: a truncated request is malformed at every cut`, () => {
      assertMalformedAtEveryCut(requestBytes(v), (r) => decodeDeleteTopicsRequest(r, v));
    });
  }

  it('v6: a null name in a v6 response round-trips; before v6 a null name is malformed', () => {
    const byId: DeleteTopicsResponse = { throttleTimeMs: 0, responses: [{ name: null, topicId: TOPIC_ID, errorCode: 100, errorMessage: 'unknown id' }] };
    const bytes = encoded((w) => encodeDeleteTopicsResponse(w, 6, byId));
    assert.deepEqual(decodedAll(bytes, (r) => decodeDeleteTopicsResponse(r, 6)), byId);
    assert.throws(() => decodedAll(arr(false, [vstr(false, null)]) + i32(0), (r) => decodeDeleteTopicsRequest(r, 3)), MalformedRequestError);
    assert.throws(() => decodedAll(arr(true, [vstr(true, null)]) + i32(0) + tags(true), (r) => decodeDeleteTopicsRequest(r, 5)), MalformedRequestError);
  });

  it('routes key 20 through the frame codec', () => {
    const decoded = decodeRequestFrame(requestFrame(20, 6, 3, (w) => encodeDeleteTopicsRequest(w, 6, request(6)), 2).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'DeleteTopics');
    assert.deepEqual(decoded.request.body, request(6));
    const v1 = Buffer.concat(encodeResponseFrame(1, 3, { api: 'DeleteTopics', body: response }));
    assert.equal(v1.subarray(8).toString('hex'), responseBytes(1));
    const v4 = Buffer.concat(encodeResponseFrame(4, 3, { api: 'DeleteTopics', body: response }));
    assert.equal(v4.subarray(8).toString('hex'), '00' + responseBytes(4));
  });
});
