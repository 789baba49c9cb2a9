// In-process replication: ReplicaManagers over memory logs, a metadata image driven by the real
// controller commands, and follower fetches delivered by direct calls to the leader's
// serveFollowerFetch, with links that can be cut. No gRPC, no processes: the replica layer alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { MemoryPartitionLog } from '../../src/broker/log/memory-log.js';
import { serveFollowerFetch } from '../../src/broker/replica/leader-fetch.js';
import { ReplicaManager, type ReplicaManagerConfig } from '../../src/broker/replica/replica-manager.js';
import { alterConfigs, alterPartition, brokerHeartbeat, createTopics, fenceBroker, registerBroker, type AlterConfigOp, type CreateTopicRequest } from '../../src/metadata/controller/index.js';
import { EMPTY_IMAGE, type MetadataImage, type PartitionRegistration } from '../../src/metadata/image.js';
import { brokerEpoch, brokerId, partitionIndex, type BrokerId, type TopicId } from '../../src/metadata/types.js';
import { silentLogger } from '../../src/util/log.js';
import { applyResult, idSource, incarnation } from '../metadata/controller-support.js';

export class ReplicationHarness {
  image: MetadataImage = EMPTY_IMAGE;
  readonly managers = new Map<number, ReplicaManager>();
  /** Cut links "from->to": a follower `from` cannot fetch from leader `to`. */
  private readonly cut = new Set<string>();
  private readonly isolated = new Set<number>();
  private readonly newTopicId = idSource();

  private constructor(private readonly dir: string) {}

  /** Flushes requested of every log, by broker id. */
  readonly flushes = new Map<number, number>();
  /** Config changes handed to every log (reconfigure calls), by broker id. */
  readonly reconfigures = new Map<number, number>();

  static async start(ids: readonly number[], config: Partial<ReplicaManagerConfig> = {}): Promise<ReplicationHarness> {
    const h = new ReplicationHarness(await mkdtemp(join(tmpdir(), 'flotilla-repl-')));
    for (const id of ids) h.register(id);
    for (const id of ids) h.managers.set(id, h.manager(id, config));
    await h.publish();
    return h;
  }

  private manager(id: number, config: Partial<ReplicaManagerConfig>): ReplicaManager {
    return new ReplicaManager({
      self: brokerId(id),
      logDir: join(this.dir, `broker-${id}`),
      openLog: async (_dir, logConfig) => {
        const log = new MemoryPartitionLog(logConfig);
        const flush = log.flush.bind(log);
        log.flush = () => {
          this.flushes.set(id, (this.flushes.get(id) ?? 0) + 1);
          return flush();
        };
        const reconfigure = log.reconfigure.bind(log);
        log.reconfigure = (config) => {
          this.reconfigures.set(id, (this.reconfigures.get(id) ?? 0) + 1);
          return reconfigure(config);
        };
        return log;
      },
      alterPartition: async (req) => {
        const broker = this.image.brokers.get(brokerId(id))!;
        const result = alterPartition(this.image, { ...req, brokerId: brokerId(id), brokerEpoch: broker.epoch });
        if (result.response.error !== undefined) return { error: result.response.error.code };
        this.image = applyResult(this.image, result);
        void this.publish();
        const committed = result.response.partition;
        return committed === undefined ? { error: 'UNKNOWN_SERVER_ERROR' } : { committed: { isr: committed.isr, partitionEpoch: committed.partitionEpoch } };
      },
      fetchClients: (leader) => ({
        fetch: async (request) => {
          if (this.cut.has(`${id}->${leader}`)) throw new Error(`link ${id}->${leader} is cut`);
          const target = this.managers.get(leader);
          if (target === undefined) throw new Error(`no broker ${leader}`);
          return serveFollowerFetch(target, request);
        },
        close: () => undefined,
      }),
      brokerEpoch: () => this.image.brokers.get(brokerId(id))?.epoch ?? -1,
      config: { isrCheckIntervalMs: 50, replicaFetchWaitMsMax: 100, ...config },
      log: silentLogger,
    });
  }

  private register(id: number): void {
    const endpoints = [{ listener: 'INTERNAL', host: '127.0.0.1', port: 1000 + id, securityProtocol: 'PLAINTEXT' as const }];
    const reg = registerBroker(this.image, { brokerId: brokerId(id), incarnationId: incarnation(id), endpoints, rack: null }, { sessionAlive: false });
    this.image = applyResult(this.image, reg);
    const beat = brokerHeartbeat(this.image, { brokerId: brokerId(id), brokerEpoch: brokerEpoch(reg.response.brokerEpoch), caughtUp: true, wantFence: false, wantShutDown: false });
    this.image = applyResult(this.image, beat);
  }

  /** Every manager not cut off applies the current image. */
  async publish(): Promise<void> {
    const image = this.image;
    await Promise.all([...this.managers].filter(([id]) => !this.isolated.has(id)).map(([, m]) => m.applyImage(image)));
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}): Promise<TopicId> {
    const req: CreateTopicRequest = { name, numPartitions: partitions, replicationFactor, assignments: null, configs: new Map(Object.entries(configs)) };
    const result = createTopics(this.image, [req], { defaults: { numPartitions: 1, replicationFactor: 1 }, newTopicId: this.newTopicId, validateOnly: false });
    assert.equal(result.response[0]?.error, undefined, result.response[0]?.error?.message);
    this.image = applyResult(this.image, result);
    await this.publish();
    return this.image.topicsByName.get(name)!.id;
  }

  /** The controller alters configs (IncrementalAlterConfigs SET/DELETE, all accepted) and every broker applies the image. */
  async alterConfigs(ops: readonly AlterConfigOp[]): Promise<void> {
    const result = alterConfigs(this.image, ops, { validateOnly: false });
    for (const r of result.response) assert.equal(r.error, undefined, r.error?.message);
    this.image = applyResult(this.image, result);
    await this.publish();
    // A retention change starts a retention pass beside the image; the tests look after it.
    await Promise.all([...this.managers.values()].map((m) => m.retentionSettled()));
  }

  registration(topic: string, partition = 0): PartitionRegistration {
    return this.image.topicsByName.get(topic)!.partitions.get(partitionIndex(partition))!;
  }

  leaderOf(topic: string, partition = 0): ReplicaManager {
    return this.managers.get(this.registration(topic, partition).leader)!;
  }

  /** The controller fences broker `id` (its session expired): leadership moves within the ISR. */
  async fence(id: number): Promise<void> {
    this.image = applyResult(this.image, fenceBroker(this.image, brokerId(id) as BrokerId));
    await this.publish();
  }

  /** Broker `id` can neither fetch, be fetched from, nor learn new metadata. */
  isolate(id: number): void {
    this.isolated.add(id);
    for (const other of this.managers.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  async heal(): Promise<void> {
    this.cut.clear();
    this.isolated.clear();
    await this.publish();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.managers.values()].map((m) => m.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
