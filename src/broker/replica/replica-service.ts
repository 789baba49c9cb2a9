// The gRPC side of replication (proto/replica.proto): the Replica service a leader serves on its
// node's gRPC listener, and the client a follower fetches with. Built from the generated static
// codecs, as the controller service is.
import '../../raft/proto-config.js'; // before the generated code: see proto-config.ts
import * as grpc from '@grpc/grpc-js';
import { flotilla } from '../../gen/replica.js';
import { unaryMethod } from '../../util/grpc-method.js';
import type { BrokerId } from '../../metadata/types.js';

import pb = flotilla.replica;

export { pb as replicapb };

export const replicaService = {
  fetch: unaryMethod<pb.IFetchRequest, pb.IFetchResponse>('flotilla.replica.Replica', 'Fetch', pb.FetchRequest, pb.FetchResponse),
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
const RECONNECT_BACKOFF_MS_MIN = 100;
const RECONNECT_BACKOFF_MS_MAX = 1_000;

type Stub = { fetch(request: pb.IFetchRequest, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: pb.IFetchResponse) => void): grpc.ClientUnaryCall; close(): void };

export const grpcReplicaFetchClient: ReplicaFetchClientFactory = (_leader, address) => {
  // A leader that restarts must be reachable again within a second, not after grpc-js's 120 s backoff.
  const stub = new ReplicaGrpcClient(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': REPLY_BYTES_MAX,
    'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MIN,
    'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MS_MAX,
  }) as unknown as Stub;
  return {
    fetch: (request, timeoutMs) =>
      new Promise((resolve, reject) => {
        stub.fetch(request, { deadline: Date.now() + timeoutMs }, (err, res) => (err !== null || res === undefined ? reject(err ?? new Error('empty reply')) : resolve(res)));
      }),
    close: () => stub.close(),
  };
};
