// A controller for the admin handler tests: the real controller commands (src/metadata/controller)
// over an in-memory image, answering in the controller service's shape, with the broker's own image
// published separately so a test can hold it back (a broker that has not replayed the change yet).
// It can also be unreachable (ControllerUnavailableError) or silent (never answers).
import { ControllerUnavailableError } from '../../src/metadata/controller-client.js';
import type { RequestOf, ResponseOf, controllerpb } from '../../src/metadata/controller-service.js';
import { alterConfigs, createPartitions, createTopics, deleteTopics, type ControllerResult } from '../../src/metadata/controller/index.js';
import type { ApiError } from '../../src/metadata/errors.js';
import type { MetadataImage } from '../../src/metadata/image.js';
import { brokerId } from '../../src/metadata/types.js';
import { awaitImage, staticBrokerConfigs, type ImageSource } from '../../src/broker/kafka/admin-handlers.js';
import type { AdminController, AdminControllerMethod, AdminView, RequestContext } from '../../src/broker/kafka/context.js';
import { SERVER_DEFAULTS, type ServerConfig } from '../../src/server/config.js';
import { nodeId } from '../../src/raft/core/types.js';
import { applyResult, clusterOf, idSource } from '../metadata/controller-support.js';

export type ControllerMode = 'up' | 'unreachable' | 'silent';

/** The broker's image: what handlers read, published when the test says so. */
export class BrokerImage implements ImageSource {
  private readonly listeners = new Set<(image: MetadataImage) => void>();

  constructor(public image: MetadataImage) {}

  publish(image: MetadataImage): void {
    this.image = image;
    for (const l of [...this.listeners]) l(image);
  }

  subscribe(listener: (image: MetadataImage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** As the controller service reads assignments: ordered by partition (the broker checked they cover 0..n-1). */
const byPartition = (assignments: readonly controllerpb.IReplicaAssignment[]) =>
  [...assignments].sort((a, b) => (a.partition ?? 0) - (b.partition ?? 0)).map((a) => (a.brokerIds ?? []).map(brokerId));

const protoError = (e: ApiError | undefined): controllerpb.IError | null => (e === undefined ? null : { code: e.code, message: e.message });

export class TestController implements AdminController {
  mode: ControllerMode = 'up';
  /** When false, committed changes reach `broker` only on release(). */
  publishAtOnce = true;
  readonly calls: { method: AdminControllerMethod; request: unknown }[] = [];
  private readonly newTopicId = idSource();

  constructor(public image: MetadataImage, readonly broker: BrokerImage) {}

  static withBrokers(ids: readonly number[]): TestController {
    const image = clusterOf(ids);
    return new TestController(image, new BrokerImage(image));
  }

  /** Publishes the controller's image to the broker. */
  release(): void {
    this.broker.publish(this.image);
  }

  call<K extends AdminControllerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    this.calls.push({ method, request });
    if (this.mode === 'unreachable') return Promise.reject(new ControllerUnavailableError('CONTROLLER_UNAVAILABLE', 'no controller answered'));
    if (this.mode === 'silent') return new Promise(() => undefined);
    return Promise.resolve(this.answer(method, request) as ResponseOf<K>);
  }

  private commit<T>(result: ControllerResult<T>): T {
    this.image = applyResult(this.image, result);
    if (this.publishAtOnce) this.release();
    return result.response;
  }

  private answer(method: AdminControllerMethod, request: unknown): unknown {
    switch (method) {
      case 'createTopics':
        return this.createTopics(request as RequestOf<'createTopics'>);
      case 'deleteTopics':
        return this.deleteTopics(request as RequestOf<'deleteTopics'>);
      case 'createPartitions':
        return this.createPartitions(request as RequestOf<'createPartitions'>);
      case 'alterConfigs':
        return this.alterConfigs(request as RequestOf<'alterConfigs'>);
    }
  }

  private createTopics(req: RequestOf<'createTopics'>): ResponseOf<'createTopics'> {
    const reqs = (req.topics ?? []).map((t) => ({
      name: t.name ?? '',
      numPartitions: t.numPartitions ?? -1,
      replicationFactor: t.replicationFactor ?? -1,
      assignments: t.assignments && t.assignments.length > 0 ? byPartition(t.assignments) : null,
      configs: new Map((t.configs ?? []).map((c) => [c.key ?? '', c.value ?? ''])),
    }));
    const ctx = { defaults: { numPartitions: 2, replicationFactor: 1 }, newTopicId: this.newTopicId, validateOnly: req.validateOnly === true };
    const results = this.commit(createTopics(this.image, reqs, ctx));
    return { topics: results.map((r) => ({ name: r.name, topicId: r.topicId ?? '', error: protoError(r.error), numPartitions: r.numPartitions, replicationFactor: r.replicationFactor })) };
  }

  private deleteTopics(req: RequestOf<'deleteTopics'>): ResponseOf<'deleteTopics'> {
    const results = this.commit(deleteTopics(this.image, req.names ?? []));
    return { topics: results.map((r) => ({ name: r.name, topicId: r.topicId ?? '', error: protoError(r.error) })) };
  }

  private createPartitions(req: RequestOf<'createPartitions'>): ResponseOf<'createPartitions'> {
    const reqs = (req.topics ?? []).map((t) => ({ name: t.name ?? '', count: t.count ?? 0, assignments: t.assignments && t.assignments.length > 0 ? byPartition(t.assignments) : null }));
    const results = this.commit(createPartitions(this.image, reqs, { validateOnly: req.validateOnly === true }));
    return { topics: results.map((r) => ({ name: r.name, error: protoError(r.error) })) };
  }

  private alterConfigs(req: RequestOf<'alterConfigs'>): ResponseOf<'alterConfigs'> {
    const ops = (req.ops ?? []).map((o) => ({
      resourceType: o.resourceType === 'broker' ? ('broker' as const) : ('topic' as const),
      resourceName: o.resourceName ?? '',
      key: o.key ?? '',
      op: o.op === 'delete' ? ('delete' as const) : ('set' as const),
      value: o.value ?? '',
    }));
    const results = this.commit(alterConfigs(this.image, ops, { validateOnly: req.validateOnly === true }));
    return { resources: results.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, error: protoError(r.error) })) };
  }
}

export const TEST_NODE_ID = 1;

export function testServerConfig(): ServerConfig {
  const kafka = { name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 };
  return {
    ...SERVER_DEFAULTS,
    nodeId: nodeId(TEST_NODE_ID),
    roles: new Set(['broker', 'controller']),
    controllerQuorum: new Map([[nodeId(TEST_NODE_ID), '127.0.0.1:9093']]),
    listeners: [kafka, { name: 'CONTROLLER', host: '127.0.0.1', port: 9093 }],
    advertisedListeners: [kafka],
    dataDir: '/tmp/flotilla-test',
  };
}

export function adminView(controller: TestController, autoCreateTopics = false): AdminView {
  return {
    controller,
    awaitImage: (ready, timeoutMs) => awaitImage(controller.broker, ready, timeoutMs),
    nodeId: TEST_NODE_ID,
    autoCreateTopics,
    staticConfigs: staticBrokerConfigs(testServerConfig()),
  };
}

/** A request's context as the listener builds it: the broker's image of the moment. */
export function contextOf(controller: TestController, listenerName = 'PLAINTEXT'): RequestContext {
  return { image: controller.broker.image, clusterId: 'test-cluster', controllerId: TEST_NODE_ID, listenerName, admin: adminView(controller) };
}
