// DeleteTopics: forwarded to the active controller by name. A topic named by id (v6) is looked up
// in this node's image first (the controller service deletes by name), UNKNOWN_TOPIC_ID when the
// image does not have it; naming both a name and an id is INVALID_REQUEST, as in Kafka. An unknown
// name is the controller's UNKNOWN_TOPIC_OR_PARTITION. The answer waits, bounded by the request's
// timeout, until the deleted topics are gone from this node's image.
import type { controllerpb } from '../../metadata/controller-service.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { TopicId } from '../../metadata/types.js';
import { ZERO_UUID } from '../../protocol/apis/fields.js';
import type { DeletableTopicResult, DeleteTopicState, DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/apis/delete-topics.js';
import { awaitLocalImage, Deadline, forwardItems, fromControllerError, wireError, type Outcome, type WireError } from './admin-handlers.js';
import type { RequestContext } from './context.js';

/** A requested topic as the broker understands it: a name to send, or its own refusal. */
type Resolved = { readonly name: string } | { readonly name: string | null; readonly error: WireError };

export async function handleDeleteTopics(request: DeleteTopicsRequest, context: RequestContext): Promise<DeleteTopicsResponse> {
  const deadline = new Deadline(request.timeoutMs);
  const resolved = request.topics.map((t) => resolve(t, context.image));
  const local = resolved.map((r) => ('error' in r ? r.error : undefined));
  const names = () => ({ names: resolved.flatMap((r) => ('error' in r ? [] : [r.name])) });
  const outcomes = await forwardItems(context.admin, 'deleteTopics', local, names, (r) => r.topics, deadline);
  const deleted = outcomes.flatMap((o) => ('answer' in o && fromControllerError(o.answer.error).code === 0 && o.answer.topicId ? [o.answer.topicId as TopicId] : []));
  if (deleted.length > 0) await awaitLocalImage(context.admin, (image) => deleted.every((id) => !image.topicsById.has(id)), deadline);
  return { throttleTimeMs: 0, responses: request.topics.map((t, i) => result(t, resolved[i]!, outcomes[i]!)) };
}

function resolve(topic: DeleteTopicState, image: MetadataImage): Resolved {
  const byId = topic.topicId !== ZERO_UUID;
  // Kafka's own message for this case.
  if (topic.name !== null && byId) return { name: topic.name, error: wireError('INVALID_REQUEST', 'You may not specify both topic name and topic id.') };
  if (topic.name !== null) return { name: topic.name };
  const known = image.topicsById.get(topic.topicId as TopicId);
  return known === undefined ? { name: null, error: wireError('UNKNOWN_TOPIC_ID', `topic id ${topic.topicId} does not exist`) } : { name: known.name };
}

function result(topic: DeleteTopicState, resolved: Resolved, outcome: Outcome<controllerpb.IDeleteTopicResult>): DeletableTopicResult {
  const error = 'error' in outcome ? outcome.error : fromControllerError(outcome.answer.error);
  const answeredId = 'answer' in outcome ? outcome.answer.topicId : '';
  return { name: resolved.name, topicId: answeredId || topic.topicId, errorCode: error.code, errorMessage: error.message };
}
