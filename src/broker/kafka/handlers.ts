// Routes a decoded request to its handler. Handlers are pure over their RequestContext.
import type { KafkaRequest, KafkaResponse } from '../../protocol/request.js';
import { handleIncrementalAlterConfigs } from './alter-configs-handler.js';
import { handleApiVersions } from './api-versions-handler.js';
import type { RequestContext } from './context.js';
import { handleCreatePartitions } from './create-partitions-handler.js';
import { handleCreateTopics } from './create-topics-handler.js';
import { handleDeleteTopics } from './delete-topics-handler.js';
import { handleDescribeCluster } from './describe-cluster-handler.js';
import { handleDescribeConfigs } from './describe-configs-handler.js';
import { handleMetadata } from './metadata-handler.js';

export type RequestHandler = (request: KafkaRequest, context: RequestContext) => Promise<KafkaResponse> | KafkaResponse;

export const handleRequest: RequestHandler = (request, context) => {
  switch (request.api) {
    case 'ApiVersions':
      return { api: 'ApiVersions', body: handleApiVersions() };
    case 'Metadata':
      return { api: 'Metadata', body: handleMetadata(request.body, context) };
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
