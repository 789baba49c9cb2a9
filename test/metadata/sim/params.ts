// What a metadata simulation run varies, drawn from the seed: the raft side reuses the raft
// simulator's parameters (cluster size, ticks, network faults), the rest is the broker fleet, its
// clocks, and how often each kind of fault and request happens. Drawn per seed so that some runs
// are calm and some brutal.
import type { SeededRandom } from '../../../src/raft/core/random.js';
import { type SimParams, drawParams } from '../../raft/sim/params.js';

/**
 * Bugs the harness can plant in its own copy of the controller driver (never in src/), each to
 * prove the checker catches what it breaks:
 * - fence-keeps-leader: fencing a broker skips moving its leaderships away;
 * - elect-outside-isr: a fenced leader's partitions elect the first other unfenced replica, in the
 *   ISR or not, adding it to the ISR (an unclean election nobody asked for);
 * - no-epoch-bump: a leader change is written as a full Partition record keeping the leader epoch;
 * - no-rearm: activation does not re-arm broker sessions, and the driver expires only sessions it
 *   has: a broker that died during a failover is never fenced;
 * - no-activation-read: the new leader serves before it has applied what earlier leaders
 *   committed, so its commands read a stale image;
 * - pipeline: commands run without waiting for the previous batch to apply;
 * - alter-no-epoch-check: AlterPartition takes the new ISR from whoever sends it, at any epoch.
 */
export type MetaPlantedBug = 'fence-keeps-leader' | 'elect-outside-isr' | 'no-epoch-bump' | 'no-rearm' | 'no-activation-read' | 'pipeline' | 'alter-no-epoch-check';
export const META_PLANTED_BUGS: readonly MetaPlantedBug[] = ['fence-keeps-leader', 'elect-outside-isr', 'no-epoch-bump', 'no-rearm', 'no-activation-read', 'pipeline', 'alter-no-epoch-check'];

export interface MetaParams {
  /** Network, ticks and controller count (voters) come from here; learners are not used. */
  readonly raft: SimParams;
  readonly brokers: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatMs: number;
  /** A broker copies a controller's image this often: how far its metadata offset lags. */
  readonly fetchMs: number;
  /** How long a broker waits for an answer before asking another controller. */
  readonly rpcTimeoutMs: number;
  readonly alterPartitionMs: number;
  readonly clientRequestMs: number;
  readonly nemesisPeriodMs: number;
  /** The nemesis strikes in bursts this long, separated by calm spells, so the cluster gets work done. */
  readonly burstMsMin: number;
  readonly burstMsSpread: number;
  readonly calmMsMax: number;
  readonly controllerCrashWeight: number;
  readonly controllerPartitionWeight: number;
  readonly isolateLeaderWeight: number;
  readonly compactWeight: number;
  readonly transferWeight: number;
  readonly brokerCrashWeight: number;
  readonly brokerPartitionWeight: number;
  readonly shutdownWeight: number;
  readonly autoRebalance: boolean;
}

const pick = <T>(random: SeededRandom, options: readonly T[]): T => options[random.int(options.length)] as T;

export function drawMetaParams(random: SeededRandom): MetaParams {
  const raft = { ...drawParams(random), learners: 0 };
  const sessionTimeoutMs = pick(random, [150, 300, 600, 1200]);
  return {
    raft,
    brokers: 3 + random.int(3),
    sessionTimeoutMs,
    heartbeatMs: Math.floor(sessionTimeoutMs / (3 + random.int(4))),
    fetchMs: pick(random, [5, 20, 60, 150, 400]),
    rpcTimeoutMs: 100 + random.int(200),
    alterPartitionMs: pick(random, [30, 80, 200]),
    clientRequestMs: pick(random, [100, 300, 800]),
    nemesisPeriodMs: pick(random, [40, 80, 150, 300]),
    burstMsMin: 200 + random.int(500),
    burstMsSpread: 1 + random.int(1500),
    calmMsMax: pick(random, [300, 1000, 2500]),
    controllerCrashWeight: random.int(4),
    controllerPartitionWeight: random.int(4),
    isolateLeaderWeight: random.int(3),
    compactWeight: 1 + random.int(2),
    transferWeight: random.int(3),
    brokerCrashWeight: 1 + random.int(4),
    brokerPartitionWeight: random.int(4),
    shutdownWeight: random.int(3),
    autoRebalance: random.chance(0.5),
  };
}
