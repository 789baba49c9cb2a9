// What one flotilla node runs with: parsed from `flotilla server` flags or a server.properties file
// (src/cli/server-config.ts), then handed to FlotillaServer.start (server.ts). Names follow Kafka's
// configs (in camel case here; kebab-case flags and dotted keys outside).
import { SEGMENT_FILES_OPEN_MAX_DEFAULT } from '../broker/log/file-pool.js';
import type { NodeId } from '../raft/core/types.js';

export type Role = 'broker' | 'controller';

/** `NAME://host:port`, as Kafka's `listeners`. */
export interface Listener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/**
 * The listener names with a meaning of their own. CONTROLLER is the gRPC listener of a controller
 * (raft and the controller service; it must match this node's entry in the controller quorum).
 * INTERNAL is a broker-only node's gRPC listener for node-to-node traffic (the metadata log it
 * follows as a learner; replication later); a combined node uses its CONTROLLER listener for it.
 * Every other listener is a Kafka protocol listener for clients.
 */
export const CONTROLLER_LISTENER = 'CONTROLLER';
export const INTERNAL_LISTENER = 'INTERNAL';

export interface ServerConfig {
  readonly nodeId: NodeId;
  readonly roles: ReadonlySet<Role>;
  /** controller.quorum.voters: every controller's id and CONTROLLER address. */
  readonly controllerQuorum: ReadonlyMap<NodeId, string>;
  readonly listeners: readonly Listener[];
  /** What brokers register for clients (defaults to `listeners` without CONTROLLER/INTERNAL). */
  readonly advertisedListeners: readonly Listener[];
  readonly dataDir: string;
  /** broker.rack */
  readonly rack: string | null;
  /** broker.heartbeat.interval.ms */
  readonly brokerHeartbeatIntervalMs: number;
  /** broker.session.timeout.ms */
  readonly brokerSessionTimeoutMs: number;
  /** metadata.log.max.record.bytes.between.snapshots */
  readonly metadataSnapshotBytesMax: number;
  /** metadata.log.max.snapshot.interval records (flotilla: metadata.snapshot.max.records) */
  readonly metadataSnapshotRecordsMax: number;
  /** num.partitions */
  readonly defaultPartitions: number;
  /** default.replication.factor */
  readonly defaultReplicationFactor: number;
  /** auto.leader.rebalance.enable */
  readonly autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  readonly leaderImbalanceCheckIntervalMs: number;
  /** controller.quorum.election.timeout.ms: a follower campaigns after [1, 2) times this. */
  readonly electionTimeoutMs: number;
  /** The raft clock: one tick every so many ms (flotilla only). */
  readonly raftTickMs: number;
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMsMax: number;
  /** replica.fetch.wait.max.ms: how long a follower's fetch waits at the leader for new records. */
  readonly replicaFetchWaitMsMax: number;
  /** `--fsync always`: the leader fsyncs before acknowledging; `never` (default): replication is the durability, as Kafka. */
  readonly fsync: 'always' | 'never';
  /** auto.create.topics.enable (off by default, unlike Kafka). */
  readonly autoCreateTopics: boolean;
  /** --max-open-segment-files: the broker's cap on open segment file handles (FilePool). */
  readonly segmentFilesOpenMax: number;
}

/** Defaults of everything but identity and addresses. See DEFAULTS_WHY in the README. */
export const SERVER_DEFAULTS = {
  rack: null,
  brokerHeartbeatIntervalMs: 250,
  brokerSessionTimeoutMs: 1_500,
  metadataSnapshotBytesMax: 20 * 1024 * 1024,
  metadataSnapshotRecordsMax: 20_000,
  defaultPartitions: 1,
  defaultReplicationFactor: 1,
  autoLeaderRebalance: true,
  leaderImbalanceCheckIntervalMs: 10_000,
  electionTimeoutMs: 400,
  raftTickMs: 50,
  replicaLagTimeMsMax: 30_000,
  replicaFetchWaitMsMax: 500,
  fsync: 'never',
  autoCreateTopics: false,
  segmentFilesOpenMax: SEGMENT_FILES_OPEN_MAX_DEFAULT,
} as const satisfies Partial<ServerConfig>;
