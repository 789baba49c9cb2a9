// Metadata codec: real librdkafka v4 requests, and for every version 0-12 a request and a response
// against bytes built field by field from the schema (independently of the codec), plus round trips.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse, ZERO_UUID, type MetadataRequest, type MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { MalformedRequestError } from '../../src/protocol/errors.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../src/protocol/request.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Field encoders written from the protocol guide, as hex, independent of Writer.
const i8 = (n: number) => Buffer.from([n & 0xff]).toString('hex');
const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b.toString('hex'); };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b.toString('hex'); };
const str = (s: string | null) => (s === null ? 'ffff' : i16(s.length) + Buffer.from(s).toString('hex'));
const cstr = (s: string | null) => (s === null ? '00' : i8(s.length + 1) + Buffer.from(s).toString('hex'));
const arr = (f: boolean, items: string[]) => (f ? i8(items.length + 1) : i32(items.length)) + items.join('');
const tags = (f: boolean) => (f ? '00' : '');

const TOPIC_ID = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

const response: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: 'h', port: 9092, rack: null }],
  clusterId: 'c',
  controllerId: 1,
  topics: [{ errorCode: 0, name: 't', topicId: TOPIC_ID, isInternal: false, topicAuthorizedOperations: -0x8000_0000, partitions: [
    { errorCode: 5, partitionIndex: 0, leaderId: -1, leaderEpoch: 3, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] },
  ] }],
  clusterAuthorizedOperations: -0x8000_0000,
};

function responseBytes(v: number): string {
  const f = v >= 9;
  const s = f ? cstr : str;
  const ints = (xs: readonly number[]) => arr(f, xs.map(i32));
  const p = response.topics[0]!.partitions[0]!;
  const partition = i16(p.errorCode) + i32(0) + i32(-1) + (v >= 7 ? i32(3) : '') + ints(p.replicaNodes) + ints(p.isrNodes) + (v >= 5 ? ints(p.offlineReplicas) : '') + tags(f);
  const topic = i16(0) + s('t') + (v >= 10 ? TOPIC_ID.replaceAll('-', '') : '') + (v >= 1 ? '00' : '') + arr(f, [partition]) + (v >= 8 ? i32(-0x8000_0000) : '') + tags(f);
  const broker = i32(1) + s('h') + i32(9092) + (v >= 1 ? s(null) : '') + tags(f);
  return (v >= 3 ? i32(0) : '') + arr(f, [broker]) + (v >= 2 ? s('c') : '') + (v >= 1 ? i32(1) : '') + arr(f, [topic]) + (v >= 8 && v <= 10 ? i32(-0x8000_0000) : '') + tags(f);
}

function requestBytes(v: number): string {
  const f = v >= 9;
  const topic = (v >= 10 ? '00'.repeat(16) : '') + (f ? cstr('t') : str('t')) + tags(f);
  return arr(f, [topic]) + (v >= 4 ? '00' : '') + (v >= 8 && v <= 10 ? '00' : '') + (v >= 8 ? '01' : '') + tags(f);
}

const request = (v: number): MetadataRequest => ({
  topics: [{ topicId: ZERO_UUID, name: 't' }],
  allowAutoTopicCreation: v < 4,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: v >= 8,
});

describe('Metadata codec', () => {
  for (let v = 0; v <= 12; v++) {
    it(`v${v}: request bytes decode and re-encode`, () => {
      const r = new Reader(hex(requestBytes(v)));
      assert.deepEqual(decodeMetadataRequest(r, v), request(v));
      r.expectEnd('request');
      const w = new Writer();
      encodeMetadataRequest(w, v, request(v));
      assert.equal(w.written.toString('hex'), requestBytes(v));
    });

    it(`v${v}: response encodes to the schema's bytes and decodes back`, () => {
      const w = new Writer();
      encodeMetadataResponse(w, v, response);
      assert.equal(w.written.toString('hex'), responseBytes(v));
      const back = decodeMetadataResponse(new Reader(w.written), v);
      const p = response.topics[0]!.partitions[0]!;
      const expected = {
        ...response,
        brokers: response.brokers,
        clusterId: v >= 2 ? 'c' : null,
        controllerId: v >= 1 ? 1 : -1,
        topics: [{ ...response.topics[0]!, topicId: v >= 10 ? TOPIC_ID : ZERO_UUID, partitions: [{ ...p, leaderEpoch: v >= 7 ? 3 : -1, offlineReplicas: v >= 5 ? [2] : [] }] }],
      };
      assert.deepEqual(back, expected);
    });
  }

  it('v0: an empty topic array means every topic (null); v1+: null means all, empty means none', () => {
    assert.equal(decodeMetadataRequest(new Reader(hex('00000000')), 0).topics, null);
    assert.deepEqual(decodeMetadataRequest(new Reader(hex('00000000')), 1).topics, []);
    assert.equal(decodeMetadataRequest(new Reader(hex('ffffffff')), 1).topics, null);
    assert.equal(decodeMetadataRequest(new Reader(hex('00 00 00 00 00')), 9).topics, null);
    assert.throws(() => decodeMetadataRequest(new Reader(hex('ffffffff')), 0), MalformedRequestError);
  });

  it('v10+: a topic asked for by id has a null name', () => {
    const bytes = hex('02' + TOPIC_ID.replaceAll('-', '') + '00' + '00' + '00' + '00' + '00' + '00');
    assert.deepEqual(decodeMetadataRequest(new Reader(bytes), 10).topics, [{ topicId: TOPIC_ID, name: null }]);
  });

  it("decodes librdkafka 2.0.2's real v4 requests (all topics, and no topics)", () => {
    const all = decodeRequestFrame(hex('0003 0004 00000003 0007 72646b61666b61 ffffffff 01'));
    assert.ok(all.kind === 'request' && all.request.api === 'Metadata');
    assert.deepEqual(all.request.header, { apiKey: 3, apiVersion: 4, correlationId: 3, clientId: 'rdkafka' });
    assert.deepEqual(all.request.body, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const none = decodeRequestFrame(hex('0003 0004 00000002 0007 72646b61666b61 00000000 00'));
    assert.ok(none.kind === 'request' && none.request.api === 'Metadata');
    assert.deepEqual(none.request.body.topics, []);
  });

  it('flexible versions use response header v1 (a tagged-field section after the correlation id)', () => {
    const frame = Buffer.concat(encodeResponseFrame(9, 7, { api: 'Metadata', body: response }));
    assert.equal(frame.subarray(4, 9).toString('hex'), '0000000700');
    assert.equal(frame.readInt32BE(0), frame.length - 4);
    const v8 = Buffer.concat(encodeResponseFrame(8, 7, { api: 'Metadata', body: response }));
    assert.equal(v8.subarray(8).toString('hex'), responseBytes(8));
  });

  it('a truncated request is malformed at every cut', () => {
    const full = hex(requestBytes(12));
    for (let cut = 0; cut < full.length; cut++) {
      assert.throws(() => {
        const r = new Reader(full.subarray(0, cut));
        decodeMetadataRequest(r, 12);
        r.expectEnd('request');
      }, MalformedRequestError, `cut at ${cut}`);
    }
  });
});
