// CreatePartitions: forwarded to the active controller, which grows each topic to `count`
// partitions (INVALID_PARTITIONS when that is not more, UNKNOWN_TOPIC_OR_PARTITION, placement or
// INVALID_REPLICA_ASSIGNMENT errors) per topic. The broker refuses itself only assignments the
// controller service would misread: an empty list (which it takes for "place them") and broker
// ids that cannot exist. The answer waits, bounded by the timeout, until this node's image has the
// new partitions.
import type { controllerpb } from '../../metadata/controller-service.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopic, CreatePartitionsTopicResult } from '../../protocol/apis/create-partitions.js';
import { awaitLocalImage, Deadline, forwardItems, fromControllerError, wireError, type Outcome, type WireError } from './admin-handlers.js';
import type { RequestContext } from './context.js';

export async function handleCreatePartitions(request: CreatePartitionsRequest, context: RequestContext): Promise<CreatePartitionsResponse> {
  const deadline = new Deadline(request.timeoutMs);
  const local = request.topics.map(localError);
  const sent = () => ({ topics: request.topics.filter((_, i) => local[i] === undefined).map(toController), validateOnly: request.validateOnly });
  const outcomes = await forwardItems(context.admin, 'createPartitions', local, sent, (r) => r.topics, deadline);
  const grown = request.validateOnly ? [] : request.topics.filter((_, i) => errorOf(outcomes[i]!).code === 0);
  if (grown.length > 0) await awaitLocalImage(context.admin, (image) => grown.every((t) => (image.topicsByName.get(t.name)?.partitions.size ?? 0) >= t.count), deadline);
  return { throttleTimeMs: 0, results: request.topics.map((t, i): CreatePartitionsTopicResult => ({ name: t.name, errorCode: errorOf(outcomes[i]!).code, errorMessage: errorOf(outcomes[i]!).message })) };
}

const errorOf = (outcome: Outcome<controllerpb.ICreatePartitionsResult>): WireError => ('error' in outcome ? outcome.error : fromControllerError(outcome.answer.error));

function localError(topic: CreatePartitionsTopic): WireError | undefined {
  if (topic.assignments === null) return undefined;
  if (topic.assignments.length === 0) return wireError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: an empty assignment list assigns no new partition`);
  const bad = topic.assignments.flat().find((id) => id <= 0);
  return bad === undefined ? undefined : wireError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic.name}: broker ${bad} is not registered`);
}

function toController(topic: CreatePartitionsTopic): controllerpb.ICreatePartitionsTopic {
  // The controller service numbers the new partitions' assignments from 0.
  const assignments = (topic.assignments ?? []).map((brokerIds, partition) => ({ partition, brokerIds: [...brokerIds] }));
  return { name: topic.name, count: topic.count, assignments };
}
