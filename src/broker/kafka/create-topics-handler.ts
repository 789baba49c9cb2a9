// CreateTopics: forwarded to the active controller, which validates names, counts, placement and
// configs and answers per topic (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
// INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION, ...). The broker itself refuses
// only what the controller service cannot express per topic (a null config value, a malformed
// assignment) so that one bad topic cannot fail the others. v5+ answers carry the partition count,
// replication factor and the topic's configs (KIP-525), v7 the topic id.
import type { controllerpb } from '../../metadata/controller-service.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { TopicId } from '../../metadata/types.js';
import { ZERO_UUID } from '../../protocol/apis/fields.js';
import type { CreatableTopic, CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/apis/create-topics.js';
import { awaitLocalImage, Deadline, forwardItems, fromControllerError, wireError, type Outcome, type WireError } from './admin-handlers.js';
import { topicConfigEntries } from './config-entries.js';
import type { RequestContext } from './context.js';

export async function handleCreateTopics(request: CreateTopicsRequest, context: RequestContext): Promise<CreateTopicsResponse> {
  const deadline = new Deadline(request.timeoutMs);
  const local = request.topics.map(localError);
  const sent = () => ({ topics: request.topics.filter((_, i) => local[i] === undefined).map(toController), validateOnly: request.validateOnly });
  const outcomes = await forwardItems(context.admin, 'createTopics', local, sent, (r) => r.topics, deadline);
  const created = request.validateOnly ? [] : createdIds(outcomes);
  if (created.length > 0) await awaitLocalImage(context.admin, (image) => created.every((id) => image.topicsById.has(id)), deadline);
  return { throttleTimeMs: 0, topics: request.topics.map((t, i) => result(t, outcomes[i]!, context.image, request.validateOnly)) };
}

function createdIds(outcomes: readonly Outcome<controllerpb.ICreateTopicResult>[]): TopicId[] {
  return outcomes.flatMap((o) => ('answer' in o && fromControllerError(o.answer.error).code === 0 && o.answer.topicId ? [o.answer.topicId as TopicId] : []));
}

/** Why the broker refuses a topic before asking the controller, or undefined. */
function localError(topic: CreatableTopic): WireError | undefined {
  const nullValued = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  // Kafka's own message for this case.
  if (nullValued.length > 0) return wireError('INVALID_CONFIG', `Null value not supported for topic configs: ${nullValued.join(',')}`);
  const names = topic.configs.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return wireError('INVALID_CONFIG', `topic ${topic.name}: config ${twice} is given more than once`);
  return assignmentError(topic);
}

/** The controller service wants partitions 0..n-1 once each and positive broker ids. */
function assignmentError(topic: CreatableTopic): WireError | undefined {
  const indices = topic.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
  if (indices.some((p, i) => p !== i)) return wireError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: replica assignments must cover partitions 0..${indices.length - 1} once each`);
  const bad = topic.assignments.flatMap((a) => a.brokerIds).find((id) => id <= 0);
  return bad === undefined ? undefined : wireError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: broker ${bad} is not registered`);
}

function toController(topic: CreatableTopic): controllerpb.ICreatableTopic {
  return {
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments: topic.assignments.map((a) => ({ partition: a.partitionIndex, brokerIds: [...a.brokerIds] })),
    configs: topic.configs.map((c) => ({ key: c.name, value: c.value ?? '' })),
  };
}

function result(topic: CreatableTopic, outcome: Outcome<controllerpb.ICreateTopicResult>, image: MetadataImage, validateOnly: boolean): CreatableTopicResult {
  const error = 'error' in outcome ? outcome.error : fromControllerError(outcome.answer.error);
  if (error.code !== 0 || !('answer' in outcome)) {
    return { name: topic.name, topicId: ZERO_UUID, errorCode: error.code, errorMessage: error.message, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
  }
  const own = new Map(topic.configs.map((c) => [c.name, c.value ?? '']));
  const configs = topicConfigEntries(image, own).map((e) => ({ name: e.name, value: e.value, readOnly: e.readOnly, configSource: e.source, isSensitive: e.isSensitive }));
  const topicId = validateOnly || !outcome.answer.topicId ? ZERO_UUID : outcome.answer.topicId;
  return {
    name: topic.name,
    topicId,
    errorCode: 0,
    errorMessage: null,
    topicConfigErrorCode: 0,
    numPartitions: outcome.answer.numPartitions ?? -1,
    replicationFactor: outcome.answer.replicationFactor ?? -1,
    configs,
  };
}
