// A client of the raft test cluster that follows the leader: a NOT_LEADER answer names the leader,
// and the client goes there. Only answers that cannot have applied the write are retried.
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../core/types.js';
import { KvGrpcClient, type kvpb } from './service.js';

/** A Put or Get gave up; `code` is the last error code seen (TIMEOUT means the outcome is unknown). */
export class KvClientError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Unary<Req, Res> = (request: Req, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

interface Stub {
  put: Unary<kvpb.IPutRequest, kvpb.IPutReply>;
  putStream(): grpc.ClientDuplexStream<kvpb.IPutRequest, kvpb.IPutReply>;
  get: Unary<kvpb.IGetRequest, kvpb.IGetReply>;
  dump: Unary<kvpb.IDumpRequest, kvpb.IDumpReply>;
  status: Unary<kvpb.IStatusRequest, kvpb.IStatusReply>;
  close(): void;
}

const ATTEMPTS_MAX = 50;

export class KvClient {
  private readonly stubs = new Map<NodeId, Stub>();
  private leader: NodeId | undefined;

  constructor(addresses: ReadonlyMap<NodeId, string>, private readonly deadlineMs = 15_000) {
    for (const [id, address] of addresses) this.stubs.set(id, new KvGrpcClient(address, grpc.credentials.createInsecure()) as unknown as Stub);
  }

  setAddress(id: NodeId, address: string): void {
    this.stubs.get(id)?.close();
    this.stubs.set(id, new KvGrpcClient(address, grpc.credentials.createInsecure()) as unknown as Stub);
  }

  /** Writes through the leader; resolves with the log index once applied there. */
  async put(key: string, value: Uint8Array): Promise<number> {
    const reply = await this.onLeader<kvpb.IPutReply>((stub, opts, cb) => stub.put({ key, value }, opts, cb));
    return Number(reply.index);
  }

  /** A linearizable read through the leader. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const reply = await this.onLeader<kvpb.IGetReply>((stub, opts, cb) => stub.get({ key }, opts, cb));
    return reply.found ? (reply.value ?? new Uint8Array(0)) : undefined;
  }

  dump(id: NodeId): Promise<kvpb.IDumpReply> {
    return this.call(id, (stub, opts, cb) => stub.dump({}, opts, cb));
  }

  status(id: NodeId): Promise<kvpb.IStatusReply> {
    return this.call(id, (stub, opts, cb) => stub.status({}, opts, cb));
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
  }

  private async onLeader<R extends { error?: kvpb.IError | null }>(invoke: (stub: Stub, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: R) => void) => void): Promise<R> {
    const ids = [...this.stubs.keys()];
    const giveUpAt = Date.now() + this.deadlineMs;
    let lastCode = 'UNAVAILABLE';
    for (let attempt = 0; attempt < ATTEMPTS_MAX && Date.now() < giveUpAt; attempt++) {
      const target = this.leader ?? ids[attempt % ids.length];
      if (target === undefined) break;
      let reply: R;
      try {
        reply = await this.call(target, invoke);
      } catch (error) {
        // The node is down or unreachable: the request never reached raft, so trying elsewhere is safe.
        lastCode = (error as grpc.ServiceError).code === grpc.status.DEADLINE_EXCEEDED ? 'TIMEOUT' : 'UNAVAILABLE';
        if (lastCode === 'TIMEOUT') break;
        this.leader = undefined;
        await backoff(attempt);
        continue;
      }
      if (!reply.error) {
        this.leader = target;
        return reply;
      }
      lastCode = reply.error.code ?? 'UNKNOWN';
      if (!reply.error.retriable) break;
      this.leader = reply.error.code === 'NOT_LEADER' && reply.error.leader ? (reply.error.leader as NodeId) : undefined;
      if (this.leader === undefined || this.leader === target) await backoff(attempt);
    }
    throw new KvClientError(lastCode, `kv request failed: ${lastCode}`);
  }

  private call<R>(id: NodeId, invoke: (stub: Stub, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: R) => void) => void): Promise<R> {
    const stub = this.stubs.get(id);
    if (!stub) return Promise.reject(new Error(`unknown node ${id}`));
    return new Promise((resolve, reject) => {
      invoke(stub, { deadline: Date.now() + this.deadlineMs }, (err, res) => (err || !res ? reject(err ?? new Error('empty reply')) : resolve(res)));
    });
  }
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** Math.min(attempt, 4), 100)));

/**
 * Puts pipelined over one PutStream to one node (the leader), answered by id: how a client keeps
 * many writes in flight without a call per write. It does not follow leadership changes; a put
 * refused by the node fails with the node's error code.
 */
export class KvPipeline {
  private readonly stub: Stub;
  private readonly stream: grpc.ClientDuplexStream<kvpb.IPutRequest, kvpb.IPutReply>;
  private readonly pending = new Map<number, { resolve: (index: number) => void; reject: (error: KvClientError) => void }>();
  private nextId = 1;

  constructor(address: string) {
    this.stub = new KvGrpcClient(address, grpc.credentials.createInsecure()) as unknown as Stub;
    this.stream = this.stub.putStream();
    this.stream.on('data', (reply: kvpb.IPutReply) => this.settle(reply));
    this.stream.on('error', (error: Error) => this.failAll(new KvClientError('UNAVAILABLE', error.message)));
    this.stream.on('end', () => this.failAll(new KvClientError('UNAVAILABLE', 'stream ended')));
  }

  put(key: string, value: Uint8Array): Promise<number> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.stream.write({ id, key, value });
    });
  }

  close(): void {
    this.stream.end();
    this.stub.close();
  }

  private settle(reply: kvpb.IPutReply): void {
    const id = Number(reply.id);
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    if (reply.error) waiter.reject(new KvClientError(reply.error.code ?? 'UNKNOWN', reply.error.message ?? 'put failed'));
    else waiter.resolve(Number(reply.index));
  }

  private failAll(error: KvClientError): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
