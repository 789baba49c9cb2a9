// Routes a decoded request to its handler. Handlers are pure over their RequestContext, and a
// handler answering `undefined` sends no response (Produce with acks=0).
import type { KafkaRequest, KafkaResponse } from '../../protocol/request.js';
import { handleIncrementalAlterConfigs } from './alter-configs-handler.js';
import { handleApiVersions } from './api-versions-handler.js';
import type { RequestContext } from './context.js';
import type { DataPlane } from './data-plane.js';
import { handleFetch } from './fetch-handler.js';
import { handleInitProducerId } from './init-producer-id-handler.js';
import { handleCreatePartitions } from './create-partitions-handler.js';
import { handleCreateTopics } from './create-topics-handler.js';
import { handleDeleteTopics } from './delete-topics-handler.js';
import { handleDescribeCluster } from './describe-cluster-handler.js';
import { handleDescribeConfigs } from './describe-configs-handler.js';
import { handleMetadataRequest } from './metadata-handler.js';
import { handleListOffsets, handleOffsetForLeaderEpoch } from './offsets-handlers.js';
import { handleProduce } from './produce-handler.js';

export type RequestHandler = (request: KafkaRequest, context: RequestContext) => Promise<KafkaResponse | undefined> | KafkaResponse | undefined;

export const handleRequest: RequestHandler = async (request, context) => {
  switch (request.api) {
    case 'ApiVersions':
      return { api: 'ApiVersions', body: handleApiVersions() };
    case 'Metadata':
      return { api: 'Metadata', body: await handleMetadataRequest(request.body, context) };
    case 'Produce': {
      const body = await handleProduce(request.body, dataPlane(context));
      return body === undefined ? undefined : { api: 'Produce', body };
    }
    case 'Fetch':
      return { api: 'Fetch', body: await handleFetch(request.body, dataPlane(context)) };
    case 'ListOffsets':
      return { api: 'ListOffsets', body: await handleListOffsets(request.body, request.header.apiVersion, dataPlane(context)) };
    case 'OffsetForLeaderEpoch':
      return { api: 'OffsetForLeaderEpoch', body: handleOffsetForLeaderEpoch(request.body, dataPlane(context)) };
    case 'InitProducerId':
      return { api: 'InitProducerId', body: await handleInitProducerId(request.body, dataPlane(context)) };
    case 'CreateTopics':
      return handleCreateTopics(request.body, context).then((body) => ({ api: 'CreateTopics', body }));
    case 'DeleteTopics':
      return handleDeleteTopics(request.body, context).then((body) => ({ api: 'DeleteTopics', body }));
    case 'CreatePartitions':
      return handleCreatePartitions(request.body, context).then((body) => ({ api: 'CreatePartitions', body }));
    case 'DescribeConfigs':
      return { api: 'DescribeConfigs', body: handleDescribeConfigs(request.body, context) };
    case 'IncrementalAlterConfigs':
      return handleIncrementalAlterConfigs(request.body, context).then((body) => ({ api: 'IncrementalAlterConfigs', body }));
    case 'DescribeCluster':
      return { api: 'DescribeCluster', body: handleDescribeCluster(request.body, context) };
  }
};

/** Brokers always have a data plane; a listener built without one (its own tests) fails the request, closing the connection. */
function dataPlane(context: RequestContext): DataPlane {
  if (context.data === undefined) throw new Error('this listener serves no data plane');
  return context.data;
}
