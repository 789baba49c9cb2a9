// Metadata from one image: unfenced brokers with their endpoint on the request's listener, the
// requested topics (all of them when the request says so), and each partition's leader, epoch,
// replicas, ISR and offline replicas. Topic auto-creation is a broker setting, off by default
// (unlike Kafka): then an unknown topic is UNKNOWN_TOPIC_OR_PARTITION. With it on, a request that
// allows it asks the controller to create each unknown topic with the cluster's defaults and
// answers LEADER_NOT_AVAILABLE for it, as Kafka does: the client asks again shortly.
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../metadata/image.js';
import { NO_LEADER, type TopicId } from '../../metadata/types.js';
import {
  AUTHORIZED_OPERATIONS_UNKNOWN,
  ZERO_UUID,
  type MetadataRequest,
  type MetadataRequestTopic,
  type MetadataResponse,
  type MetadataResponseBroker,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from '../../protocol/apis/metadata.js';
import type { RequestContext } from './context.js';

/** Kafka's internal topics; clients hide them unless asked. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** Metadata, creating unknown topics first when the broker and the request allow it. */
export async function handleMetadataRequest(request: MetadataRequest, context: RequestContext): Promise<MetadataResponse> {
  const response = handleMetadata(request, context);
  const admin = context.admin;
  if (admin === undefined || !admin.autoCreateTopics || !request.allowAutoTopicCreation) return response;
  const unknown = response.topics.filter((t) => t.errorCode === KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION.code && t.name !== null && isCreatableName(t.name));
  if (unknown.length === 0) return response;
  // Fire and forget: the answer does not wait for the controller, the client's retry finds the topic.
  admin.controller.call('createTopics', { topics: unknown.map((t) => ({ name: t.name!, numPartitions: -1, replicationFactor: -1 })) }).catch(() => undefined);
  const created = new Set(unknown.map((t) => t.name));
  return { ...response, topics: response.topics.map((t) => (created.has(t.name) ? { ...t, errorCode: KAFKA_ERRORS.LEADER_NOT_AVAILABLE.code } : t)) };
}

/** Kafka's legal topic names (the controller checks again); internal-looking names are never auto-created. */
const isCreatableName = (name: string): boolean => /^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..' && !name.startsWith('__');

export function handleMetadata(request: MetadataRequest, context: RequestContext): MetadataResponse {
  const { image } = context;
  const topics = request.topics === null ? [...image.topicsByName.values()].map((t) => describeTopic(t, image)) : request.topics.map((t) => lookUp(t, image));
  return {
    throttleTimeMs: 0,
    brokers: brokers(image, context.listenerName),
    clusterId: context.clusterId,
    controllerId: context.controllerId,
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  };
}

function brokers(image: MetadataImage, listenerName: string): MetadataResponseBroker[] {
  const out: MetadataResponseBroker[] = [];
  for (const b of image.brokers.values()) {
    const endpoint = b.endpoints.find((e) => e.listener === listenerName);
    // A broker without this listener is invisible to clients of it, as in Kafka.
    if (b.fenced || endpoint === undefined) continue;
    out.push({ nodeId: b.id, host: endpoint.host, port: endpoint.port, rack: b.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

function lookUp(requested: MetadataRequestTopic, image: MetadataImage): MetadataResponseTopic {
  if (requested.name !== null) {
    const topic = image.topicsByName.get(requested.name);
    return topic === undefined ? missing('UNKNOWN_TOPIC_OR_PARTITION', requested.name, ZERO_UUID) : describeTopic(topic, image);
  }
  const topic = image.topicsById.get(requested.topicId as TopicId);
  return topic === undefined ? missing('UNKNOWN_TOPIC_ID', null, requested.topicId) : describeTopic(topic, image);
}

function missing(error: 'UNKNOWN_TOPIC_OR_PARTITION' | 'UNKNOWN_TOPIC_ID', name: string | null, topicId: string): MetadataResponseTopic {
  return { errorCode: KAFKA_ERRORS[error].code, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN };
}

function describeTopic(topic: TopicImage, image: MetadataImage): MetadataResponseTopic {
  const partitions = [...topic.partitions.entries()].sort(([a], [b]) => a - b).map(([index, p]) => describePartition(index, p, image));
  return { errorCode: KAFKA_ERRORS.NONE.code, name: topic.name, topicId: topic.id, isInternal: INTERNAL_TOPICS.has(topic.name), partitions, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN };
}

function describePartition(index: number, p: PartitionRegistration, image: MetadataImage): MetadataResponsePartition {
  // Kafka reports LEADER_NOT_AVAILABLE for a partition without a leader, and lists fenced replicas as offline.
  const errorCode = p.leader === NO_LEADER ? KAFKA_ERRORS.LEADER_NOT_AVAILABLE.code : KAFKA_ERRORS.NONE.code;
  const offlineReplicas = p.replicas.filter((r) => image.brokers.get(r)?.fenced !== false);
  return { errorCode, partitionIndex: index, leaderId: p.leader, leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas, isrNodes: p.isr, offlineReplicas };
}
