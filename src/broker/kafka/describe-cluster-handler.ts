// DescribeCluster from this node's image, as Metadata describes the cluster: the unfenced brokers
// with their endpoint on the listener the request came in on, the cluster id and the controller id.
// v1 asks for an endpoint type (KIP-919): brokers are what a broker listener serves; asking it for
// controllers is MISMATCHED_ENDPOINT_TYPE, anything else UNSUPPORTED_ENDPOINT_TYPE, as in Kafka.
import type { MetadataImage } from '../../metadata/image.js';
import { AUTHORIZED_OPERATIONS_UNKNOWN } from '../../protocol/apis/metadata.js';
import { ENDPOINT_TYPE, type DescribeClusterBroker, type DescribeClusterRequest, type DescribeClusterResponse } from '../../protocol/apis/describe-cluster.js';
import type { RequestContext } from './context.js';

/**
 * Kafka's codes for KIP-919's errors (Errors.java). src/metadata/errors.ts stops at 113; these two
 * belong there and are here only until they are added.
 */
const MISMATCHED_ENDPOINT_TYPE = 114;
const UNSUPPORTED_ENDPOINT_TYPE = 115;

export function handleDescribeCluster(request: DescribeClusterRequest, context: RequestContext): DescribeClusterResponse {
  const answer = { throttleTimeMs: 0, endpointType: request.endpointType, clusterId: context.clusterId, controllerId: context.controllerId, clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN };
  if (request.endpointType === ENDPOINT_TYPE.CONTROLLER) {
    return { ...answer, errorCode: MISMATCHED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', brokers: [] };
  }
  if (request.endpointType !== ENDPOINT_TYPE.BROKER) {
    return { ...answer, errorCode: UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${request.endpointType}`, brokers: [] };
  }
  return { ...answer, errorCode: 0, errorMessage: null, brokers: brokersOn(context.image, context.listenerName) };
}

/** Unfenced brokers that have `listenerName`, by id (a broker without it is invisible to its clients). */
function brokersOn(image: MetadataImage, listenerName: string): DescribeClusterBroker[] {
  return [...image.brokers.values()]
    .filter((b) => !b.fenced)
    .flatMap((b) => {
      const endpoint = b.endpoints.find((e) => e.listener === listenerName);
      return endpoint === undefined ? [] : [{ brokerId: b.id as number, host: endpoint.host, port: endpoint.port, rack: b.rack }];
    })
    .sort((a, b) => a.brokerId - b.brokerId);
}
