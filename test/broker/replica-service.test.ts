// The replica Fetch stream (replica-service.ts) against a stub leader: answers arrive in order and
// belong to the fetch they answer, even after a fetch timed out and its answer came late; a failed
// answer or a lost leader fails one fetch and the next opens a new stream; a peer that piles up
// fetches without waiting for answers has its stream ended.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { grpcReplicaFetchClient, replicaService, serveFetchStream, type replicapb } from '../../src/broker/replica/replica-service.js';
import { brokerId } from '../../src/metadata/types.js';
import { silentLogger } from '../../src/util/log.js';
import { waitUntil } from '../support/wait.js';

/** The stub answers request `replicaId` with error "answer-<replicaId>" after `maxWaitMs`; minBytes 99 fails it. */
const FAIL = 99;
const request = (id: number, delayMs = 0, minBytes = 1): replicapb.IFetchRequest => ({ replicaId: id, maxWaitMs: delayMs, minBytes, partitions: [] });
const answerOf = (r: replicapb.IFetchResponse) => r.error;

async function startStub(port = 0): Promise<{ server: grpc.Server; port: number; streams: () => number; served: number[] }> {
  let streams = 0;
  const served: number[] = [];
  const serve = async (req: replicapb.IFetchRequest): Promise<replicapb.IFetchResponse> => {
    served.push(req.replicaId ?? -1);
    if (req.minBytes === FAIL) throw new Error('the stub fails this one');
    await new Promise((resolve) => setTimeout(resolve, req.maxWaitMs ?? 0));
    return { error: `answer-${req.replicaId}`, partitions: [] };
  };
  const server = new grpc.Server();
  server.addService(replicaService, {
    fetch: ((call: grpc.ServerDuplexStream<replicapb.IFetchRequest, replicapb.IFetchResponse>) => {
      streams++;
      serveFetchStream(call, serve, silentLogger);
    }) as grpc.UntypedHandleCall,
  });
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { server, port: bound, streams: () => streams, served };
}

describe('replica Fetch stream', () => {
  let stub: Awaited<ReturnType<typeof startStub>>;
  before(async () => (stub = await startStub()));
  after(() => stub.server.forceShutdown());

  it('answers fetches in order on one stream', async () => {
    const client = grpcReplicaFetchClient(brokerId(1), `127.0.0.1:${stub.port}`);
    const before = stub.streams();
    try {
      const answers: (string | null | undefined)[] = [];
      for (let i = 0; i < 200; i++) answers.push(answerOf(await client.fetch(request(i), 20_000)));
      assert.deepEqual(answers, Array.from({ length: 200 }, (_, i) => `answer-${i}`));
      assert.equal(stub.streams() - before, 1, 'every fetch went on the same stream');
    } finally {
      client.close();
    }
  });

  it('refuses a second fetch while one is in flight', async () => {
    const client = grpcReplicaFetchClient(brokerId(1), `127.0.0.1:${stub.port}`);
    try {
      const first = client.fetch(request(1, 200), 20_000);
      await assert.rejects(client.fetch(request(2), 20_000), /already in flight/);
      assert.equal(answerOf(await first), 'answer-1');
    } finally {
      client.close();
    }
  });

  it('never hands a timed-out fetch its late answer to the next fetch', async () => {
    const client = grpcReplicaFetchClient(brokerId(1), `127.0.0.1:${stub.port}`);
    const before = stub.streams();
    try {
      await assert.rejects(client.fetch(request(7, 600), 100), /no fetch answer within 100 ms/);
      // The next fetch goes on a new stream while the stub is still answering the old one.
      assert.equal(answerOf(await client.fetch(request(8), 20_000)), 'answer-8');
      await new Promise((resolve) => setTimeout(resolve, 700)); // the late answer is due now: it must not surface
      assert.equal(answerOf(await client.fetch(request(9), 20_000)), 'answer-9');
      assert.equal(stub.streams() - before, 2);
    } finally {
      client.close();
    }
  });

  it('fails a fetch whose answer failed, and goes on with a new stream', async () => {
    const client = grpcReplicaFetchClient(brokerId(1), `127.0.0.1:${stub.port}`);
    try {
      await assert.rejects(client.fetch(request(3, 0, FAIL), 20_000), (e: grpc.ServiceError) => e.code === grpc.status.INTERNAL && /stub fails/.test(e.details));
      assert.equal(answerOf(await client.fetch(request(4), 20_000)), 'answer-4');
    } finally {
      client.close();
    }
  });

  it('ends the stream of a peer that sends fetches without waiting for answers', async () => {
    const Client = grpc.makeGenericClientConstructor(replicaService, 'Replica');
    const raw = new Client(`127.0.0.1:${stub.port}`, grpc.credentials.createInsecure()) as unknown as { fetch(): grpc.ClientDuplexStream<replicapb.IFetchRequest, replicapb.IFetchResponse>; close(): void };
    try {
      const stream = raw.fetch();
      const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
      stream.on('data', () => {});
      for (let i = 0; i < 10; i++) stream.write(request(100 + i, 300));
      const error = await ended;
      assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      raw.close();
    }
  });
});

describe('replica Fetch stream across a leader restart', () => {
  it('fails fetches while the leader is gone and fetches again once it is back', async () => {
    const first = await startStub();
    const client = grpcReplicaFetchClient(brokerId(1), `127.0.0.1:${first.port}`);
    let second: Awaited<ReturnType<typeof startStub>> | undefined;
    try {
      assert.equal(answerOf(await client.fetch(request(1), 20_000)), 'answer-1');
      first.server.forceShutdown();
      await assert.rejects(client.fetch(request(2), 20_000));
      second = await startStub(first.port);
      const restarted = second;
      await waitUntil('a fetch answered by the restarted leader', async () => answerOf(await client.fetch(request(3), 2_000)) === 'answer-3');
      assert.ok(restarted.served.includes(3));
    } finally {
      client.close();
      second?.server.forceShutdown();
    }
  });
});
