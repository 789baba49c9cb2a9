// The gRPC definition of proto/controller.proto, built from the generated static codecs (no
// proto-loader at run time), shared by the controller (server side), brokers and the admin tools.
import '../raft/proto-config.js'; // before the generated code: see proto-config.ts
import * as grpc from '@grpc/grpc-js';
import { type Codec, unaryMethod } from '../util/grpc-method.js';
import { flotilla } from '../gen/controller.js';

import pb = flotilla.controller;

const method = <Req, Res>(name: string, req: Codec<Req>, res: Codec<Res>) => unaryMethod('flotilla.controller.Controller', name, req, res);

export const controllerService = {
  registerBroker: method<pb.IRegisterBrokerRequest, pb.IRegisterBrokerResponse>('RegisterBroker', pb.RegisterBrokerRequest, pb.RegisterBrokerResponse),
  brokerHeartbeat: method<pb.IBrokerHeartbeatRequest, pb.IBrokerHeartbeatResponse>('BrokerHeartbeat', pb.BrokerHeartbeatRequest, pb.BrokerHeartbeatResponse),
  createTopics: method<pb.ICreateTopicsRequest, pb.ICreateTopicsResponse>('CreateTopics', pb.CreateTopicsRequest, pb.CreateTopicsResponse),
  deleteTopics: method<pb.IDeleteTopicsRequest, pb.IDeleteTopicsResponse>('DeleteTopics', pb.DeleteTopicsRequest, pb.DeleteTopicsResponse),
  createPartitions: method<pb.ICreatePartitionsRequest, pb.ICreatePartitionsResponse>('CreatePartitions', pb.CreatePartitionsRequest, pb.CreatePartitionsResponse),
  alterConfigs: method<pb.IAlterConfigsRequest, pb.IAlterConfigsResponse>('AlterConfigs', pb.AlterConfigsRequest, pb.AlterConfigsResponse),
  alterPartition: method<pb.IAlterPartitionRequest, pb.IAlterPartitionResponse>('AlterPartition', pb.AlterPartitionRequest, pb.AlterPartitionResponse),
  allocateProducerIds: method<pb.IAllocateProducerIdsRequest, pb.IAllocateProducerIdsResponse>('AllocateProducerIds', pb.AllocateProducerIdsRequest, pb.AllocateProducerIdsResponse),
  describeCluster: method<pb.IDescribeClusterRequest, pb.IDescribeClusterResponse>('DescribeCluster', pb.DescribeClusterRequest, pb.DescribeClusterResponse),
  describeQuorum: method<pb.IDescribeQuorumRequest, pb.IDescribeQuorumResponse>('DescribeQuorum', pb.DescribeQuorumRequest, pb.DescribeQuorumResponse),
} satisfies grpc.ServiceDefinition;

export type ControllerMethod = keyof typeof controllerService;
export type RequestOf<K extends ControllerMethod> = Parameters<(typeof controllerService)[K]['requestSerialize']>[0];
export type ResponseOf<K extends ControllerMethod> = Parameters<(typeof controllerService)[K]['responseSerialize']>[0];

export type ControllerHandlers = { [K in ControllerMethod]: grpc.handleUnaryCall<RequestOf<K>, ResponseOf<K>> };

export const ControllerGrpcClient = grpc.makeGenericClientConstructor(controllerService, 'Controller');
export { pb as controllerpb };
