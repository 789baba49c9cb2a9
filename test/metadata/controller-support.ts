// Shared by the controller command tests: replay a command's records the way every node will (one
// batch, one raft index), and build clusters through the commands themselves.
import assert from 'node:assert/strict';
import { logIndex } from '../../src/raft/core/types.js';
import { MetadataDelta } from '../../src/metadata/delta.js';
import { EMPTY_IMAGE, findImageViolations, type MetadataImage } from '../../src/metadata/image.js';
import { brokerHeartbeat, registerBroker, createTopics, type ControllerResult, type CreateTopicRequest } from '../../src/metadata/controller/index.js';
import { brokerId, incarnationId, topicId, type BrokerId, type TopicId } from '../../src/metadata/types.js';

/** The image after replaying `result`'s records as one batch at the next index; checks it is sound. */
export function applyResult(image: MetadataImage, result: ControllerResult<unknown>): MetadataImage {
  if (result.records.length === 0) return image;
  const delta = new MetadataDelta(image);
  for (const record of result.records) delta.replay(record, logIndex(image.offset + 1));
  const next = delta.apply().image;
  assert.deepEqual(findImageViolations(next), []);
  return next;
}

/** Runs a command and applies its records: the new image and the response. */
export function run<T>(image: MetadataImage, result: ControllerResult<T>): { image: MetadataImage; response: T } {
  return { image: applyResult(image, result), response: result.response };
}

export const incarnation = (id: number, generation = 0): ReturnType<typeof incarnationId> =>
  incarnationId(`22222222-${generation.toString(16).padStart(4, '0')}-4000-8000-${id.toString(16).padStart(12, '0')}`);

export function registration(id: number, generation = 0, rack: string | null = null) {
  return {
    brokerId: brokerId(id),
    incarnationId: incarnation(id, generation),
    endpoints: [{ listener: 'PLAINTEXT', host: `broker${id}`, port: 9092, securityProtocol: 'PLAINTEXT' as const }],
    rack,
  };
}

/** Registers broker `id` and, unless `fenced`, unfences it with a caught-up heartbeat. */
export function addBroker(image: MetadataImage, id: number, opts: { fenced?: boolean; rack?: string | null; generation?: number } = {}): MetadataImage {
  const reg = run(image, registerBroker(image, registration(id, opts.generation ?? 0, opts.rack ?? null), { sessionAlive: false }));
  assert.equal(reg.response.error, undefined);
  if (opts.fenced === true) return reg.image;
  const beat = brokerHeartbeat(reg.image, { brokerId: brokerId(id), brokerEpoch: reg.response.brokerEpoch, caughtUp: true, wantFence: false, wantShutDown: false });
  assert.equal(beat.response.error, undefined);
  return applyResult(reg.image, beat);
}

export function clusterOf(ids: readonly number[], base: MetadataImage = EMPTY_IMAGE): MetadataImage {
  return ids.reduce((image, id) => addBroker(image, id), base);
}

/** Deterministic topic ids: 1, 2, 3, ... */
export function idSource(start = 1): () => TopicId {
  let next = start;
  return () => topicId(`00000000-0000-4000-8000-${(next++).toString(16).padStart(12, '0')}`);
}

export function topicRequest(name: string, numPartitions: number, replicationFactor: number, extra: Partial<CreateTopicRequest> = {}): CreateTopicRequest {
  return { name, numPartitions, replicationFactor, assignments: null, configs: new Map(), ...extra };
}

export const DEFAULTS = { numPartitions: 1, replicationFactor: 1 };

/** Creates topics (must succeed) and returns the new image. */
export function withTopics(image: MetadataImage, reqs: readonly CreateTopicRequest[], newTopicId = idSource()): MetadataImage {
  const result = createTopics(image, reqs, { defaults: DEFAULTS, newTopicId, validateOnly: false });
  for (const r of result.response) assert.equal(r.error, undefined, r.error?.message);
  return applyResult(image, result);
}

export const b = brokerId;
export const bs = (...ids: number[]): BrokerId[] => ids.map(brokerId);
