// CreateTopics codec: for every version 0-7, a request and a response against bytes built field by
// field from the schema, round trips, the tagged TopicConfigErrorCode, and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ZERO_UUID } from '../../src/protocol/apis/fields.js';
import {
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../../src/protocol/apis/create-topics.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { Reader } from '../../src/protocol/reader.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, bool, decodedAll, encoded, hex, i16, i32, i8, tags, uuidHex, vstr } from './wire-hex.js';

const TOPIC_ID = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const VERSIONS = [0, 1, 2, 3, 4, 5, 6, 7];

const request = (v: number): CreateTopicsRequest => ({
  topics: [
    { name: 'a', numPartitions: 3, replicationFactor: 2, assignments: [], configs: [{ name: 'retention.ms', value: '100' }, { name: 'x', value: null }] },
    { name: 'b', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] },
  ],
  timeoutMs: 5000,
  validateOnly: v >= 1,
});

function requestBytes(v: number): string {
  const f = v >= 5;
  const config = (name: string, value: string | null) => vstr(f, name) + vstr(f, value) + tags(f);
  const a = vstr(f, 'a') + i32(3) + i16(2) + arr(f, []) + arr(f, [config('retention.ms', '100'), config('x', null)]) + tags(f);
  const assignment = i32(0) + arr(f, [i32(1), i32(2)]) + tags(f);
  const b = vstr(f, 'b') + i32(-1) + i16(-1) + arr(f, [assignment]) + arr(f, []) + tags(f);
  return arr(f, [a, b]) + i32(5000) + (v >= 1 ? bool(true) : '') + tags(f);
}

const response: CreateTopicsResponse = {
  throttleTimeMs: 7,
  topics: [
    {
      name: 'a',
      topicId: TOPIC_ID,
      errorCode: 0,
      errorMessage: null,
      topicConfigErrorCode: 0,
      numPartitions: 3,
      replicationFactor: 2,
      configs: [{ name: 'retention.ms', value: '100', readOnly: false, configSource: 1, isSensitive: false }],
    },
    { name: 'b', topicId: ZERO_UUID, errorCode: 36, errorMessage: 'exists', topicConfigErrorCode: 29, numPartitions: -1, replicationFactor: -1, configs: null },
  ],
};

function responseBytes(v: number): string {
  const f = v >= 5;
  const config = vstr(f, 'retention.ms') + vstr(f, '100') + bool(false) + i8(1) + bool(false) + tags(f);
  const a =
    vstr(f, 'a') + (v >= 7 ? uuidHex(TOPIC_ID) : '') + i16(0) + (v >= 1 ? vstr(f, null) : '') + (v >= 5 ? i32(3) + i16(2) + arr(f, [config]) : '') + tags(f);
  // Tag 0 (TopicConfigErrorCode) of 2 bytes: one field, tag 0, size 2, the int16.
  const bTags = f ? '01' + '00' + '02' + i16(29) : '';
  const b = vstr(f, 'b') + (v >= 7 ? '00'.repeat(16) : '') + i16(36) + (v >= 1 ? vstr(f, 'exists') : '') + (v >= 5 ? i32(-1) + i16(-1) + arr(f, null) : '') + bTags;
  return (v >= 2 ? i32(7) : '') + arr(f, [a, b]) + tags(f);
}

/** What a decoder of version `v` can recover of `response`. */
function seenAt(v: number): CreateTopicsResponse {
  return {
    throttleTimeMs: v >= 2 ? 7 : 0,
    topics: response.topics.map((t) => ({
      ...t,
      topicId: v >= 7 ? t.topicId : ZERO_UUID,
      errorMessage: v >= 1 ? t.errorMessage : null,
      topicConfigErrorCode: v >= 5 ? t.topicConfigErrorCode : 0,
      numPartitions: v >= 5 ? t.numPartitions : -1,
      replicationFactor: v >= 5 ? t.replicationFactor : -1,
      configs: v >= 5 ? t.configs : null,
    })),
  };
}

describe('CreateTopics codec', () => {
  for (const v of VERSIONS) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      assert.deepEqual(decodedAll(requestBytes(v), (r) => decodeCreateTopicsRequest(r, v)), request(v));
      assert.equal(encoded((w) => encodeCreateTopicsRequest(w, v, request(v))), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeCreateTopicsResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeCreateTopicsResponse(r, v)), seenAt(v));
    });

    it(`v${v}: a truncated request is malformed at every cut`, () => {
      assertMalformedAtEveryCut(requestBytes(v), (r) => decodeCreateTopicsRequest(r, v));
    });
  }

  it('a null topic name, a null topics array or a negative config count is malformed', () => {
    const nullName = (f: boolean) => arr(f, [vstr(f, null) + i32(1) + i16(1) + arr(f, []) + arr(f, []) + tags(f)]) + i32(0) + '00' + tags(f);
    assert.throws(() => decodedAll(nullName(false), (r) => decodeCreateTopicsRequest(r, 4)), MalformedRequestError);
    assert.throws(() => decodedAll(nullName(true), (r) => decodeCreateTopicsRequest(r, 5)), MalformedRequestError);
    assert.throws(() => decodedAll(arr(false, null) + i32(0) + '00', (r) => decodeCreateTopicsRequest(r, 4)), MalformedRequestError);
    const negative = arr(false, [vstr(false, 'a') + i32(1) + i16(1) + arr(false, []) + i32(-2)]) + i32(0) + '00';
    assert.throws(() => decodedAll(negative, (r) => decodeCreateTopicsRequest(r, 4)), MalformedRequestError);
  });

  it('a tagged field whose declared size does not match is malformed', () => {
    const f = true;
    const topic = vstr(f, 'b') + i16(36) + vstr(f, null) + i32(-1) + i16(-1) + arr(f, null) + '01' + '00' + '03' + i16(29) + '00';
    assert.throws(() => decodedAll(i32(0) + arr(f, [topic]) + tags(f), (r) => decodeCreateTopicsResponse(r, 5)), MalformedRequestError);
  });

  it('routes key 19 through the frame codec, with response header v1 from v5', () => {
    const decoded = decodeRequestFrame(requestFrame(19, 5, 9, (w) => encodeCreateTopicsRequest(w, 5, request(5)), 2).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'CreateTopics');
    assert.deepEqual(decoded.request.body, request(5));
    const v5 = Buffer.concat(encodeResponseFrame(5, 9, { api: 'CreateTopics', body: response }));
    assert.equal(v5.subarray(4, 9).toString('hex'), i32(9) + '00');
    assert.deepEqual(decodedAll(v5.subarray(9).toString('hex'), (r) => decodeCreateTopicsResponse(r, 5)), seenAt(5));
    const v4 = Buffer.concat(encodeResponseFrame(4, 9, { api: 'CreateTopics', body: response }));
    assert.equal(v4.subarray(8).toString('hex'), responseBytes(4));
  });

  it('decodes an unknown tag in a topic result by skipping it', () => {
    const f = true;
    const topic = vstr(f, 'b') + i16(0) + vstr(f, null) + i32(1) + i16(1) + arr(f, []) + '02' + '00' + '02' + i16(5) + '07' + '01' + 'ff';
    const back = decodeCreateTopicsResponse(new Reader(hex(i32(0) + arr(f, [topic]) + tags(f))), 5);
    assert.equal(back.topics[0]?.topicConfigErrorCode, 5);
  });
});
