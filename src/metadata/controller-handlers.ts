// The controller service's gRPC handlers: each turns a request into a command of controller/ run
// by the QuorumController, and its result (or error) into the response. Requests are checked for
// shape here (ids, UUIDs, enums); whether they fit the cluster is the commands' job.
import type { LogIndex } from '../raft/core/types.js';
import { RaftError } from '../raft/errors.js';
import { alterConfigs, alterPartition, allocateProducerIds, brokerHeartbeat, createPartitions, createTopics, deleteTopics, electPreferredLeaders, fenceBroker, registerBroker } from './controller/index.js';
import type { ApiError } from './errors.js';
import type { ControllerHandlers, RequestOf, ResponseOf, controllerpb } from './controller-service.js';
import { ControllerError, REBALANCE_MOVES_MAX, type QuorumController } from './quorum-controller.js';
import type { MetadataImage, PartitionRegistration } from './image.js';
import type { ConfigResourceType, Endpoint, SecurityProtocol } from './records.js';
import { brokerEpoch, brokerId, incarnationId, isValidTopicId, leaderEpoch, partitionEpoch, partitionIndex, type BrokerId, type TopicId } from './types.js';
import type * as grpc from '@grpc/grpc-js';

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
/** Bounds on one request, so a request cannot make the controller build unbounded work. */
export const TOPICS_PER_REQUEST_MAX = 10_000;
export const CONFIG_OPS_PER_REQUEST_MAX = 10_000;

type Reply<K extends keyof ControllerHandlers> = ResponseOf<K> & { error?: controllerpb.IError | null };

/** A request that is malformed on its face: answered INVALID_REQUEST, nothing runs. */
class InvalidRequest extends ControllerError {
  constructor(message: string) {
    super('INVALID_REQUEST', message, false);
  }
}

export function controllerHandlers(controller: QuorumController): ControllerHandlers {
  controller.periodic = {
    fence: (id) => controller.run('fence broker', (image) => fenceBroker(image, id)),
    rebalance: () => controller.run('rebalance', (image) => electPreferredLeaders(image, REBALANCE_MOVES_MAX)),
  };
  const now = () => (controller.options.now ?? Date.now)();
  return {
    registerBroker: unary('registerBroker', async (req) => {
      if (req.clusterId !== controller.options.clusterId) throw new ControllerError('INCONSISTENT_CLUSTER_ID', `broker's cluster id ${JSON.stringify(req.clusterId)} is not this cluster's (${controller.options.clusterId})`, false);
      const id = positiveId(req.brokerId, 'broker id');
      const request = { brokerId: id, incarnationId: uuid(req.incarnationId ?? '', 'incarnation id', incarnationId), endpoints: (req.endpoints ?? []).map(endpoint), rack: req.rack ?? null };
      const response = await controller.run(
        'register broker',
        (image) => {
          const existing = image.brokers.get(id);
          const sessionAlive = existing !== undefined && controller.sessions.isAlive(id, existing.epoch, now());
          return registerBroker(image, request, { sessionAlive });
        },
        (r, offset) => r.error === undefined && controller.sessions.registered(id, r.brokerEpoch, offset, now()),
      );
      return { error: apiError(response.error), brokerEpoch: response.brokerEpoch };
    }),

    brokerHeartbeat: unary('brokerHeartbeat', async (req) => {
      const id = positiveId(req.brokerId, 'broker id');
      const epoch = brokerEpoch(Number(req.brokerEpoch ?? 0));
      if (!controller.isActive) throw controller.notController();
      controller.sessions.heartbeat(id, epoch, now());
      const caughtUp = controller.sessions.caughtUp(id, Number(req.currentMetadataOffset ?? 0) as LogIndex);
      const wasFenced = controller.image.brokers.get(id)?.fenced ?? true;
      const response = await controller.run('broker heartbeat', (image) => brokerHeartbeat(image, { brokerId: id, brokerEpoch: epoch, caughtUp, wantFence: req.wantFence === true, wantShutDown: req.wantShutDown === true }));
      if (wasFenced && !response.isFenced && response.error === undefined) controller.rebalanceSoon();
      return { error: apiError(response.error), isCaughtUp: caughtUp, isFenced: response.isFenced, shouldShutDown: response.shouldShutDown };
    }),

    createTopics: unary('createTopics', async (req) => {
      const topics = req.topics ?? [];
      if (topics.length > TOPICS_PER_REQUEST_MAX) throw new InvalidRequest(`${topics.length} topics in one request; at most ${TOPICS_PER_REQUEST_MAX}`);
      const requests = topics.map((t) => ({
        name: t.name ?? '',
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: t.assignments !== undefined && t.assignments !== null && t.assignments.length > 0 ? assignmentList(t.assignments, t.name ?? '') : null,
        configs: new Map((t.configs ?? []).map((c) => [c.key ?? '', c.value ?? ''])),
      }));
      const validateOnly = req.validateOnly === true;
      const defaults = { numPartitions: controller.options.defaultPartitions, replicationFactor: controller.options.defaultReplicationFactor };
      const results = await controller.run('create topics', (image) => createTopics(image, requests, { defaults, newTopicId: () => controller.newTopicId(image), validateOnly }));
      return { topics: results.map((r) => ({ name: r.name, topicId: r.topicId ?? '', error: apiError(r.error), numPartitions: r.numPartitions, replicationFactor: r.replicationFactor })) };
    }),

    deleteTopics: unary('deleteTopics', async (req) => {
      const names = req.names ?? [];
      if (names.length > TOPICS_PER_REQUEST_MAX) throw new InvalidRequest(`${names.length} topics in one request; at most ${TOPICS_PER_REQUEST_MAX}`);
      const results = await controller.run('delete topics', (image) => deleteTopics(image, names));
      return { topics: results.map((r) => ({ name: r.name, topicId: r.topicId ?? '', error: apiError(r.error) })) };
    }),

    createPartitions: unary('createPartitions', async (req) => {
      const topics = req.topics ?? [];
      if (topics.length > TOPICS_PER_REQUEST_MAX) throw new InvalidRequest(`${topics.length} topics in one request; at most ${TOPICS_PER_REQUEST_MAX}`);
      const requests = topics.map((t) => ({ name: t.name ?? '', count: t.count ?? 0, assignments: t.assignments && t.assignments.length > 0 ? assignmentList(t.assignments, t.name ?? '') : null }));
      const results = await controller.run('create partitions', (image) => createPartitions(image, requests, { validateOnly: req.validateOnly === true }));
      return { topics: results.map((r) => ({ name: r.name, error: apiError(r.error) })) };
    }),

    alterConfigs: unary('alterConfigs', async (req) => {
      const ops = req.ops ?? [];
      if (ops.length > CONFIG_OPS_PER_REQUEST_MAX) throw new InvalidRequest(`${ops.length} config operations in one request; at most ${CONFIG_OPS_PER_REQUEST_MAX}`);
      const parsed = ops.map((o) => ({ resourceType: resourceType(o.resourceType ?? ''), resourceName: o.resourceName ?? '', key: o.key ?? '', op: configOp(o.op ?? ''), value: o.value ?? '' }));
      const results = await controller.run('alter configs', (image) => alterConfigs(image, parsed, { validateOnly: req.validateOnly === true }));
      return { resources: results.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, error: apiError(r.error) })) };
    }),

    alterPartition: unary('alterPartition', async (req) => {
      const request = {
        brokerId: positiveId(req.brokerId, 'broker id'),
        brokerEpoch: brokerEpoch(Number(req.brokerEpoch ?? 0)),
        topicId: uuid(req.topicId ?? '', 'topic id', (s) => s as TopicId, isValidTopicId),
        partition: partitionIndex(nonNegative(req.partition, 'partition')),
        leaderEpoch: leaderEpoch(nonNegative(req.leaderEpoch, 'leader epoch')),
        partitionEpoch: partitionEpoch(nonNegative(req.partitionEpoch, 'partition epoch')),
        newIsr: (req.newIsr ?? []).map((n) => positiveId(n, 'ISR member')),
      };
      const response = await controller.run('alter partition', (image) => alterPartition(image, request));
      return { error: apiError(response.error), partition: response.partition ? partitionState(request.topicId, request.partition, response.partition) : null };
    }),

    allocateProducerIds: unary('allocateProducerIds', async (req) => {
      const request = { brokerId: positiveId(req.brokerId, 'broker id'), brokerEpoch: brokerEpoch(Number(req.brokerEpoch ?? 0)) };
      const response = await controller.run('allocate producer ids', (image) => allocateProducerIds(image, request));
      return { error: apiError(response.error), producerIdStart: response.start, producerIdLen: response.length };
    }),

    describeCluster: unary('describeCluster', async () => {
      if (!controller.isActive) throw controller.notController();
      const readIndex = await controller.options.node.read();
      if (!controller.isActive) throw controller.notController();
      return describeImage(controller.image, controller.options.clusterId, controller.options.node.id, readIndex);
    }),

    describeQuorum: unary('describeQuorum', async () => {
      const status = controller.options.node.status();
      if (status.role !== 'leader') throw controller.notController();
      const replica = (id: number, match: number, voter: boolean) => ({ id, logEndOffset: match, lag: Math.max(0, status.lastIndex - match), voter });
      const voters = new Set<number>(status.conf.voters);
      const peers = status.peers.map((p) => replica(p.id, p.match, voters.has(p.id)));
      return {
        leaderId: status.id,
        leaderEpoch: status.term,
        highWatermark: status.commit,
        voters: [replica(status.id, status.lastIndex, true), ...peers.filter((p) => p.voter)].sort((a, b) => a.id - b.id),
        observers: peers.filter((p) => !p.voter).sort((a, b) => a.id - b.id),
      };
    }),
  };
}

/** Wraps a handler: thrown ControllerErrors (and anything else) become the response's `error`. */
function unary<K extends keyof ControllerHandlers>(name: K, handle: (request: RequestOf<K>) => Promise<Reply<K>>): ControllerHandlers[K] {
  const handler = (call: grpc.ServerUnaryCall<RequestOf<K>, ResponseOf<K>>, callback: grpc.sendUnaryData<ResponseOf<K>>) => {
    handle(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(null, { error: errorReply(error, name) } as ResponseOf<K>),
    );
  };
  return handler as ControllerHandlers[K];
}

function errorReply(error: unknown, method: string): controllerpb.IError {
  if (error instanceof ControllerError) return { code: error.code, message: error.message, retriable: error.retriable, leaderId: error.leaderId };
  if (error instanceof RaftError) return { code: error.code === 'NOT_LEADER' ? 'NOT_CONTROLLER' : 'UNKNOWN_SERVER_ERROR', message: error.message, retriable: error.retriable, leaderId: error.leader ?? 0 };
  return { code: 'UNKNOWN_SERVER_ERROR', message: `${method}: ${error instanceof Error ? error.message : String(error)}`, retriable: false };
}

function apiError(error: ApiError | undefined): controllerpb.IError | null {
  return error === undefined ? null : { code: error.code, message: error.message, retriable: false };
}

// ---------------------------------------------------------------------------------------------
// Shape checks of request fields.

function positiveId(value: number | null | undefined, what: string): BrokerId {
  if (value === null || value === undefined || !Number.isInteger(value) || value <= 0) throw new InvalidRequest(`${what} must be a positive integer, got ${value}`);
  return brokerId(value);
}

function nonNegative(value: number | null | undefined, what: string): number {
  const n = value ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new InvalidRequest(`${what} must be a non-negative integer, got ${n}`);
  return n;
}

function uuid<T>(text: string, what: string, make: (s: string) => T, valid: (s: string) => boolean = (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s)): T {
  if (!valid(text)) throw new InvalidRequest(`${what} ${JSON.stringify(text)} is not a canonical UUID`);
  return make(text);
}

function endpoint(e: controllerpb.IEndpoint): Endpoint {
  const securityProtocol = PROTOCOLS.find((p) => p === (e.securityProtocol || 'PLAINTEXT'));
  if (securityProtocol === undefined) throw new InvalidRequest(`unknown security protocol ${JSON.stringify(e.securityProtocol)}`);
  const port = e.port ?? 0;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new InvalidRequest(`endpoint ${e.listener}: port ${port} is not in 1..65535`);
  return { listener: e.listener ?? '', host: e.host ?? '', port, securityProtocol };
}

function assignmentList(assignments: readonly controllerpb.IReplicaAssignment[], topic: string): BrokerId[][] {
  const sorted = [...assignments].sort((a, b) => (a.partition ?? 0) - (b.partition ?? 0));
  sorted.forEach((a, i) => {
    if ((a.partition ?? 0) !== i) throw new ControllerError('INVALID_REPLICA_ASSIGNMENT', `topic ${topic}: replica assignments must cover partitions 0..${sorted.length - 1} once each`, false);
  });
  return sorted.map((a) => (a.brokerIds ?? []).map((id) => positiveId(id, 'assigned broker id')));
}

function resourceType(text: string): ConfigResourceType {
  if (text === 'topic' || text === 'broker') return text;
  throw new InvalidRequest(`config resource type must be "topic" or "broker", got ${JSON.stringify(text)}`);
}

function configOp(text: string): 'set' | 'delete' {
  if (text === 'set' || text === 'delete') return text;
  throw new InvalidRequest(`config operation must be "set" or "delete", got ${JSON.stringify(text)}`);
}

// ---------------------------------------------------------------------------------------------
// Images as responses.

function partitionState(topicId: TopicId, index: number, p: PartitionRegistration): controllerpb.IPartitionState {
  return { topicId, partition: index, replicas: [...p.replicas], isr: [...p.isr], leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
}

export function describeImage(image: MetadataImage, clusterId: string, controllerId: number, readIndex: LogIndex): ResponseOf<'describeCluster'> {
  const brokers = [...image.brokers.values()].sort((a, b) => a.id - b.id).map((b) => ({
    id: b.id,
    epoch: b.epoch,
    incarnationId: b.incarnationId,
    endpoints: b.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
    ...(b.rack === null ? {} : { rack: b.rack }),
    fenced: b.fenced,
  }));
  const topics = [...image.topicsByName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((t) => ({
      name: t.name,
      topicId: t.id,
      partitions: [...t.partitions].sort(([a], [b]) => a - b).map(([i, p]) => partitionState(t.id, i, p)),
      configs: [...(image.configs.topic.get(t.name) ?? new Map<string, string>())].map(([key, value]) => ({ key, value })),
    }));
  return { clusterId, controllerId, metadataOffset: Math.max(readIndex, image.offset), brokers, topics };
}
