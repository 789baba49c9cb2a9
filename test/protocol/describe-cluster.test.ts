// DescribeCluster codec: v0 and v1 (both flexible) requests and responses against bytes built field
// by field from the schema, round trips, and malformed input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeDescribeClusterRequest,
  decodeDescribeClusterResponse,
  encodeDescribeClusterRequest,
  encodeDescribeClusterResponse,
  type DescribeClusterResponse,
} from '../../src/protocol/apis/describe-cluster.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { requestFrame } from '../support/kafka-wire.js';
import { arr, assertMalformedAtEveryCut, bool, cstr, decodedAll, encoded, i16, i32, i8, tags } from './wire-hex.js';

const response: DescribeClusterResponse = {
  throttleTimeMs: 0,
  errorCode: 0,
  errorMessage: null,
  endpointType: 1,
  clusterId: 'cid',
  controllerId: 2,
  brokers: [
    { brokerId: 1, host: 'h1', port: 9092, rack: null },
    { brokerId: 2, host: 'h2', port: 9093, rack: 'r' },
  ],
  clusterAuthorizedOperations: -0x8000_0000,
};

function responseBytes(v: number): string {
  const broker = (id: number, host: string, port: number, rack: string | null) => i32(id) + cstr(host) + i32(port) + cstr(rack) + tags(true);
  return i32(0) + i16(0) + cstr(null) + (v >= 1 ? i8(1) : '') + cstr('cid') + i32(2) + arr(true, [broker(1, 'h1', 9092, null), broker(2, 'h2', 9093, 'r')]) + i32(-0x8000_0000) + tags(true);
}

describe('DescribeCluster codec', () => {
  for (const v of [0, 1]) {
    it(`v${v}: request bytes decode, and the request encodes to them`, () => {
      const bytes = bool(true) + (v >= 1 ? i8(2) : '') + tags(true);
      const request = { includeClusterAuthorizedOperations: true, endpointType: v >= 1 ? 2 : 1 };
      assert.deepEqual(decodedAll(bytes, (r) => decodeDescribeClusterRequest(r, v)), request);
      assert.equal(encoded((w) => encodeDescribeClusterRequest(w, v, request)), bytes);
      assertMalformedAtEveryCut(bytes, (r) => decodeDescribeClusterRequest(r, v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      assert.equal(encoded((w) => encodeDescribeClusterResponse(w, v, response)), responseBytes(v));
      assert.deepEqual(decodedAll(responseBytes(v), (r) => decodeDescribeClusterResponse(r, v)), response);
    });
  }

  it('a request with a badly ordered tagged-field section is malformed', () => {
    assert.throws(() => decodedAll(bool(false) + i8(1) + '02' + '05' + '00' + '01' + '00', (r) => decodeDescribeClusterRequest(r, 1)), MalformedRequestError);
  });

  it('routes key 60 through the frame codec with request header v2 and response header v1', () => {
    const decoded = decodeRequestFrame(requestFrame(60, 1, 4, (w) => encodeDescribeClusterRequest(w, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 }), 2).subarray(4));
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'DescribeCluster');
    assert.deepEqual(decoded.request.body, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    const frame = Buffer.concat(encodeResponseFrame(0, 4, { api: 'DescribeCluster', body: response }));
    assert.equal(frame.subarray(4).toString('hex'), i32(4) + '00' + responseBytes(0));
  });
});
