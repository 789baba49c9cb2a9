// The gRPC side of replication (proto/replica.proto): the Replica service a leader serves on its
// node's gRPC listener, and the client a follower fetches with. Built from the generated static
// codecs, as the controller service is.
//
// Fetches travel on one long-lived stream per follower and leader, one fetch at a time: the
// follower writes a request, the leader answers it, and only then does the follower write the
// next. A stream that fails or a fetch that times out is dropped; the next fetch opens a new one.
import '../../raft/proto-config.js'; // before the generated code: see proto-config.ts
import * as grpc from '@grpc/grpc-js';
import { flotilla } from '../../gen/replica.js';
import { duplexMethod } from '../../util/grpc-method.js';
import type { Logger } from '../../util/log.js';
import type { BrokerId } from '../../metadata/types.js';

import pb = flotilla.replica;

export { pb as replicapb };

export const replicaService = {
  fetch: duplexMethod<pb.IFetchRequest, pb.IFetchResponse>('flotilla.replica.Replica', 'Fetch', pb.FetchRequest, pb.FetchResponse),
} satisfies grpc.ServiceDefinition;

const ReplicaGrpcClient = grpc.makeGenericClientConstructor(replicaService, 'Replica');

/** What a follower needs of its leader: one fetch at a time. */
export interface ReplicaFetchClient {
  fetch(request: pb.IFetchRequest, timeoutMs: number): Promise<pb.IFetchResponse>;
  close(): void;
}

/** A client for the leader `leader` at `address` (its INTERNAL listener). */
export type ReplicaFetchClientFactory = (leader: BrokerId, address: string) => ReplicaFetchClient;

/** Headroom over the largest answer a leader sends (replica.fetch.response.max.bytes plus one whole batch). */
const REPLY_BYTES_MAX = 128 * 1024 * 1024;
/**
 * The follower's HTTP/2 receive window: a leader may send this much before the follower's window
 * update comes back. The default 64 KiB would cost a round trip per 64 KiB of a large fetch answer.
 */
const RECEIVE_WINDOW_BYTES = 16 * 1024 * 1024;
const RECONNECT_BACKOFF_MS_MIN = 100;
const RECONNECT_BACKOFF_MS_MAX = 1_000;
/**
 * Requests a leader accepts on one stream before answering them. Our followers send one at a
 * time; a peer that sends more is broken, and its stream is ended rather than queued without bound.
 */
const PENDING_REQUESTS_MAX = 4;

type FetchStream = grpc.ClientDuplexStream<pb.IFetchRequest, pb.IFetchResponse>;
type Stub = { fetch(options?: grpc.CallOptions): FetchStream; close(): void };

/** The pending fetch of a stream: settled by the stream's next answer, its end, or the timeout. */
interface Waiting {
  resolve(response: pb.IFetchResponse): void;
  reject(error: Error): void;
}

export const grpcReplicaFetchClient: ReplicaFetchClientFactory = (_leader, address) => {
  // A leader that restarts must be reachable again within a second, not after grpc-js's 120 s backoff.
  const stub = new ReplicaGrpcClient(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': REPLY_BYTES_MAX,
    'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MIN,
    'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MAX,
    'grpc-node.flow_control_window': RECEIVE_WINDOW_BYTES,
  }) as unknown as Stub;
  let stream: FetchStream | undefined;
  let waiting: Waiting | undefined;

  const settle = (outcome: { response: pb.IFetchResponse } | { error: Error }): void => {
    const w = waiting;
    waiting = undefined;
    if (w === undefined) return;
    if ('response' in outcome) w.resolve(outcome.response);
    else w.reject(outcome.error);
  };
  // Events of a stream already dropped (late answers, its end) concern nobody: the fetch waiting
  // now, if any, was sent on a newer stream.
  const drop = (s: FetchStream, error: Error): void => {
    if (stream !== s) return;
    stream = undefined;
    s.cancel();
    settle({ error });
  };
  const open = (): FetchStream => {
    const s = stub.fetch();
    s.on('data', (response: pb.IFetchResponse) => {
      if (stream !== s) return;
      if (waiting === undefined) drop(s, new Error('the leader answered a fetch that was not asked'));
      else settle({ response });
    });
    s.on('error', (error: Error) => drop(s, error));
    s.on('end', () => drop(s, new Error('the leader ended the fetch stream')));
    return s;
  };

  return {
    fetch: (request, timeoutMs) =>
      new Promise<pb.IFetchResponse>((resolve, reject) => {
        if (waiting !== undefined) {
          reject(new Error('a fetch is already in flight on this stream'));
          return;
        }
        const s = (stream ??= open());
        const timer = setTimeout(() => drop(s, new Error(`no fetch answer within ${timeoutMs} ms`)), timeoutMs);
        const done = <T>(f: (v: T) => void) => (v: T) => {
          clearTimeout(timer);
          f(v);
        };
        waiting = { resolve: done(resolve), reject: done(reject) };
        s.write(request);
      }),
    close: () => {
      if (stream !== undefined) drop(stream, new Error('the fetch client is closed'));
      stub.close();
    },
  };
};

/**
 * The leader's side of a follower's Fetch stream: each request is answered by `serve`, in the order
 * they came. A failed answer ends the stream with INTERNAL (the follower opens a new one).
 */
export function serveFetchStream(call: grpc.ServerDuplexStream<pb.IFetchRequest, pb.IFetchResponse>, serve: (request: pb.IFetchRequest) => Promise<pb.IFetchResponse>, log: Logger): void {
  let pending = 0;
  let chain = Promise.resolve();
  let ended = false;
  const fail = (code: grpc.status, details: string): void => {
    if (ended) return;
    ended = true;
    call.emit('error', { code, details });
  };
  call.on('data', (request: pb.IFetchRequest) => {
    if (++pending > PENDING_REQUESTS_MAX) {
      log.warn({ follower: request.replicaId, pending }, 'follower sent more fetches than it may have in flight; ending its stream');
      fail(grpc.status.RESOURCE_EXHAUSTED, `more than ${PENDING_REQUESTS_MAX} fetches in flight on one stream`);
      return;
    }
    chain = chain.then(async () => {
      if (ended || call.cancelled) return;
      try {
        const response = await serve(request);
        if (!ended && !call.cancelled) call.write(response);
      } catch (error) {
        log.warn({ err: error, follower: request.replicaId }, 'answering a follower fetch failed');
        fail(grpc.status.INTERNAL, (error as Error).message);
      } finally {
        pending--;
      }
    });
  });
  call.on('end', () => {
    void chain.then(() => {
      if (ended) return;
      ended = true;
      call.end();
    });
  });
  call.on('error', () => (ended = true));
}
