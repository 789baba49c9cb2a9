// A simulated broker: one incarnation after another of a real ReplicaManager over logs that outlive
// them. Its clock is the simulation's, its timers (ISR checks, HW checkpoints) are set too far
// apart to ever fire, and it has no fetch loop of its own (controller.ts registers no INTERNAL
// endpoint): the simulator calls checkIsrs, checkpointHws and the fetch functions as events.
//
// A crash is a kill -9: nothing is written on the way down (the HW checkpoint stays as the last
// checkpoint event left it), the logs stay whole. A restart opens a new ReplicaManager over the same
// directory and logs, with a new incarnation that must register before it applies any image: as in
// Kafka, a broker acts on metadata only once it has caught up past its own registration, so a
// restarted broker never acts on an image from before the controller knew it had restarted.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { Partition } from '../../../src/broker/replica/partition.js';
import { ReplicaManager, partitionName, type AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import { brokerId, type BrokerId, type TopicId } from '../../../src/metadata/types.js';
import { silentLogger } from '../../../src/util/log.js';
import { TrackedLog } from './tracked-log.js';

/** Far beyond any run's virtual time, and within setInterval's range: these timers never fire. */
const TIMER_MS_NEVER = 1_000_000_000;
const HW_FILE = 'high-watermark-checkpoint';

type AlterRequest = Parameters<AlterPartitionSender>[0];
type AlterAnswer = Awaited<ReturnType<AlterPartitionSender>>;

export interface BrokerHost {
  readonly dir: string;
  readonly nowMs: () => number;
  readonly lagTimeMsMax: number;
  readonly fetchPartitionBytesMax: number;
  /** Sends an AlterPartition from incarnation `gen` of this broker to the controller. */
  readonly sendAlter: (broker: SimBroker, gen: number, request: AlterRequest) => Promise<AlterAnswer>;
}

export class SimBroker {
  readonly id: BrokerId;
  /** Bumped by every crash: events of an older incarnation find it changed and do nothing. */
  gen = 0;
  alive = false;
  /** The registration epoch of this incarnation; -1 until it registers. */
  epoch = -1;
  /** The offset of the newest image applied by this incarnation (-1: none yet). */
  appliedOffset = -1;
  /** Until when this broker fetches slowly (so leaders drop it from their ISRs). */
  slowUntilMs = 0;
  manager: ReplicaManager | undefined;
  /** The leaders this broker has a fetch in flight to, and its sequence number. */
  readonly inflight = new Map<number, number>();
  /** Logs by directory: the broker's disk, which outlives its incarnations. */
  readonly logs = new Map<string, TrackedLog>();
  /** Log directories by "topic:partition" (the checker asks after every event). */
  private readonly dirs = new Map<string, string>();

  constructor(id: number, private readonly host: BrokerHost) {
    this.id = brokerId(id);
  }

  get logDir(): string {
    return join(this.host.dir, `broker-${this.id}`);
  }

  /** Starts a new incarnation (fenced and unregistered until its first heartbeat answers). */
  start(): void {
    this.alive = true;
    this.epoch = -1;
    this.appliedOffset = -1;
    this.slowUntilMs = 0;
    this.inflight.clear();
    const gen = this.gen;
    this.manager = new ReplicaManager({
      self: this.id,
      logDir: this.logDir,
      openLog: async (dir, config) => this.openLog(dir, config),
      alterPartition: (request) => this.host.sendAlter(this, gen, request),
      fetchClients: () => ({ fetch: () => Promise.reject(new Error('the simulator drives every fetch')), close: () => undefined }),
      brokerEpoch: () => this.epoch,
      clockMs: this.host.nowMs,
      config: { replicaLagTimeMsMax: this.host.lagTimeMsMax, replicaFetchWaitMsMax: 0, replicaFetchPartitionBytesMax: this.host.fetchPartitionBytesMax, isrCheckIntervalMs: TIMER_MS_NEVER, hwCheckpointIntervalMs: TIMER_MS_NEVER },
      log: silentLogger,
    });
  }

  private openLog(dir: string, config: ConstructorParameters<typeof TrackedLog>[0]): TrackedLog {
    let log = this.logs.get(dir);
    if (log === undefined) {
      log = new TrackedLog(config, this.host.nowMs);
      this.logs.set(dir, log);
    }
    return log;
  }

  /**
   * Kill -9. ReplicaManager.stop() is the only way to clear its timers, and it checkpoints the HWs
   * on the way down, which a killed process does not: the checkpoint files are put back as they were.
   */
  async crash(topic: string, partitions: number): Promise<void> {
    const manager = this.manager;
    this.alive = false;
    this.gen++;
    this.manager = undefined;
    this.inflight.clear();
    if (manager === undefined) return;
    const files = Array.from({ length: partitions }, (_, i) => join(this.logDir, partitionName(topic, i), HW_FILE));
    const saved = await Promise.all(files.map((f) => readFile(f).catch(() => undefined)));
    await manager.stop();
    await Promise.all(files.map((f, i) => (saved[i] === undefined ? rm(f, { force: true }) : writeFile(f, saved[i]))));
  }

  /** Stops a live incarnation at the end of a run. */
  async stop(): Promise<void> {
    await this.manager?.stop();
    this.manager = undefined;
    this.alive = false;
  }

  /** The log of partition `index` of `topic` on this broker's disk, if it was ever opened. */
  logOf(topic: string, index: number): TrackedLog | undefined {
    const key = `${topic}:${index}`;
    let dir = this.dirs.get(key);
    if (dir === undefined) {
      dir = join(this.logDir, partitionName(topic, index));
      this.dirs.set(key, dir);
    }
    return this.logs.get(dir);
  }

  partition(topicId: TopicId, index: number): Partition | undefined {
    return this.manager?.partition(topicId, index);
  }

  /** Whether `image` shows this incarnation registered: only then may it act on images (see the header). */
  knowsItself(image: MetadataImage): boolean {
    return this.epoch >= 0 && image.brokers.get(this.id)?.epoch === this.epoch;
  }

  /** Applies `image` if it is newer than the last. */
  async applyImage(image: MetadataImage): Promise<boolean> {
    if (this.manager === undefined || image.offset <= this.appliedOffset || !this.knowsItself(image)) return false;
    this.appliedOffset = image.offset;
    await this.manager.applyImage(image);
    return true;
  }
}
