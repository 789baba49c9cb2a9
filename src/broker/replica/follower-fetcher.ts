// Followers pull from their leaders, as Kafka's replica fetcher threads: one fetch loop per leader
// broker, each fetching every partition this broker follows on that leader in one long-polling
// request at a time.
//
// A request carries, per partition, the follower's log end offset, the epoch of its last batch and
// the leader epoch it follows. The answer is one of: records to append (with the leader's HW), a
// diverging epoch (truncate, then fetch again: KIP-320), an offset out of range (the leader's log
// starts later or ends earlier), or an error that waits for the metadata to change.
import { INTERNAL_LISTENER } from '../../server/config.js';
import { endpointAddress, type MetadataImage } from '../../metadata/image.js';
import { uuidFromBytes, uuidToBytes, type BrokerId, type LeaderEpoch } from '../../metadata/types.js';
import type { Logger } from '../../util/log.js';
import { offset, type Offset } from '../log/types.js';
import type { Partition } from './partition.js';
import type { ReplicaFetchClient, ReplicaFetchClientFactory, replicapb } from './replica-service.js';

export type { ReplicaFetchClientFactory };

export interface FetcherConfig {
  readonly replicaFetchWaitMsMax: number;
  readonly replicaFetchPartitionBytesMax: number;
  readonly replicaFetchResponseBytesMax: number;
}

export interface FollowerFetchersOptions {
  readonly self: BrokerId;
  readonly brokerEpoch: () => number;
  readonly clients: ReplicaFetchClientFactory;
  readonly config: FetcherConfig;
  readonly log: Logger;
}

/** After an error, a partition (or a whole leader) waits this long, doubling up to the max. */
const BACKOFF_MS_MIN = 50;
const BACKOFF_MS_MAX = 1_000;
/** A fetch that outlives the leader's wait by this much is given up (the leader is gone). */
const FETCH_TIMEOUT_SLACK_MS = 5_000;

/** The fetch loops of this broker, one per leader it follows. */
export class FollowerFetchers {
  private readonly byLeader = new Map<BrokerId, LeaderFetcher>();

  constructor(private readonly options: FollowerFetchersOptions) {}

  /** Fetches `p` from `leader` (its address from `image`), and from no other leader. */
  follow(p: Partition, leader: BrokerId, image: MetadataImage): void {
    const address = endpointAddress(image, leader, INTERNAL_LISTENER);
    for (const [id, f] of this.byLeader) if (id !== leader) f.remove(p);
    if (address === undefined) {
      this.options.log.warn({ topic: p.key.topic, partition: p.key.partition, leader }, 'the leader has no INTERNAL endpoint; not fetching');
      return;
    }
    let fetcher = this.byLeader.get(leader);
    if (fetcher !== undefined && fetcher.address !== address) {
      void fetcher.stop();
      fetcher = undefined;
    }
    if (fetcher === undefined) {
      fetcher = new LeaderFetcher(leader, address, this.options);
      this.byLeader.set(leader, fetcher);
    }
    fetcher.add(p);
  }

  remove(p: Partition): void {
    for (const f of this.byLeader.values()) f.remove(p);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byLeader.values()].map((f) => f.stop()));
    this.byLeader.clear();
  }
}

interface Fetching {
  readonly partition: Partition;
  retryAtMs: number;
  backoffMs: number;
}

class LeaderFetcher {
  private readonly partitions = new Map<string, Fetching>();
  private readonly client: ReplicaFetchClient;
  private stopped = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(readonly leader: BrokerId, readonly address: string, private readonly options: FollowerFetchersOptions) {
    this.client = options.clients(leader, address);
    this.loop = this.run();
  }

  add(p: Partition): void {
    const id = keyOf(p.key.topicId, p.key.partition);
    if (!this.partitions.has(id)) this.partitions.set(id, { partition: p, retryAtMs: 0, backoffMs: BACKOFF_MS_MIN });
    this.wake?.();
  }

  remove(p: Partition): void {
    this.partitions.delete(keyOf(p.key.topicId, p.key.partition));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.client.close();
  }

  private async run(): Promise<void> {
    let backoffMs = BACKOFF_MS_MIN;
    while (!this.stopped) {
      const due = this.due();
      if (due.length === 0) {
        await this.idle();
        continue;
      }
      try {
        await this.fetchOnce(due);
        backoffMs = BACKOFF_MS_MIN;
      } catch (error) {
        this.options.log.debug({ err: error, leader: this.leader }, 'replica fetch failed');
        await this.sleep(backoffMs);
        backoffMs = Math.min(BACKOFF_MS_MAX, backoffMs * 2);
      }
    }
  }

  /** The partitions to fetch now: still following this leader, and not backing off. */
  private due(): Fetching[] {
    const now = Date.now();
    return [...this.partitions.values()].filter((f) => f.partition.role.kind === 'follower' && f.retryAtMs <= now);
  }

  /** Waits until a partition is added or one backing off is due (bounded, so stop() is prompt). */
  private idle(): Promise<void> {
    const retries = [...this.partitions.values()].map((f) => f.retryAtMs - Date.now()).filter((ms) => ms > 0);
    return this.sleep(Math.min(BACKOFF_MS_MAX, ...retries));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => (this.wake = undefined));
  }

  private async fetchOnce(due: readonly Fetching[]): Promise<void> {
    const epochs = new Map<string, LeaderEpoch>();
    const partitions: replicapb.IFetchPartition[] = [];
    for (const { partition: p } of due) {
      const epoch = p.leaderEpoch as LeaderEpoch;
      epochs.set(keyOf(p.key.topicId, p.key.partition), epoch);
      partitions.push({
        topicId: uuidToBytes(p.key.topicId),
        partition: p.key.partition,
        currentLeaderEpoch: epoch,
        fetchOffset: p.log.logEndOffset,
        lastFetchedEpoch: p.log.latestEpoch ?? -1,
        logStartOffset: p.log.logStartOffset,
        partitionMaxBytes: this.options.config.replicaFetchPartitionBytesMax,
      });
    }
    const { config } = this.options;
    const request = { replicaId: this.options.self, brokerEpoch: this.options.brokerEpoch(), maxWaitMs: config.replicaFetchWaitMsMax, minBytes: 1, maxBytes: config.replicaFetchResponseBytesMax, partitions };
    const response = await this.client.fetch(request, config.replicaFetchWaitMsMax + FETCH_TIMEOUT_SLACK_MS);
    if ((response.error ?? '') !== '') throw new Error(`leader ${this.leader} refused the fetch: ${response.error}`);
    for (const data of response.partitions ?? []) {
      const id = keyOf(uuidFromBytes(data.topicId ?? new Uint8Array()) ?? '', data.partition ?? -1);
      const f = this.partitions.get(id);
      const epoch = epochs.get(id);
      if (f === undefined || epoch === undefined) continue;
      await this.handle(f, epoch, data);
    }
  }

  private async handle(f: Fetching, epoch: LeaderEpoch, data: replicapb.IFetchPartitionData): Promise<void> {
    const outcome = await applyFetchedPartition(f.partition, epoch, data, this.options.log);
    if (outcome === 'error') {
      // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH...: the metadata will move us on.
      f.retryAtMs = Date.now() + f.backoffMs;
      f.backoffMs = Math.min(BACKOFF_MS_MAX, f.backoffMs * 2);
    } else {
      f.backoffMs = BACKOFF_MS_MIN;
    }
  }
}

/**
 * What a follower does with the leader's answer for one partition it fetched at leader epoch
 * `epoch`: append the records and take the HW, or truncate (divergence, offset out of range).
 * Returns 'error' for an answer that must wait for new metadata. Shared with the replication
 * simulator, which drives followers without the fetch loop.
 */
export async function applyFetchedPartition(p: Partition, epoch: LeaderEpoch, data: replicapb.IFetchPartitionData, log: Logger): Promise<'appended' | 'truncated' | 'error'> {
  const error = data.error ?? '';
  if (error === 'OFFSET_OUT_OF_RANGE') {
    await outOfRange(p, epoch, data, log);
    return 'truncated';
  }
  if (error !== '') return 'error';
  if (data.divergingEpoch != null) {
    await diverged(p, epoch, data.divergingEpoch, log);
    return 'truncated';
  }
  const bytes = data.records ?? new Uint8Array();
  const records = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await p.appendAsFollower(epoch, records, offset(data.highWatermark ?? 0));
  return 'appended';
}

/** The leader's log ends the epoch we last fetched earlier than we hold: cut our log there. */
async function diverged(p: Partition, epoch: LeaderEpoch, d: replicapb.DivergingEpoch.$Properties, log: Logger): Promise<void> {
  const leaderEpoch = (d.epoch ?? -1) as LeaderEpoch;
  const leaderEnd = offset(d.endOffset ?? 0);
  let to: Offset;
  if (leaderEpoch === -1) {
    // The leader holds no epoch at or below ours: keep only what was committed.
    to = p.highWatermark;
  } else {
    const ours = p.log.endOffsetForEpoch(leaderEpoch);
    to = ours.epoch === -1 ? leaderEnd : offset(Math.min(leaderEnd, ours.endOffset));
  }
  to = offset(Math.min(to, p.log.logEndOffset));
  log.info({ topic: p.key.topic, partition: p.key.partition, epoch: leaderEpoch, leaderEnd, truncateTo: to }, 'follower diverged from the leader; truncating');
  await p.truncateAsFollower(epoch, { truncateTo: to });
}

async function outOfRange(p: Partition, epoch: LeaderEpoch, data: replicapb.IFetchPartitionData, log: Logger): Promise<void> {
  const leaderStart = offset(data.logStartOffset ?? 0);
  const leaderEnd = offset(data.logEndOffset ?? 0);
  const ours = p.log.logEndOffset;
  if (ours < leaderStart) {
    log.info({ topic: p.key.topic, partition: p.key.partition, ours, leaderStart }, 'the leader no longer has our fetch offset; restarting the log at its start');
    await p.truncateAsFollower(epoch, { startAt: leaderStart });
  } else if (ours > leaderEnd) {
    log.warn({ topic: p.key.topic, partition: p.key.partition, ours, leaderEnd }, "our log is longer than the leader's; truncating to its end");
    await p.truncateAsFollower(epoch, { truncateTo: leaderEnd });
  }
}

const keyOf = (topicId: string, partition: number): string => `${topicId}:${partition}`;
