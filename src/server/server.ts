// One flotilla node: the metadata log (a RaftNode over LevelDB and gRPC) with the metadata state
// machine, plus the roles it was given:
//   controller: a voter of the metadata quorum; on the raft leader, the active controller, whose
//               service shares the CONTROLLER listener with raft (as Kafka's CONTROLLER listener);
//   broker:     registers and heartbeats with the active controller; a broker-only node follows
//               the metadata log as a raft learner on its INTERNAL listener.
// A broker also serves Kafka clients on its Kafka listeners (src/broker/kafka); the data plane
// arrives with the broker's replica manager.
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { nodeAdminView } from '../broker/kafka/admin-handlers.js';
import type { KafkaListener } from '../broker/kafka/listener.js';
import { startKafkaListeners, withBoundPorts } from '../broker/kafka/serve.js';
import { BrokerLifecycle } from '../broker/lifecycle.js';
import { DiskPartitionLog } from '../broker/log/disk-log.js';
import { FilePool } from '../broker/log/file-pool.js';
import { BlockProducerIds } from '../broker/producer-ids.js';
import { serveFollowerFetch } from '../broker/replica/leader-fetch.js';
import { ReplicaManager } from '../broker/replica/replica-manager.js';
import { grpcReplicaFetchClient, replicaService, serveFetchStream, type replicapb } from '../broker/replica/replica-service.js';
import { ControllerClient } from '../metadata/controller-client.js';
import { controllerHandlers } from '../metadata/controller-handlers.js';
import { controllerService } from '../metadata/controller-service.js';
import { METADATA_LOG_DIR, checkIdentity, readMetaProperties } from '../metadata/data-dir.js';
import { endpointAddress, type MetadataImage } from '../metadata/image.js';
import { QuorumController } from '../metadata/quorum-controller.js';
import type { Endpoint } from '../metadata/records.js';
import { brokerId, type BrokerId } from '../metadata/types.js';
import { MetadataStateMachine, type ApplyOutcome } from '../metadata/state-machine.js';
import { defaultRaftConfig, NO_NODE, type NodeId } from '../raft/core/types.js';
import { GrpcTransport } from '../raft/grpc-transport.js';
import { LevelRaftStorage } from '../raft/level-storage.js';
import { RaftNode } from '../raft/node.js';
import { logger, type Logger } from '../util/log.js';
import { CONTROLLER_LISTENER, INTERNAL_LISTENER, type Listener, type ServerConfig } from './config.js';

/** Forwarded admin requests: Kafka clients wait 30 s for an answer; one attempt at one controller gets most of that. */
const ADMIN_FORWARD_DEADLINE_MS = 25_000;
const ADMIN_FORWARD_ATTEMPT_MS = 10_000;

/** How long a controlled shutdown may take before the broker stops anyway. */
export const CONTROLLED_SHUTDOWN_MS_MAX = 30_000;

export class FlotillaServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: ServerConfig,
    readonly clusterId: string,
    readonly node: RaftNode<ApplyOutcome>,
    readonly metadata: MetadataStateMachine,
    private readonly transport: GrpcTransport,
    readonly controller: QuorumController | undefined,
    readonly broker: BrokerLifecycle | undefined,
    private readonly client: ControllerClient | undefined,
    private readonly log: Logger,
    private readonly cleanups: Array<() => void>,
    /** The bound Kafka listeners (none on a controller-only node). */
    readonly kafkaListeners: readonly KafkaListener[],
    /** The data plane's partitions (a broker's). */
    readonly replicas: ReplicaManager | undefined,
  ) {}

  /** The bound port of this node's gRPC listener (CONTROLLER or INTERNAL). */
  get grpcPort(): number {
    return this.transport.port;
  }

  get image(): MetadataImage {
    return this.metadata.image;
  }

  static async start(config: ServerConfig, options: { log?: Logger } = {}): Promise<FlotillaServer> {
    const id = config.nodeId;
    const log = options.log ?? logger('server', { node: id });
    const meta = await readMetaProperties(config.dataDir);
    checkIdentity(meta, { nodeId: id }, config.dataDir);
    const isController = config.roles.has('controller');
    const listen = grpcListener(config);
    const storage = await LevelRaftStorage.open(join(config.dataDir, METADATA_LOG_DIR), { log });
    const metadata = new MetadataStateMachine({ log });
    // The controller service is bound before the raft node exists; its handlers arrive just after.
    let handlers: grpc.UntypedServiceImplementation | undefined;
    let replicaHandlers: grpc.UntypedServiceImplementation | undefined;
    const services = [
      ...(isController ? [{ definition: controllerService, implementation: lateBound(controllerService, () => handlers) }] : []),
      // Followers fetch from this node's gRPC listener too (the INTERNAL endpoint it registers).
      ...(config.roles.has('broker') ? [{ definition: replicaService, implementation: lateBound(replicaService, () => replicaHandlers) }] : []),
    ];
    const peers = new Map([...config.controllerQuorum].filter(([peer]) => peer !== id));
    const transport = new GrpcTransport({ self: id, listen: `${listen.host}:${listen.port}`, peers, services, log });
    const brokerAddress = (peer: NodeId) => endpointAddress(metadata.image, brokerId(peer), INTERNAL_LISTENER);
    const raftConfig = { ...defaultRaftConfig(id), electionTicks: Math.max(2, Math.round(config.electionTimeoutMs / config.raftTickMs)) };
    const node = await RaftNode.start<ApplyOutcome>({
      config: raftConfig,
      storage,
      transport,
      stateMachine: metadata,
      tickMs: config.raftTickMs,
      snapshotEveryEntries: config.metadataSnapshotRecordsMax,
      snapshotEveryBytes: config.metadataSnapshotBytesMax,
      peerAddresses: (peer) => config.controllerQuorum.get(peer) ?? brokerAddress(peer),
      log,
    });
    const cleanups = [followBrokerAddresses(metadata, transport, config)];
    let controller: QuorumController | undefined;
    if (isController) {
      controller = new QuorumController({
        node,
        machine: metadata,
        clusterId: meta.clusterId,
        sessionTimeoutMs: config.brokerSessionTimeoutMs,
        defaultPartitions: config.defaultPartitions,
        defaultReplicationFactor: config.defaultReplicationFactor,
        autoLeaderRebalance: config.autoLeaderRebalance,
        leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalMs,
        log: log.child({ component: 'controller' }),
      });
      handlers = controllerHandlers(controller) as unknown as grpc.UntypedServiceImplementation;
    }
    let broker: BrokerLifecycle | undefined;
    let client: ControllerClient | undefined;
    let replicas: ReplicaManager | undefined;
    let kafkaListeners: KafkaListener[] = [];
    if (config.roles.has('broker')) {
      client = new ControllerClient(config.controllerQuorum, { deadlineMs: Math.max(1_000, config.brokerHeartbeatIntervalMs * 4), attemptTimeoutMs: Math.max(500, config.brokerHeartbeatIntervalMs * 2) });
      const controllerClient = client;
      const epoch = () => broker?.epoch ?? -1;
      const rm = startReplicaManager(config, controllerClient, epoch, log);
      replicas = rm;
      const replicaLog = log.child({ component: 'replica-service' });
      replicaHandlers = {
        fetch: ((call: grpc.ServerDuplexStream<replicapb.IFetchRequest, replicapb.IFetchResponse>) => serveFetchStream(call, (request) => serveFollowerFetch(rm, request), replicaLog)) as grpc.UntypedHandleCall,
      };
      cleanups.push(metadata.subscribe((image) => void rm.applyImage(image)));
      void rm.applyImage(metadata.image);
      const producerIds = new BlockProducerIds({
        allocate: async () => {
          const r = await controllerClient.call('allocateProducerIds', { brokerId: id, brokerEpoch: epoch() });
          return r.error ? { error: r.error.code ?? 'UNKNOWN_SERVER_ERROR' } : { start: Number(r.producerIdStart), length: Number(r.producerIdLen) };
        },
      });
      const view = { clusterId: meta.clusterId, image: () => metadata.image, controllerId: () => (node.leaderId() === NO_NODE ? -1 : node.leaderId()), data: { replicas: rm, producerIds } };
      // Admin requests get a controller client of their own: the broker's gives up on an attempt
      // after a few heartbeat intervals, and a forwarded CreateTopics or DeleteTopics retried after
      // such a timeout (while its first attempt was in fact applied) answers TOPIC_ALREADY_EXISTS
      // or UNKNOWN_TOPIC_OR_PARTITION to a client that did nothing wrong.
      const adminClient = new ControllerClient(config.controllerQuorum, { deadlineMs: ADMIN_FORWARD_DEADLINE_MS, attemptTimeoutMs: ADMIN_FORWARD_ATTEMPT_MS });
      cleanups.push(() => adminClient.close());
      const admin = nodeAdminView({ config, metadata, controller: () => adminClient });
      kafkaListeners = await startKafkaListeners(config, { ...view, admin }, log.child({ component: 'kafka' })).catch(async (error: unknown) => {
        // A port in use: leave nothing running behind the error.
        controller?.stop();
        for (const c of cleanups) c();
        await rm.stop();
        controllerClient.close();
        await node.stop();
        throw error;
      });
      broker = new BrokerLifecycle({
        brokerId: id,
        clusterId: meta.clusterId,
        endpoints: brokerEndpoints(config, transport.port, kafkaListeners),
        rack: config.rack,
        client,
        metadataOffset: () => node.appliedIndex(),
        heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
        log: log.child({ component: 'broker' }),
      });
      broker.start();
    }
    log.info({ roles: [...config.roles], grpcPort: transport.port, clusterId: meta.clusterId }, 'flotilla node started');
    return new FlotillaServer(config, meta.clusterId, node, metadata, transport, controller, broker, client, log, cleanups, kafkaListeners, replicas);
  }

  /** Moves this broker's leaderships away (bounded by CONTROLLED_SHUTDOWN_MS_MAX), then stops. */
  async controlledShutdown(timeoutMs = CONTROLLED_SHUTDOWN_MS_MAX): Promise<void> {
    if (this.broker !== undefined && this.stopping === undefined) {
      const done = await this.broker.controlledShutdown(timeoutMs);
      if (!done) this.log.warn({ timeoutMs }, 'controlled shutdown did not finish in time; stopping anyway');
    }
    await this.stop();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    await Promise.all(this.kafkaListeners.map((l) => l.close()));
    await this.replicas?.stop();
    this.broker?.stop();
    this.controller?.stop();
    for (const c of this.cleanups) c();
    this.client?.close();
    await this.node.stop();
  }
}

/** The broker's partitions: logs in the data directory, followers fetching over gRPC, ISR changes through the controller. */
function startReplicaManager(config: ServerConfig, client: ControllerClient, brokerEpoch: () => number, log: Logger): ReplicaManager {
  const self = brokerId(config.nodeId);
  const partitionLog = log.child({ component: 'partition-log' });
  // One cap on segment file handles for all of this broker's partition logs.
  const files = new FilePool(config.segmentFilesOpenMax);
  return new ReplicaManager({
    self,
    logDir: config.dataDir,
    openLog: (dir, logConfig) => DiskPartitionLog.open(dir, { config: logConfig, logger: partitionLog.child({ dir }), files }),
    alterPartition: async (req) => {
      const r = await client.call('alterPartition', { ...req, brokerId: self, brokerEpoch: brokerEpoch(), newIsr: [...req.newIsr] });
      if (r.error) return { error: r.error.code ?? 'UNKNOWN_SERVER_ERROR' };
      if (!r.partition) return { error: 'UNKNOWN_SERVER_ERROR' };
      return { committed: { isr: (r.partition.isr ?? []).map((n) => brokerId(n) as BrokerId), partitionEpoch: r.partition.partitionEpoch ?? 0 } };
    },
    fetchClients: grpcReplicaFetchClient,
    brokerEpoch,
    config: { replicaLagTimeMsMax: config.replicaLagTimeMsMax, replicaFetchWaitMsMax: config.replicaFetchWaitMsMax, fsyncAlways: config.fsync === 'always' },
    log: log.child({ component: 'replicas' }),
  });
}

/** The node's gRPC listener: CONTROLLER on a controller, INTERNAL on a broker-only node. */
function grpcListener(config: ServerConfig): Listener {
  const name = config.roles.has('controller') ? CONTROLLER_LISTENER : INTERNAL_LISTENER;
  const listener = config.listeners.find((l) => l.name === name);
  if (listener === undefined) throw new Error(`node ${config.nodeId} has no ${name} listener`);
  return listener;
}

/** What a broker registers: its Kafka listeners for clients, and INTERNAL for other nodes. */
function brokerEndpoints(config: ServerConfig, grpcPort: number, bound: readonly KafkaListener[]): Endpoint[] {
  const listen = grpcListener(config);
  const kafka = withBoundPorts(config.advertisedListeners, bound).filter((l) => l.name !== CONTROLLER_LISTENER && l.name !== INTERNAL_LISTENER);
  return [
    ...kafka.map((l) => ({ listener: l.name, host: l.host, port: l.port, securityProtocol: 'PLAINTEXT' as const })),
    { listener: INTERNAL_LISTENER, host: listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host, port: grpcPort, securityProtocol: 'PLAINTEXT' },
  ];
}

/**
 * Keeps the raft transport's addresses of broker-only nodes (learners) in step with their
 * registrations: a restarted broker may listen on a new port, and a controller that restarts
 * learns learner addresses only as it replays their registrations.
 */
function followBrokerAddresses(metadata: MetadataStateMachine, transport: GrpcTransport, config: ServerConfig): () => void {
  const known = new Map<number, string>();
  return metadata.subscribe((image) => {
    for (const b of image.brokers.values()) {
      if ((b.id as number) === config.nodeId || config.controllerQuorum.has(b.id as number as NodeId)) continue;
      const address = endpointAddress(image, b.id, INTERNAL_LISTENER);
      if (address === undefined || known.get(b.id) === address) continue;
      known.set(b.id, address);
      transport.setPeer(b.id as number as NodeId, address);
    }
  });
}

/** Service handlers that forward to ones created later; until then, callers get UNAVAILABLE. */
function lateBound(definition: grpc.ServiceDefinition, get: () => grpc.UntypedServiceImplementation | undefined): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const streaming = method.requestStream || method.responseStream;
    out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown> & grpc.ServerDuplexStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const target = get()?.[name] as ((c: typeof call, cb: typeof callback) => void) | undefined;
      const starting = { code: 14 /* UNAVAILABLE */, details: 'node starting' };
      if (target !== undefined) target(call, callback);
      else if (streaming) call.emit('error', starting);
      else callback(starting as grpc.ServiceError, null);
    }) as grpc.UntypedHandleCall;
  }
  return out;
}
