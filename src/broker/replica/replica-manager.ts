// The replica manager turns metadata images into partition roles on this broker (Kafka's
// ReplicaManager.applyDelta): a partition whose leader is this broker leads, one that lists this
// broker among its replicas follows, one that no longer does (or whose topic is gone) is closed.
//
// It owns the partitions' logs, the follower fetchers, the ISR changes the leaders ask for, and the
// high-water-mark checkpoints. Requests (Kafka's produce and fetch, the followers' gRPC fetch) are
// served by the functions in produce.ts, consumer-fetch.ts and leader-fetch.ts over its partitions.
//
// Images are applied one at a time, in order; an image that arrives while one is being applied
// waits, and only the newest waiting one is applied (each image is a whole state, not a change).
//
// Topic configs: min.insync.replicas and max.message.bytes are read from the newest image on every
// request. The log settings (segment.bytes, segment.ms, retention.ms, retention.bytes,
// index.interval.bytes) live in each open log; an image that changes them hands the topic's logs
// their new LogConfig (Kafka's LogManager.updateTopicConfig), so none of them needs a restart.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLUSTER_DEFAULT_RESOURCE, minInsyncReplicas, topicConfigNumber } from '../../metadata/configs.js';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../../metadata/image.js';
import { NO_LEADER, type BrokerId, type LeaderEpoch, type PartitionEpoch, type PartitionIndex, type TopicId } from '../../metadata/types.js';
import type { Logger } from '../../util/log.js';
import { HighWatermarkCheckpoint } from '../log/checkpoint.js';
import { LogError } from '../log/errors.js';
import type { LogConfig, PartitionLog } from '../log/partition-log.js';
import { offset } from '../log/types.js';
import { FileSnapshotStore, type ProducerSnapshotStore } from '../producer/producer-snapshot.js';
import { ProducerStateManager } from '../producer/producer-state-manager.js';
import { FollowerFetchers, type ReplicaFetchClientFactory } from './follower-fetcher.js';
import type { LeaderState, PendingAlter } from './leader-state.js';
import { Partition, type PartitionKey } from './partition.js';
import { Purgatory } from './purgatory.js';

/**
 * AlterPartition answers that mean the change was not applied by this or any earlier attempt. Any
 * other error (NOT_CONTROLLER, INVALID_UPDATE_VERSION after a retry, ...) may follow an attempt that
 * did apply, so the pending ISR is kept until the metadata shows the outcome.
 */
const DEFINITE_REFUSALS: ReadonlySet<string> = new Set(['INELIGIBLE_REPLICA', 'INVALID_REQUEST', 'UNKNOWN_TOPIC_ID', 'UNKNOWN_TOPIC_OR_PARTITION', 'STALE_BROKER_EPOCH']);

export const partitionName = (topic: string, partition: number): string => `${topic}-${partition}`;

/** Opens (creating if needed) the log in `dir`; DiskPartitionLog.open in a broker, a memory log in tests. */
export type LogOpener = (dir: string, config: LogConfig) => Promise<PartitionLog>;

/** Asks the controller to change a partition's ISR (AlterPartition). Resolves once answered. */
export type AlterPartitionSender = (request: {
  readonly topicId: TopicId;
  readonly partition: PartitionIndex;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
  readonly newIsr: readonly BrokerId[];
}) => Promise<{ readonly error?: string; readonly committed?: { readonly isr: readonly BrokerId[]; readonly partitionEpoch: number } }>;

export interface ReplicaManagerConfig {
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMsMax: number;
  /** replica.fetch.wait.max.ms: how long a follower's fetch may wait at the leader. */
  readonly replicaFetchWaitMsMax: number;
  /** replica.fetch.max.bytes (per partition) and replica.fetch.response.max.bytes. */
  readonly replicaFetchPartitionBytesMax: number;
  readonly replicaFetchResponseBytesMax: number;
  /** log.flush on every leader append before acknowledging (`--fsync always`). */
  readonly fsyncAlways: boolean;
  /** How often leaders check their followers for ISR changes, and HWs are checkpointed. */
  readonly isrCheckIntervalMs: number;
  readonly hwCheckpointIntervalMs: number;
  /** log.retention.check.interval.ms: how often retention deletes old segments. */
  readonly retentionCheckIntervalMs: number;
}

export const DEFAULT_REPLICA_CONFIG: ReplicaManagerConfig = Object.freeze({
  replicaLagTimeMsMax: 30_000,
  replicaFetchWaitMsMax: 500,
  replicaFetchPartitionBytesMax: 1024 * 1024,
  replicaFetchResponseBytesMax: 10 * 1024 * 1024,
  fsyncAlways: false,
  isrCheckIntervalMs: 1_000,
  hwCheckpointIntervalMs: 5_000,
  retentionCheckIntervalMs: 5 * 60_000,
});

export interface ReplicaManagerOptions {
  readonly self: BrokerId;
  /** Partition logs live in `<logDir>/<topic>-<partition>`. */
  readonly logDir: string;
  readonly openLog: LogOpener;
  /** Where a partition keeps its producer-state snapshots (default: files in its log directory). */
  readonly producerSnapshots?: (dir: string) => ProducerSnapshotStore;
  readonly alterPartition: AlterPartitionSender;
  readonly fetchClients: ReplicaFetchClientFactory;
  /** This broker's registration epoch, sent with its fetches (-1 before it registered). */
  readonly brokerEpoch: () => number;
  readonly config?: Partial<ReplicaManagerConfig>;
  readonly clockMs?: () => number;
  readonly log: Logger;
}

const TOPIC_ID_FILE = 'partition.metadata';
const HW_FILE = 'high-watermark-checkpoint';

interface Hosted {
  readonly partition: Partition;
  readonly hwCheckpoint: HighWatermarkCheckpoint;
  checkpointedHw: number;
}

export class ReplicaManager {
  readonly config: ReplicaManagerConfig;
  readonly purgatory = new Purgatory();
  private readonly hosted = new Map<string, Hosted>();
  private image: MetadataImage | undefined;
  private applying: Promise<void> | undefined;
  /** Retention passes that follow a retention change, one after another, off the image path. */
  private retaining: Promise<void> = Promise.resolve();
  private nextImage: MetadataImage | undefined;
  private readonly fetchers: FollowerFetchers;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly clockMs: () => number;
  private stopped = false;

  constructor(private readonly options: ReplicaManagerOptions) {
    this.config = { ...DEFAULT_REPLICA_CONFIG, ...options.config };
    this.clockMs = options.clockMs ?? Date.now;
    this.fetchers = new FollowerFetchers({ self: options.self, brokerEpoch: options.brokerEpoch, clients: options.fetchClients, config: this.config, log: options.log });
    this.timers.push(setInterval(() => this.checkIsrs(), this.config.isrCheckIntervalMs).unref());
    this.timers.push(setInterval(() => void this.checkpointHws(), this.config.hwCheckpointIntervalMs).unref());
    this.timers.push(setInterval(() => void this.applyRetention(), this.config.retentionCheckIntervalMs).unref());
  }

  get self(): BrokerId {
    return this.options.self;
  }

  /** The hosted replica of `topicId`/`partition`, if this broker has one. */
  partition(topicId: TopicId, partition: number): Partition | undefined {
    return this.hosted.get(`${topicId}:${partition}`)?.partition;
  }

  /**
   * The hosted partition `index` of `topic` if this broker leads it (fenced or not), else the
   * error a client gets: UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER.
   */
  leaderOf(topic: string, index: number): Partition | 'UNKNOWN_TOPIC_OR_PARTITION' | 'NOT_LEADER_OR_FOLLOWER' {
    const t = this.image?.topicsByName.get(topic);
    if (t === undefined || !t.partitions.has(index as PartitionIndex)) return 'UNKNOWN_TOPIC_OR_PARTITION';
    const p = this.partition(t.id, index);
    return p === undefined || p.role.kind !== 'leader' ? 'NOT_LEADER_OR_FOLLOWER' : p;
  }

  /** The image the roles were last set from. */
  get currentImage(): MetadataImage | undefined {
    return this.image;
  }

  /** min.insync.replicas of `topic` as of the newest applied image. */
  minIsr(topic: string): number {
    return this.image === undefined ? 1 : minInsyncReplicas(this.image, topic);
  }

  /** max.message.bytes of `topic`. */
  maxMessageBytes(topic: string): number {
    return this.image === undefined ? 1048588 : topicConfigNumber(this.image, topic, 'max.message.bytes');
  }

  /** Applies `image` after any image being applied; resolves when it (or a newer one) is applied. */
  applyImage(image: MetadataImage): Promise<void> {
    this.nextImage = image;
    this.applying ??= this.drainImages().finally(() => (this.applying = undefined));
    return this.applying;
  }

  private async drainImages(): Promise<void> {
    while (this.nextImage !== undefined && !this.stopped) {
      const image = this.nextImage;
      this.nextImage = undefined;
      try {
        await this.apply(image);
      } catch (error) {
        this.options.log.error({ err: error, offset: image.offset }, 'applying a metadata image to the replicas failed');
      }
    }
  }

  private async apply(image: MetadataImage): Promise<void> {
    const seen = new Set<string>();
    for (const topic of image.topicsById.values()) {
      for (const [index, registration] of topic.partitions) {
        if (!registration.replicas.includes(this.options.self)) continue;
        const id = `${topic.id}:${index}`;
        seen.add(id);
        await this.applyPartition(image, topic, index, registration);
      }
    }
    for (const [id, h] of this.hosted) {
      if (seen.has(id)) continue;
      await this.removePartition(id, h, !image.topicsById.has(h.partition.key.topicId));
    }
    const retentionChanged = await this.reconfigureLogs(this.image, image);
    this.image = image;
    // Kafka leaves a new retention to the next log.retention.check.interval.ms (5 minutes by
    // default). An operator lowering retention usually wants the space back now, so those
    // partitions are checked at once, but not inside the image: deleting (and rolling) segments
    // must not hold back the leadership changes the next image carries.
    if (retentionChanged.length > 0) this.retaining = this.retaining.then(() => this.retain(retentionChanged));
  }

  /** Settles when the retention passes started by config changes so far are done. */
  retentionSettled(): Promise<void> {
    return this.retaining;
  }

  /**
   * Gives every open log whose topic's log settings differ in `image` from `previous` its new
   * LogConfig; returns the partitions whose retention changed. Images come often and rarely change
   * configs: a topic is looked at only when its config map or the cluster defaults are a different
   * object (the image shares unchanged maps), and a log is reconfigured only when a value differs.
   */
  private async reconfigureLogs(previous: MetadataImage | undefined, image: MetadataImage): Promise<Partition[]> {
    // Logs opened from the first image already have its settings.
    if (previous === undefined) return [];
    const defaultsChanged = previous.configs.broker.get(CLUSTER_DEFAULT_RESOURCE) !== image.configs.broker.get(CLUSTER_DEFAULT_RESOURCE);
    const configs = new Map<string, LogConfig>();
    const retentionChanged: Partition[] = [];
    for (const { partition: p } of this.hosted.values()) {
      const topic = p.key.topic;
      if (!defaultsChanged && previous.configs.topic.get(topic) === image.configs.topic.get(topic)) continue;
      const config = configs.get(topic) ?? logConfigOf(image, topic);
      configs.set(topic, config);
      const old = p.log.config;
      const changed = LOG_CONFIG_KEYS.filter((k) => old[k] !== config[k]);
      if (changed.length === 0) continue;
      const where = { topic, partition: p.key.partition };
      try {
        await p.log.reconfigure(config);
      } catch (error) {
        // The controller refuses such values; keeping the old settings beats breaking the log.
        this.options.log.warn({ err: error, ...where }, 'the new log config cannot apply; keeping the old one');
        continue;
      }
      this.options.log.info({ ...where, changed: Object.fromEntries(changed.map((k) => [k, config[k]])) }, 'log config changed');
      if (changed.includes('retentionMs') || changed.includes('retentionBytes')) retentionChanged.push(p);
    }
    return retentionChanged;
  }

  private async applyPartition(image: MetadataImage, topic: TopicImage, index: PartitionIndex, reg: PartitionRegistration): Promise<void> {
    const key: PartitionKey = { topicId: topic.id, topic: topic.name, partition: index };
    const h = this.hosted.get(`${topic.id}:${index}`) ?? (await this.openPartition(key, image));
    const p = h.partition;
    if (reg.leader === this.options.self) {
      const wasLeading = p.role.kind === 'leader' && p.role.epoch === reg.leaderEpoch;
      if (!(await p.makeLeader(reg.leaderEpoch, reg.replicas, reg.isr, reg.partitionEpoch))) return;
      this.fetchers.remove(p);
      p.advanceHwIfLeader(minInsyncReplicas(image, topic.name));
      if (!wasLeading) this.options.log.info({ topic: topic.name, partition: index, epoch: reg.leaderEpoch, logEndOffset: p.log.logEndOffset, hw: p.highWatermark }, 'leading partition');
      return;
    }
    if (reg.leader === NO_LEADER) {
      // Offline: nobody to follow. Keep the log; a leader will appear in a later image.
      if (await p.makeFollower(reg.leaderEpoch, NO_LEADER)) this.fetchers.remove(p);
      return;
    }
    if (!(await p.makeFollower(reg.leaderEpoch, reg.leader))) return;
    this.fetchers.follow(p, reg.leader, image);
  }

  private async openPartition(key: PartitionKey, image: MetadataImage): Promise<Hosted> {
    const dir = join(this.options.logDir, partitionName(key.topic, key.partition));
    await this.claimDir(dir, key.topicId);
    const log = await this.options.openLog(dir, logConfigOf(image, key.topic));
    const hwCheckpoint = new HighWatermarkCheckpoint(join(dir, HW_FILE));
    const hw = (await hwCheckpoint.read().catch(() => undefined)) ?? offset(0);
    const store = this.options.producerSnapshots?.(dir) ?? new FileSnapshotStore(dir);
    const producers = await ProducerStateManager.load(store, log, { clockMs: this.clockMs, logger: this.options.log.child({ topic: key.topic, partition: key.partition }) });
    const partition = new Partition(key, log, this.options.self, hw, this.clockMs, producers);
    const h: Hosted = { partition, hwCheckpoint, checkpointedHw: partition.highWatermark };
    this.hosted.set(`${key.topicId}:${key.partition}`, h);
    return h;
  }

  /**
   * Makes `dir` the log directory of topic `topicId`: a directory left by a deleted topic of the
   * same name (deleted while this broker was down) is removed first, so its records cannot reappear.
   */
  private async claimDir(dir: string, topicId: TopicId): Promise<void> {
    const idFile = join(dir, TOPIC_ID_FILE);
    const found = await readFile(idFile, 'utf8').catch(() => undefined);
    const owner = found?.match(/^topic_id: (\S+)$/m)?.[1];
    if (owner !== undefined && owner !== topicId) {
      this.options.log.warn({ dir, owner, topicId }, 'removing the log of a deleted topic of the same name');
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    if (owner !== topicId) await writeFile(idFile, `version: 0\ntopic_id: ${topicId}\n`);
  }

  private async removePartition(id: string, h: Hosted, deleteLog: boolean): Promise<void> {
    const p = h.partition;
    this.hosted.delete(id);
    this.fetchers.remove(p);
    await p.makeNone();
    await p.log.close();
    const dir = join(this.options.logDir, partitionName(p.key.topic, p.key.partition));
    if (deleteLog) await rm(dir, { recursive: true, force: true });
    this.options.log.info({ topic: p.key.topic, partition: p.key.partition, deleted: deleteLog }, 'stopped hosting partition');
  }

  /**
   * Every leader proposes the ISR change it needs, one AlterPartition in flight per partition, and
   * sends again a change whose outcome is unknown (Kafka's AlterPartitionManager does the same).
   */
  checkIsrs(): void {
    const image = this.image;
    if (image === undefined || this.stopped) return;
    const now = this.clockMs();
    for (const { partition: p } of this.hosted.values()) {
      const r = p.role;
      if (r.kind !== 'leader' || r.fenced) continue;
      const reg = image.topicsById.get(p.key.topicId)?.partitions.get(p.key.partition);
      if (reg === undefined || reg.leaderEpoch !== r.epoch) continue;
      const partitionEpoch = Math.max(reg.partitionEpoch, r.state.isrPartitionEpoch) as PartitionEpoch;
      const again = r.state.resendDue;
      const pending = r.state.pendingAlter;
      if (again !== undefined && pending !== undefined) {
        r.state.beginResend();
        this.sendAlter(p, r.state, pending, { topicId: p.key.topicId, partition: p.key.partition, leaderEpoch: r.epoch, partitionEpoch, newIsr: again });
        continue;
      }
      const change = r.state.isrChangeDue(p.log.logEndOffset, this.config.replicaLagTimeMsMax, now);
      if (change === undefined) continue;
      const sent = r.state.beginAlter(change.isr, partitionEpoch);
      this.options.log.info({ topic: p.key.topic, partition: p.key.partition, kind: change.kind, isr: change.isr }, 'asking the controller to change the ISR');
      this.sendAlter(p, r.state, sent, { topicId: p.key.topicId, partition: p.key.partition, leaderEpoch: r.epoch, partitionEpoch, newIsr: change.isr });
    }
  }

  private sendAlter(p: Partition, state: LeaderState, change: PendingAlter, request: Parameters<AlterPartitionSender>[0]): void {
    const where = { topic: p.key.topic, partition: p.key.partition };
    this.options.alterPartition(request).then(
      (answer) => {
        if (answer.error === undefined) state.endAlter(change, answer.committed);
        else if (answer.error === 'FENCED_LEADER_EPOCH') {
          // A newer leader exists: stop acknowledging before the image says so (if this answer is
          // about the leadership we still hold). The pending ISR stays: the controller may count
          // its members, so this leader's HW must not pass them on the way out (Kafka leaves the
          // state alone too).
          if (p.role.kind === 'leader' && p.role.state === state) p.fence();
        } else if (DEFINITE_REFUSALS.has(answer.error)) {
          this.options.log.warn({ ...where, error: answer.error }, 'ISR change refused');
          state.endAlter(change);
        } else {
          this.options.log.info({ ...where, error: answer.error }, 'ISR change unresolved; the metadata will settle it');
          state.alterUnresolved(change);
        }
        p.advanceHwIfLeader(this.minIsr(p.key.topic));
      },
      (error: unknown) => {
        this.options.log.warn({ err: error, ...where }, 'ISR change not delivered; sending again');
        state.alterUnresolved(change);
      },
    );
  }

  /** Writes the HW of every partition whose HW moved since its last checkpoint. */
  async checkpointHws(): Promise<void> {
    for (const h of this.hosted.values()) {
      const hw = h.partition.highWatermark;
      if (hw === h.checkpointedHw) continue;
      try {
        await h.hwCheckpoint.write(hw);
        h.checkpointedHw = hw;
      } catch (error) {
        this.options.log.warn({ err: error, topic: h.partition.key.topic, partition: h.partition.key.partition }, 'writing the high-water mark checkpoint failed');
      }
    }
  }

  /**
   * Deletes what retention.ms and retention.bytes allow on every replica, leader or follower, as
   * Kafka does (each replica applies the topic's retention to its own log).
   */
  applyRetention(): Promise<void> {
    return this.retain([...this.hosted.values()].map((h) => h.partition));
  }

  private async retain(partitions: readonly Partition[]): Promise<void> {
    for (const p of partitions) {
      try {
        const removed = await p.applyRetention();
        if (removed > 0) this.options.log.info({ topic: p.key.topic, partition: p.key.partition, segments: removed, logStartOffset: p.log.logStartOffset }, 'retention deleted old segments');
      } catch (error) {
        if (error instanceof LogError && error.code === 'CLOSED') continue; // the partition left this broker meanwhile
        this.options.log.warn({ err: error, topic: p.key.topic, partition: p.key.partition }, 'retention failed');
      }
    }
  }

  /** Stops fetching and serving, checkpoints the HWs and closes every log. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.applying;
    await this.retaining;
    await this.fetchers.stop();
    await this.checkpointHws();
    for (const h of this.hosted.values()) {
      await h.partition.makeNone();
      await h.partition.snapshotProducers().catch((error: unknown) => this.options.log.warn({ err: error, topic: h.partition.key.topic }, 'writing the producer snapshot failed'));
      await h.partition.log.close();
    }
    this.hosted.clear();
  }
}

const LOG_CONFIG_KEYS: ReadonlyArray<keyof LogConfig> = ['segmentBytesMax', 'segmentAgeMsMax', 'retentionMs', 'retentionBytes', 'indexIntervalBytes'];

/** The log settings of `topic` from its configs (when its log opens, and when an image changes them). */
function logConfigOf(image: MetadataImage, topic: string): LogConfig {
  const n = (key: string) => topicConfigNumber(image, topic, key);
  return { segmentBytesMax: n('segment.bytes'), segmentAgeMsMax: n('segment.ms'), retentionMs: n('retention.ms'), retentionBytes: n('retention.bytes'), indexIntervalBytes: n('index.interval.bytes') };
}
