// The gRPC service definition of proto/kv.proto, built by hand from the generated static codecs
// (no proto-loader at run time), shared by the server (main.ts) and the client (client.ts).
import '../proto-config.js'; // before the generated code: see proto-config.ts
import * as grpc from '@grpc/grpc-js';
import { type Codec, unaryMethod } from '../../util/grpc-method.js';
import { flotilla } from '../../gen/kv.js';

import pb = flotilla.kv;

const method = <Req, Res>(name: string, req: Codec<Req>, res: Codec<Res>) => unaryMethod('flotilla.kv.Kv', name, req, res);

export const kvService = {
  put: method<pb.IPutRequest, pb.IPutReply>('Put', pb.PutRequest, pb.PutReply),
  putStream: { ...method<pb.IPutRequest, pb.IPutReply>('PutStream', pb.PutRequest, pb.PutReply), requestStream: true, responseStream: true },
  get: method<pb.IGetRequest, pb.IGetReply>('Get', pb.GetRequest, pb.GetReply),
  dump: method<pb.IDumpRequest, pb.IDumpReply>('Dump', pb.DumpRequest, pb.DumpReply),
  status: method<pb.IStatusRequest, pb.IStatusReply>('Status', pb.StatusRequest, pb.StatusReply),
} satisfies grpc.ServiceDefinition;

type Unary = Exclude<keyof typeof kvService, 'putStream'>;

export type KvHandlers = {
  [K in Unary]: grpc.handleUnaryCall<Parameters<(typeof kvService)[K]['requestSerialize']>[0], Parameters<(typeof kvService)[K]['responseSerialize']>[0]>;
} & { putStream: grpc.handleBidiStreamingCall<pb.IPutRequest, pb.IPutReply> };

export const KvGrpcClient = grpc.makeGenericClientConstructor(kvService, 'Kv');
export { pb as kvpb };
