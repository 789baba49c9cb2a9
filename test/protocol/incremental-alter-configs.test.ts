// IncrementalAlterConfigs codec: v0 and v1 requests and responses against bytes built field by
// field from the schema, round trips, and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeIncrementalAlterConfigsRequest,
  decodeIncrementalAlterConfigsResponse,
  encodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../src/protocol/apis/incremental-alter-configs.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, bool, decodedAll, encoded, i16, i32, i8, tags, vstr } from './wire-hex.js';

const request: IncrementalAlterConfigsRequest = {
  resources: [
    { resourceType: 2, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 0, value: '9' }, { name: 'segment.ms', configOperation: 1, value: null }] },
    { resourceType: 4, resourceName: '', configs: [] },
  ],
  validateOnly: true,
};

function requestBytes(v: number): string {
  const f = v >= 1;
  const config = (name: string, op: number, value: string | null) => vstr(f, name) + i8(op) + vstr(f, value) + tags(f);
  const topic = i8(2) + vstr(f, 't') + arr(f, [config('retention.ms', 0, '9'), config('segment.ms', 1, null)]) + tags(f);
  const broker = i8(4) + vstr(f, '') + arr(f, []) + tags(f);
  return arr(f, [topic, broker]) + bool(true) + tags(f);
}

const response: IncrementalAlterConfigsResponse = {
  throttleTimeMs: 3,
  responses: [
    { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't' },
    { errorCode: 40, errorMessage: 'bad', resourceType: 4, resourceName: '' },
  ],
};

function responseBytes(v: number): string {
  const f = v >= 1;
  const one = (errorCode: number, message: string | null, type: number, name: string) => i16(errorCode) + vstr(f, message) + i8(type) + vstr(f, name) + tags(f);
  return i32(3) + arr(f, [one(0, null, 2, 't'), one(40, 'bad', 4, '')]) + tags(f);
}

describe('IncrementalAlterConfigs codec', () => {
  for (const v of [0, 1]) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      assert.deepEqual(decodedAll(requestBytes(v), (r) => decodeIncrementalAlterConfigsRequest(r, v)), request);
      assert.equal(encoded((w) => encodeIncrementalAlterConfigsRequest(w, v, request)), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeIncrementalAlterConfigsResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeIncrementalAlterConfigsResponse(r, v)), response);
    });

    it(`v${v}: a truncated request is malformed at every cut`, () => {
      assertMalformedAtEveryCut(requestBytes(v), (r) => decodeIncrementalAlterConfigsRequest(r, v));
    });
  }

  it('a null config name or a null configs array is malformed', () => {
    const nullName = arr(false, [i8(2) + vstr(false, 't') + arr(false, [vstr(false, null) + i8(0) + vstr(false, 'x')])]) + bool(false);
    assert.throws(() => decodedAll(nullName, (r) => decodeIncrementalAlterConfigsRequest(r, 0)), MalformedRequestError);
    const nullConfigs = arr(true, [i8(2) + vstr(true, 't') + arr(true, null) + tags(true)]) + bool(false) + tags(true);
    assert.throws(() => decodedAll(nullConfigs, (r) => decodeIncrementalAlterConfigsRequest(r, 1)), MalformedRequestError);
  });

  it('routes key 44 through the frame codec, with response header v1 from v1', () => {
    const decoded = decodeRequestFrame(requestFrame(44, 1, 6, (w) => encodeIncrementalAlterConfigsRequest(w, 1, request), 2).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'IncrementalAlterConfigs');
    assert.deepEqual(decoded.request.body, request);
    const v1 = Buffer.concat(encodeResponseFrame(1, 6, { api: 'IncrementalAlterConfigs', body: response }));
    assert.equal(v1.subarray(8).toString('hex'), '00' + responseBytes(1));
    const v0 = Buffer.concat(encodeResponseFrame(0, 6, { api: 'IncrementalAlterConfigs', body: response }));
    assert.equal(v0.subarray(8).toString('hex'), responseBytes(0));
  });
});
