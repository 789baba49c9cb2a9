// ApiVersions codec: a real librdkafka request, hand-built responses for each version, and the
// routing of whole frames (header versions, UNSUPPORTED_VERSION fallback, trailing bytes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SUPPORTED_APIS } from '../../src/protocol/api-keys.js';
import { decodeApiVersionsRequest, decodeApiVersionsResponse, encodeApiVersionsRequest, encodeApiVersionsResponse } from '../../src/protocol/apis/api-versions.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** kcat 1.7.1 / librdkafka 2.0.2's first request, captured with a TCP proxy in front of our listener (length prefix removed). */
const KCAT_API_VERSIONS_V3 = hex('0012 0003 00000001 0007 72646b61666b61 00   0b 6c696272646b61666b61 06 322e302e32 00');

const response = { errorCode: 0, apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 12 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 5 };
const fixtures: Record<number, string> = {
  0: '0000 00000002 0003 0000 000c 0012 0000 0003',
  1: '0000 00000002 0003 0000 000c 0012 0000 0003 00000005',
  2: '0000 00000002 0003 0000 000c 0012 0000 0003 00000005',
  3: '0000 03 0003 0000 000c 00 0012 0000 0003 00 00000005 00',
};

describe('ApiVersions codec', () => {
  it('decodes the real kcat v3 request (header v2 with a non-compact client id, then compact strings)', () => {
    const decoded = decodeRequestFrame(KCAT_API_VERSIONS_V3);
    assert.equal(decoded.kind, 'request');
    assert.ok(decoded.kind === 'request' && decoded.request.api === 'ApiVersions');
    assert.deepEqual(decoded.request.header, { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
    assert.deepEqual(decoded.request.body, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
  });

  for (const version of [0, 1, 2, 3]) {
    it(`v${version} response matches its fixture and round-trips`, () => {
      const w = new Writer();
      encodeApiVersionsResponse(w, version, response);
      assert.equal(w.written.toString('hex'), hex(fixtures[version]!).toString('hex'));
      const back = decodeApiVersionsResponse(new Reader(w.written), version);
      assert.deepEqual(back, { ...response, throttleTimeMs: version >= 1 ? 5 : 0 });
    });

    it(`v${version} request round-trips`, () => {
      const request = version >= 3 ? { clientSoftwareName: 'x', clientSoftwareVersion: '1' } : { clientSoftwareName: null, clientSoftwareVersion: null };
      const w = new Writer();
      encodeApiVersionsRequest(w, version, request);
      const r = new Reader(w.written);
      assert.deepEqual(decodeApiVersionsRequest(r, version), request);
      r.expectEnd('request');
    });
  }

  it('its response header is v0 even for flexible v3 (no tagged fields after the correlation id)', () => {
    const frame = Buffer.concat(encodeResponseFrame(3, 9, { api: 'ApiVersions', body: { errorCode: 0, apiKeys: [], throttleTimeMs: 0 } }));
    assert.equal(frame.toString('hex'), '0000000c' + '00000009' + '0000' + '01' + '00000000' + '00');
  });

  it('an unsupported version decodes to its header prefix only, whatever its body', () => {
    assert.deepEqual(decodeRequestFrame(hex('0012 0063 0000002a ffff 00 deadbeef')), { kind: 'unsupported', apiKey: 18, apiVersion: 99, correlationId: 42 });
    assert.deepEqual(decodeRequestFrame(hex('0001 0000 00000001 ffff')), { kind: 'unsupported', apiKey: 1, apiVersion: 0, correlationId: 1 });
  });

  it('trailing bytes after a body are malformed', () => {
    assert.throws(() => decodeRequestFrame(hex('0012 0000 00000001 ffff 00')), MalformedRequestError);
    assert.throws(() => decodeRequestFrame(hex('0012 0003 00000001 ffff 00 02 61')), MalformedRequestError);
  });

  it('advertises exactly the table', () => {
    assert.deepEqual(SUPPORTED_APIS.map((a) => [a.apiKey, a.minVersion, a.maxVersion]), [[0, 3, 9], [1, 4, 12], [2, 0, 7], [3, 0, 12], [18, 0, 3], [19, 0, 7], [20, 0, 6], [22, 0, 4], [23, 0, 4], [32, 0, 4], [37, 0, 3], [44, 0, 1], [60, 0, 1]]);
  });
});
