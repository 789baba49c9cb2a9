// One request frame (the bytes after the length prefix) to a typed request, and a typed response
// to one frame (length prefix included). The table of what we serve is api-keys.ts; this file
// only routes a key to its codec.
import { apiRange, isSupported, requestHeaderVersion, responseHeaderVersion, API_KEYS } from './api-keys.js';
import { decodeApiVersionsRequest, encodeApiVersionsResponse, type ApiVersionsRequest, type ApiVersionsResponse } from './apis/api-versions.js';
import { decodeFetchRequest, encodeFetchResponse, type FetchRequest, type FetchResponse } from './apis/fetch.js';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from './apis/init-producer-id.js';
import { decodeListOffsetsRequest, encodeListOffsetsResponse, type ListOffsetsRequest, type ListOffsetsResponse } from './apis/list-offsets.js';
import { decodeMetadataRequest, encodeMetadataResponse, type MetadataRequest, type MetadataResponse } from './apis/metadata.js';
import { decodeOffsetForLeaderEpochRequest, encodeOffsetForLeaderEpochResponse, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from './apis/offset-for-leader-epoch.js';
import { decodeProduceRequest, encodeProduceResponse, type ProduceRequest, type ProduceResponse } from './apis/produce.js';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse, type CreateTopicsRequest, type CreateTopicsResponse } from './apis/create-topics.js';
import { decodeCreatePartitionsRequest, encodeCreatePartitionsResponse, type CreatePartitionsRequest, type CreatePartitionsResponse } from './apis/create-partitions.js';
import { decodeDescribeClusterRequest, encodeDescribeClusterResponse, type DescribeClusterRequest, type DescribeClusterResponse } from './apis/describe-cluster.js';
import { decodeDescribeConfigsRequest, encodeDescribeConfigsResponse, type DescribeConfigsRequest, type DescribeConfigsResponse } from './apis/describe-configs.js';
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from './apis/incremental-alter-configs.js';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse, type DeleteTopicsRequest, type DeleteTopicsResponse } from './apis/delete-topics.js';
import { readHeaderPrefix, readHeaderRest, writeResponseHeader, type RequestHeader } from './header.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export type KafkaRequest =
  | { readonly api: 'ApiVersions'; readonly header: RequestHeader; readonly body: ApiVersionsRequest }
  | { readonly api: 'Metadata'; readonly header: RequestHeader; readonly body: MetadataRequest }
  | { readonly api: 'Produce'; readonly header: RequestHeader; readonly body: ProduceRequest }
  | { readonly api: 'Fetch'; readonly header: RequestHeader; readonly body: FetchRequest }
  | { readonly api: 'ListOffsets'; readonly header: RequestHeader; readonly body: ListOffsetsRequest }
  | { readonly api: 'OffsetForLeaderEpoch'; readonly header: RequestHeader; readonly body: OffsetForLeaderEpochRequest }
  | { readonly api: 'InitProducerId'; readonly header: RequestHeader; readonly body: InitProducerIdRequest }
  | { readonly api: 'CreateTopics'; readonly header: RequestHeader; readonly body: CreateTopicsRequest }
  | { readonly api: 'DeleteTopics'; readonly header: RequestHeader; readonly body: DeleteTopicsRequest }
  | { readonly api: 'CreatePartitions'; readonly header: RequestHeader; readonly body: CreatePartitionsRequest }
  | { readonly api: 'DescribeConfigs'; readonly header: RequestHeader; readonly body: DescribeConfigsRequest }
  | { readonly api: 'IncrementalAlterConfigs'; readonly header: RequestHeader; readonly body: IncrementalAlterConfigsRequest }
  | { readonly api: 'DescribeCluster'; readonly header: RequestHeader; readonly body: DescribeClusterRequest };

export type KafkaResponse =
  | { readonly api: 'ApiVersions'; readonly body: ApiVersionsResponse }
  | { readonly api: 'Metadata'; readonly body: MetadataResponse }
  | { readonly api: 'Produce'; readonly body: ProduceResponse }
  | { readonly api: 'Fetch'; readonly body: FetchResponse }
  | { readonly api: 'ListOffsets'; readonly body: ListOffsetsResponse }
  | { readonly api: 'OffsetForLeaderEpoch'; readonly body: OffsetForLeaderEpochResponse }
  | { readonly api: 'InitProducerId'; readonly body: InitProducerIdResponse }
  | { readonly api: 'CreateTopics'; readonly body: CreateTopicsResponse }
  | { readonly api: 'DeleteTopics'; readonly body: DeleteTopicsResponse }
  | { readonly api: 'CreatePartitions'; readonly body: CreatePartitionsResponse }
  | { readonly api: 'DescribeConfigs'; readonly body: DescribeConfigsResponse }
  | { readonly api: 'IncrementalAlterConfigs'; readonly body: IncrementalAlterConfigsResponse }
  | { readonly api: 'DescribeCluster'; readonly body: DescribeClusterResponse };

/** What a frame turned out to be. `unsupported` carries only the fixed header prefix we could trust. */
export type DecodedFrame =
  | { readonly kind: 'request'; readonly request: KafkaRequest }
  | { readonly kind: 'unsupported'; readonly apiKey: number; readonly apiVersion: number; readonly correlationId: number };

/** Decodes a whole frame; throws MalformedRequestError on bad bytes, including trailing ones. */
export function decodeRequestFrame(frame: Buffer): DecodedFrame {
  const r = new Reader(frame);
  const prefix = readHeaderPrefix(r);
  const api = apiRange(prefix.apiKey);
  if (api === undefined || !isSupported(prefix.apiKey, prefix.apiVersion)) return { kind: 'unsupported', ...prefix };
  const header = readHeaderRest(r, prefix, requestHeaderVersion(api, prefix.apiVersion));
  const request = decodeBody(r, header);
  r.expectEnd(`${api.name} v${header.apiVersion}`);
  return { kind: 'request', request };
}

function decodeBody(r: Reader, header: RequestHeader): KafkaRequest {
  switch (header.apiKey) {
    case API_KEYS.ApiVersions:
      return { api: 'ApiVersions', header, body: decodeApiVersionsRequest(r, header.apiVersion) };
    case API_KEYS.Metadata:
      return { api: 'Metadata', header, body: decodeMetadataRequest(r, header.apiVersion) };
    case API_KEYS.Produce:
      return { api: 'Produce', header, body: decodeProduceRequest(r, header.apiVersion) };
    case API_KEYS.Fetch:
      return { api: 'Fetch', header, body: decodeFetchRequest(r, header.apiVersion) };
    case API_KEYS.ListOffsets:
      return { api: 'ListOffsets', header, body: decodeListOffsetsRequest(r, header.apiVersion) };
    case API_KEYS.OffsetForLeaderEpoch:
      return { api: 'OffsetForLeaderEpoch', header, body: decodeOffsetForLeaderEpochRequest(r, header.apiVersion) };
    case API_KEYS.InitProducerId:
      return { api: 'InitProducerId', header, body: decodeInitProducerIdRequest(r, header.apiVersion) };
    case API_KEYS.CreateTopics:
      return { api: 'CreateTopics', header, body: decodeCreateTopicsRequest(r, header.apiVersion) };
    case API_KEYS.DeleteTopics:
      return { api: 'DeleteTopics', header, body: decodeDeleteTopicsRequest(r, header.apiVersion) };
    case API_KEYS.CreatePartitions:
      return { api: 'CreatePartitions', header, body: decodeCreatePartitionsRequest(r, header.apiVersion) };
    case API_KEYS.DescribeConfigs:
      return { api: 'DescribeConfigs', header, body: decodeDescribeConfigsRequest(r, header.apiVersion) };
    case API_KEYS.IncrementalAlterConfigs:
      return { api: 'IncrementalAlterConfigs', header, body: decodeIncrementalAlterConfigsRequest(r, header.apiVersion) };
    case API_KEYS.DescribeCluster:
      return { api: 'DescribeCluster', header, body: decodeDescribeClusterRequest(r, header.apiVersion) };
    default:
      throw new Error(`api key ${header.apiKey} is in SUPPORTED_APIS without a decoder`);
  }
}

/**
 * The response frame, length prefix first, in the header and body versions of the request's
 * version, as buffers to write in order: record bytes a Fetch serves are referenced, not copied.
 */
export function encodeResponseFrame(apiVersion: number, correlationId: number, response: KafkaResponse): Buffer[] {
  const api = apiRange(API_KEYS[response.api]);
  if (api === undefined) throw new Error(`${response.api} is not in SUPPORTED_APIS`);
  const w = new Writer().int32(0);
  writeResponseHeader(w, correlationId, responseHeaderVersion(api, apiVersion));
  encodeBody(w, apiVersion, response);
  w.patchInt32(0, w.lengthBytes - 4);
  return w.chunks();
}

function encodeBody(w: Writer, version: number, response: KafkaResponse): void {
  switch (response.api) {
    case 'ApiVersions':
      return encodeApiVersionsResponse(w, version, response.body);
    case 'Metadata':
      return encodeMetadataResponse(w, version, response.body);
    case 'Produce':
      return encodeProduceResponse(w, version, response.body);
    case 'Fetch':
      return encodeFetchResponse(w, version, response.body);
    case 'ListOffsets':
      return encodeListOffsetsResponse(w, version, response.body);
    case 'OffsetForLeaderEpoch':
      return encodeOffsetForLeaderEpochResponse(w, version, response.body);
    case 'InitProducerId':
      return encodeInitProducerIdResponse(w, version, response.body);
    case 'CreateTopics':
      return encodeCreateTopicsResponse(w, version, response.body);
    case 'DeleteTopics':
      return encodeDeleteTopicsResponse(w, version, response.body);
    case 'CreatePartitions':
      return encodeCreatePartitionsResponse(w, version, response.body);
    case 'DescribeConfigs':
      return encodeDescribeConfigsResponse(w, version, response.body);
    case 'IncrementalAlterConfigs':
      return encodeIncrementalAlterConfigsResponse(w, version, response.body);
    case 'DescribeCluster':
      return encodeDescribeClusterResponse(w, version, response.body);
  }
}
