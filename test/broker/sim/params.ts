// What a replication simulation run varies, drawn from the seed: the cluster's shape, how often
// followers fetch and clients produce, how lossy and slow the network is, how the nemesis strikes.
// Drawn per seed, so some runs are calm and some brutal.
//
// A crash keeps the broker's log whole: a kill -9, whose page cache survives. That is what an ack
// means by default ("in the memory of every ISR member", DESIGN.md section 4); a power cut that
// loses unflushed data on every ISR member may lose acknowledged writes, in Kafka as here.
import type { SeededRandom } from '../../../src/raft/core/random.js';

/**
 * Bugs the simulator can plant at the seams it controls (never in src/), each to prove the
 * invariants catch what it breaks:
 * - hw-on-send: the leader records a follower as holding what it just sent, not what the follower
 *   said it holds (the HW, and acks=all, run ahead of the ISR);
 * - local-isr-shrink: the leader applies its own ISR shrink at once, before the controller commits
 *   it, and the controller never hears of it;
 * - no-divergence-check: the leader serves a follower from its fetch offset without comparing the
 *   epoch of the follower's last batch (KIP-320's check skipped), so a divergent suffix survives;
 * - follower-ignores-divergence: a follower drops the diverging-epoch answer instead of truncating;
 * - ack-after-leadership: acks=all completes once the partition's HW passes the batch, whether or
 *   not it still leads in the epoch it appended in (produce.ts's stillLeading test left out);
 * - unclean-election: the topic allows unclean leader election, so a replica outside the ISR may
 *   lead and lose what was acknowledged.
 */
export type ReplPlantedBug = 'hw-on-send' | 'local-isr-shrink' | 'no-divergence-check' | 'follower-ignores-divergence' | 'ack-after-leadership' | 'unclean-election';
export const REPL_PLANTED_BUGS: readonly ReplPlantedBug[] = ['hw-on-send', 'local-isr-shrink', 'no-divergence-check', 'follower-ignores-divergence', 'ack-after-leadership', 'unclean-election'];

export interface ReplParams {
  readonly brokers: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minIsr: number;
  /** replica.lag.time.max.ms. */
  readonly lagTimeMsMax: number;
  /** Per broker (index 0 is broker 1): the pause between two fetches of one follower from one leader. */
  readonly fetchPeriodsMs: readonly number[];
  /** replica.fetch.max.bytes: small values make a follower catch up over several fetches. */
  readonly fetchPartitionBytesMax: number;
  readonly isrCheckMs: number;
  readonly hwCheckpointMs: number;
  readonly heartbeatMs: number;
  readonly sessionTimeoutMs: number;
  /** How often a broker asks the controller for the newest image. */
  readonly metadataFetchMs: number;
  readonly latencyMinMs: number;
  readonly latencyJitterMs: number;
  readonly dropRate: number;
  readonly produceMs: number;
  /** Records per produced batch, at most. */
  readonly recordsMax: number;
  readonly nemesisPeriodMs: number;
  readonly crashWeight: number;
  readonly linkCutWeight: number;
  readonly isolateWeight: number;
  readonly controllerCutWeight: number;
  readonly slowWeight: number;
  readonly fenceWeight: number;
  readonly rebalanceWeight: number;
}

const pick = <T>(random: SeededRandom, options: readonly T[]): T => options[random.int(options.length)] as T;

export function drawReplParams(random: SeededRandom): ReplParams {
  const brokers = 3 + random.int(3);
  const replicationFactor = Math.min(brokers, 2 + random.int(3));
  const sessionTimeoutMs = pick(random, [200, 400, 800]);
  return {
    brokers,
    partitions: 1 + random.int(3),
    replicationFactor,
    minIsr: 1 + random.int(Math.min(2, replicationFactor)),
    lagTimeMsMax: pick(random, [100, 300, 1000]),
    fetchPeriodsMs: Array.from({ length: brokers }, () => pick(random, [2, 5, 20, 60])),
    fetchPartitionBytesMax: pick(random, [1000, 4000, 1 << 20]),
    isrCheckMs: pick(random, [20, 50, 150]),
    hwCheckpointMs: pick(random, [200, 1000, 3000]),
    heartbeatMs: Math.floor(sessionTimeoutMs / (3 + random.int(3))),
    sessionTimeoutMs,
    metadataFetchMs: pick(random, [5, 20, 80]),
    latencyMinMs: 1 + random.int(3),
    latencyJitterMs: pick(random, [0, 5, 30]),
    dropRate: pick(random, [0, 0.01, 0.05, 0.15]),
    produceMs: pick(random, [2, 10, 30]),
    recordsMax: 1 + random.int(4),
    nemesisPeriodMs: pick(random, [50, 150, 400]),
    crashWeight: random.int(4),
    linkCutWeight: random.int(4),
    isolateWeight: random.int(3),
    controllerCutWeight: random.int(3),
    slowWeight: random.int(4),
    fenceWeight: random.int(3),
    rebalanceWeight: random.int(3),
  };
}
