// DescribeCluster (key 60), versions 0-1; flexible from 0. Summarised from apache/kafka
// clients/src/main/resources/common/message/DescribeCluster{Request,Response}.json:
//
//   DescribeClusterRequest v0 => include_cluster_authorized_operations:BOOL TAG_BUFFER
//   DescribeClusterRequest v1 => include_cluster_authorized_operations:BOOL endpoint_type:INT8 TAG_BUFFER
//                                (endpoint_type, KIP-919: 1 brokers, 2 controllers)
//
//   DescribeClusterResponse v0 => throttle_time_ms:INT32 error_code:INT16 error_message:COMPACT_NULLABLE_STRING
//                                 cluster_id:COMPACT_STRING controller_id:INT32
//                                 brokers:[broker_id:INT32 host:COMPACT_STRING port:INT32
//                                          rack:COMPACT_NULLABLE_STRING TAG_BUFFER]
//                                 cluster_authorized_operations:INT32 TAG_BUFFER
//   DescribeClusterResponse v1 => v0 with endpoint_type:INT8 after error_message
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** KIP-919's endpoint types; v0 always means brokers. */
export const ENDPOINT_TYPE = Object.freeze({ BROKER: 1, CONTROLLER: 2 });

export interface DescribeClusterRequest {
  readonly includeClusterAuthorizedOperations: boolean;
  readonly endpointType: number;
}

export interface DescribeClusterBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface DescribeClusterResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly endpointType: number;
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: readonly DescribeClusterBroker[];
  readonly clusterAuthorizedOperations: number;
}

// ---- request ----

export function decodeDescribeClusterRequest(r: Reader, version: number): DescribeClusterRequest {
  const includeClusterAuthorizedOperations = r.bool();
  const endpointType = version >= 1 ? r.int8() : ENDPOINT_TYPE.BROKER;
  r.skipTaggedFields();
  return { includeClusterAuthorizedOperations, endpointType };
}

export function encodeDescribeClusterRequest(w: Writer, version: number, request: DescribeClusterRequest): void {
  w.bool(request.includeClusterAuthorizedOperations);
  if (version >= 1) w.int8(request.endpointType);
  w.emptyTaggedFields();
}

// ---- response ----

export function encodeDescribeClusterResponse(w: Writer, version: number, response: DescribeClusterResponse): void {
  w.int32(response.throttleTimeMs).int16(response.errorCode).compactNullableString(response.errorMessage);
  if (version >= 1) w.int8(response.endpointType);
  w.compactString(response.clusterId).int32(response.controllerId);
  w.compactArray(response.brokers, (out, b) => {
    out.int32(b.brokerId).compactString(b.host).int32(b.port).compactNullableString(b.rack).emptyTaggedFields();
  });
  w.int32(response.clusterAuthorizedOperations).emptyTaggedFields();
}

export function decodeDescribeClusterResponse(r: Reader, version: number): DescribeClusterResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  const errorMessage = r.compactNullableString();
  const endpointType = version >= 1 ? r.int8() : ENDPOINT_TYPE.BROKER;
  const clusterId = r.compactString();
  const controllerId = r.int32();
  const brokers = r.compactArray((inner) => {
    const broker = { brokerId: inner.int32(), host: inner.compactString(), port: inner.int32(), rack: inner.compactNullableString() };
    inner.skipTaggedFields();
    return broker;
  });
  const clusterAuthorizedOperations = r.int32();
  r.skipTaggedFields();
  return { throttleTimeMs, errorCode, errorMessage, endpointType, clusterId, controllerId, brokers, clusterAuthorizedOperations };
}
