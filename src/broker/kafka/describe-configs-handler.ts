// DescribeConfigs from this node's image, as a KRaft broker answers it from its metadata cache:
// a topic (resource type 2) lists every topic config; a broker (4) is either '' (the cluster-wide
// dynamic defaults that are set) or this node's own id (its static settings and every dynamic key).
// Another broker's id is INVALID_REQUEST, as in Kafka: clients send each broker resource to that
// broker. Values, sources and synonyms follow config-entries.ts; nothing here is sensitive.
import { topicNameViolation } from '../../metadata/delta.js';
import {
  RESOURCE_TYPE,
  type DescribeConfigsRequest,
  type DescribeConfigsResource,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
} from '../../protocol/apis/describe-configs.js';
import { wireError, type WireError } from './admin-handlers.js';
import { brokerConfigEntries, clusterDefaultEntries, topicConfigEntries, topicOwnConfigs, type ConfigEntry } from './config-entries.js';
import type { RequestContext } from './context.js';

export function handleDescribeConfigs(request: DescribeConfigsRequest, context: RequestContext): DescribeConfigsResponse {
  return { throttleTimeMs: 0, results: request.resources.map((res) => describeResource(res, request, context)) };
}

function describeResource(res: DescribeConfigsResource, request: DescribeConfigsRequest, context: RequestContext): DescribeConfigsResult {
  const found = entriesOf(res, context);
  const head = { resourceType: res.resourceType, resourceName: res.resourceName };
  if (!Array.isArray(found)) return { ...head, errorCode: found.code, errorMessage: found.message, configs: [] };
  const wanted = res.configurationKeys === null ? found : found.filter((e) => res.configurationKeys!.includes(e.name));
  return { ...head, errorCode: 0, errorMessage: null, configs: wanted.map((e) => toWire(e, request)) };
}

function entriesOf(res: DescribeConfigsResource, context: RequestContext): ConfigEntry[] | WireError {
  const { image } = context;
  if (res.resourceType === RESOURCE_TYPE.TOPIC) {
    const invalid = topicNameViolation(res.resourceName);
    if (invalid !== undefined) return wireError('INVALID_TOPIC_EXCEPTION', `topic name ${JSON.stringify(res.resourceName)} ${invalid}`);
    if (!image.topicsByName.has(res.resourceName)) return wireError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${res.resourceName} does not exist`);
    return topicConfigEntries(image, topicOwnConfigs(image, res.resourceName));
  }
  if (res.resourceType === RESOURCE_TYPE.BROKER) {
    if (res.resourceName === '') return clusterDefaultEntries(image);
    const self = context.admin?.nodeId;
    if (self !== undefined && res.resourceName === String(self)) return brokerConfigEntries(image, self, context.admin!.staticConfigs);
    // Kafka's own message for this case.
    return wireError('INVALID_REQUEST', `Unexpected broker id, expected ${self ?? 'this broker'} or empty string, but received ${res.resourceName}`);
  }
  return wireError('INVALID_REQUEST', `resource type ${res.resourceType} is not described here (2: topic, 4: broker)`);
}

function toWire(e: ConfigEntry, request: DescribeConfigsRequest): DescribeConfigsResourceResult {
  return {
    name: e.name,
    value: e.value,
    readOnly: e.readOnly,
    configSource: e.source,
    isSensitive: e.isSensitive,
    synonyms: request.includeSynonyms ? e.synonyms : [],
    configType: e.configType,
    documentation: request.includeDocumentation ? e.documentation : null,
  };
}
