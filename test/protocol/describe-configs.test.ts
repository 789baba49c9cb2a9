// DescribeConfigs codec: for every version 0-4, a request and a response against bytes built field
// by field from the schema, round trips (v0's is_default in place of config_source), and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeDescribeConfigsRequest,
  decodeDescribeConfigsResponse,
  encodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../src/protocol/apis/describe-configs.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, bool, decodedAll, encoded, i16, i32, i8, tags, vstr } from './wire-hex.js';

const VERSIONS = [0, 1, 2, 3, 4];

const request = (v: number): DescribeConfigsRequest => ({
  resources: [
    { resourceType: 2, resourceName: 't', configurationKeys: null },
    { resourceType: 4, resourceName: '1', configurationKeys: ['a', 'b'] },
  ],
  includeSynonyms: v >= 1,
  includeDocumentation: v >= 3,
});

function requestBytes(v: number): string {
  const f = v >= 4;
  const topic = i8(2) + vstr(f, 't') + arr(f, null) + tags(f);
  const broker = i8(4) + vstr(f, '1') + arr(f, [vstr(f, 'a'), vstr(f, 'b')]) + tags(f);
  return arr(f, [topic, broker]) + (v >= 1 ? bool(true) : '') + (v >= 3 ? bool(true) : '') + tags(f);
}

const response: DescribeConfigsResponse = {
  throttleTimeMs: 2,
  results: [
    {
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      resourceName: 't',
      configs: [
        { name: 'retention.ms', value: '5', readOnly: false, configSource: 1, isSensitive: false, synonyms: [{ name: 'retention.ms', value: '5', source: 1 }, { name: 'log.retention.ms', value: null, source: 5 }], configType: 5, documentation: 'doc' },
        { name: 'cleanup.policy', value: 'delete', readOnly: true, configSource: 5, isSensitive: false, synonyms: [], configType: 7, documentation: null },
      ],
    },
    { errorCode: 3, errorMessage: 'unknown', resourceType: 2, resourceName: 'u', configs: [] },
  ],
};

function responseBytes(v: number): string {
  const f = v >= 4;
  const synonym = (name: string, value: string | null, source: number) => vstr(f, name) + vstr(f, value) + i8(source) + tags(f);
  const config = (name: string, value: string, readOnly: boolean, source: number, synonyms: string[], type: number, doc: string | null) =>
    vstr(f, name) + vstr(f, value) + bool(readOnly) + (v === 0 ? bool(source === 5) : i8(source)) + bool(false) + (v >= 1 ? arr(f, synonyms) : '') + (v >= 3 ? i8(type) + vstr(f, doc) : '') + tags(f);
  const retention = config('retention.ms', '5', false, 1, [synonym('retention.ms', '5', 1), synonym('log.retention.ms', null, 5)], 5, 'doc');
  const cleanup = config('cleanup.policy', 'delete', true, 5, [], 7, null);
  const ok = i16(0) + vstr(f, null) + i8(2) + vstr(f, 't') + arr(f, [retention, cleanup]) + tags(f);
  const failed = i16(3) + vstr(f, 'unknown') + i8(2) + vstr(f, 'u') + arr(f, []) + tags(f);
  return i32(2) + arr(f, [ok, failed]) + tags(f);
}

const seenAt = (v: number): DescribeConfigsResponse => ({
  ...response,
  results: response.results.map((res) => ({
    ...res,
    configs: res.configs.map((c) => ({
      ...c,
      configSource: v >= 1 ? c.configSource : c.configSource === 5 ? 5 : -1,
      synonyms: v >= 1 ? c.synonyms : [],
      configType: v >= 3 ? c.configType : 0,
      documentation: v >= 3 ? c.documentation : null,
    })),
  })),
});

describe('DescribeConfigs codec', () => {
  for (const v of VERSIONS) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      assert.deepEqual(decodedAll(requestBytes(v), (r) => decodeDescribeConfigsRequest(r, v)), request(v));
      assert.equal(encoded((w) => encodeDescribeConfigsRequest(w, v, request(v))), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeDescribeConfigsResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeDescribeConfigsResponse(r, v)), seenAt(v));
    });

    it(`v${v}: a truncated request is malformed at every cut`, () => {
      assertMalformedAtEveryCut(requestBytes(v), (r) => decodeDescribeConfigsRequest(r, v));
    });
  }

  it('a null resource name or a null key inside the key list is malformed', () => {
    assert.throws(() => decodedAll(arr(false, [i8(2) + vstr(false, null) + arr(false, null)]) + bool(false), (r) => decodeDescribeConfigsRequest(r, 1)), MalformedRequestError);
    assert.throws(() => decodedAll(arr(true, [i8(2) + vstr(true, 't') + arr(true, [vstr(true, null)]) + tags(true)]) + '0000' + tags(true), (r) => decodeDescribeConfigsRequest(r, 4)), MalformedRequestError);
  });

  it('routes key 32 through the frame codec', () => {
    const decoded = decodeRequestFrame(requestFrame(32, 2, 8, (w) => encodeDescribeConfigsRequest(w, 2, request(2))).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'DescribeConfigs');
    assert.deepEqual(decoded.request.body, request(2));
    const v2 = Buffer.concat(encodeResponseFrame(2, 8, { api: 'DescribeConfigs', body: response }));
    assert.equal(v2.subarray(8).toString('hex'), responseBytes(2));
    const v4 = Buffer.concat(encodeResponseFrame(4, 8, { api: 'DescribeConfigs', body: response }));
    assert.equal(v4.subarray(8).toString('hex'), '00' + responseBytes(4));
  });
});
