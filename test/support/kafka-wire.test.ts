// The shared raw wire against a scripted broker (a plain TCP server): pipelined requests answered in
// order, header versions from the API table, and every failure failing the whole connection.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { FrameSplitter } from '../../src/broker/kafka/frames.js';
import { API_KEYS } from '../../src/protocol/api-keys.js';
import { readRequestHeader, writeResponseHeader, type RequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { KafkaConnection, KafkaWireError } from './kafka-wire.js';

/** What the scripted broker does with a request: answer with these body bytes, or stay silent. */
type Script = (header: RequestHeader, body: Buffer) => Buffer | undefined;

/**
 * A broker that reads request headers of `headerVersion` and answers by `script` with the matching
 * response header (v1 after request header v2, else v0), its correlation id off by `correlationSkew`.
 */
async function scriptedBroker(headerVersion: 1 | 2, script: Script, correlationSkew = 0): Promise<{ server: Server; port: number; seen: RequestHeader[] }> {
  const seen: RequestHeader[] = [];
  const server = createServer((socket: Socket) => {
    const frames = new FrameSplitter(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      frames.push(chunk);
      for (let next = frames.next(); next !== undefined && 'frame' in next; next = frames.next()) {
        const r = new Reader(next.frame);
        const header = readRequestHeader(r, headerVersion);
        seen.push(header);
        const answer = script(header, next.frame.subarray(r.offset));
        if (answer === undefined) continue;
        const w = new Writer().int32(0);
        writeResponseHeader(w, header.correlationId + correlationSkew, headerVersion === 2 ? 1 : 0);
        const head = Buffer.from(w.written);
        head.writeInt32BE(head.length - 4 + answer.length, 0);
        socket.write(Buffer.concat([head, answer]));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const echo: Script = (_, body) => body;

describe('KafkaConnection', () => {
  const servers: Server[] = [];
  const broker = async (headerVersion: 1 | 2, script: Script, correlationSkew = 0) => {
    const b = await scriptedBroker(headerVersion, script, correlationSkew);
    servers.push(b.server);
    return b;
  };
  after(() => {
    for (const s of servers) s.close();
  });

  it('pipelines requests and hands each its own answer, in order', async () => {
    const b = await broker(1, echo);
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: b.port }, { clientId: 'wire-test' });
    const bodies = [1, 2, 3, 4, 5].map((i) => Buffer.from([i, i, i]));
    const answers = await Promise.all(bodies.map((body) => conn.send(API_KEYS.Produce, 8, body).then((r) => [r.int8(), r.int8(), r.int8()])));
    assert.deepEqual(answers, bodies.map((b) => [...b]));
    assert.deepEqual(b.seen.map((h) => [h.apiKey, h.apiVersion, h.clientId]), bodies.map(() => [API_KEYS.Produce, 8, 'wire-test']));
    assert.deepEqual(b.seen.map((h) => h.correlationId), [1, 2, 3, 4, 5]);
    conn.close();
  });

  it('speaks header v2 / v1 for a flexible version (each side reads the other\'s tagged fields)', async () => {
    const b = await broker(2, echo);
    const conn = await KafkaConnection.connect(`127.0.0.1:${b.port}`);
    const r = await conn.request(API_KEYS.Produce, 9, (w) => void w.int32(77));
    assert.equal(r.int32(), 77);
    conn.close();
  });

  it('fails every waiting request once one goes unanswered past its timeout, and the connection with them', async () => {
    const b = await broker(1, () => undefined);
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: b.port });
    const first = conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1), 100);
    const second = conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1));
    for (const p of [first, second]) await assert.rejects(p, (e: unknown) => e instanceof KafkaWireError && e.code === 'timeout' && e.sent);
    assert.equal(conn.isOpen, false);
    await assert.rejects(conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1)), (e: unknown) => e instanceof KafkaWireError && e.code === 'closed' && !e.sent);
  });

  it('closes on an answer that does not match its request, failing the requests behind it too', async () => {
    const b = await broker(1, echo, 1000);
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: b.port });
    const requests = [conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1)), conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1))];
    for (const p of requests) await assert.rejects(p, (e: unknown) => e instanceof KafkaWireError && e.code === 'closed' && e.sent);
    assert.equal(conn.isOpen, false);
  });

  it('refuses more requests in flight than its bound', async () => {
    const b = await broker(1, () => undefined);
    const conn = await KafkaConnection.connect({ host: '127.0.0.1', port: b.port }, { inFlightMax: 2 });
    const waiting = [conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1)), conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1))];
    assert.equal(conn.inFlight, 2);
    assert.throws(() => conn.send(API_KEYS.Fetch, 11, Buffer.alloc(1)), RangeError);
    conn.close();
    for (const p of waiting) await assert.rejects(p, (e: unknown) => e instanceof KafkaWireError && e.code === 'closed' && e.sent);
  });

  it('reports a refused connection as a connect failure', async () => {
    const b = await broker(1, echo);
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
    await assert.rejects(KafkaConnection.connect({ host: '127.0.0.1', port: b.port }), (e: unknown) => e instanceof KafkaWireError && e.code === 'connect' && !e.sent);
  });
});
