// Everything a run varies, drawn from the seed's own random source: cluster shape, clocks, and how
// hostile the network and the nemesis are. Rates are drawn per seed so that some seeds are calm and
// some brutal; a fixed mix would only ever test one kind of day.
import type { SeededRandom } from '../../../src/raft/core/random.js';

export interface SimParams {
  readonly voters: number;
  readonly learners: number;
  /** Simulated milliseconds between ticks, per node (index 0 is node 1). */
  readonly tickPeriodsMs: readonly number[];
  /** Disk write latency per node; 0 handles each Ready within the event that produced it. */
  readonly diskLatenciesMs: readonly number[];
  readonly diskJitterMs: number;
  /** Probability that a crash loses the latest unsynced (commit-index-only) write. */
  readonly unsyncedLossRate: number;
  readonly latencyMinMs: number;
  readonly latencyJitterMs: number;
  /** Probability that a message takes a long detour, arriving after later ones (reordering). */
  readonly reorderRate: number;
  readonly dropRate: number;
  readonly duplicateRate: number;
  /** Mean simulated milliseconds between nemesis actions within a burst. */
  readonly nemesisPeriodMs: number;
  /**
   * The nemesis works in bursts of [burstMsMin, burstMsMin + burstMsSpread) separated by calm
   * spells of up to calmMsMax (0: one endless burst), so that the cluster also gets to make
   * progress, and the next burst strikes a cluster with something to lose.
   */
  readonly burstMsMin: number;
  readonly burstMsSpread: number;
  readonly calmMsMax: number;
  readonly heartbeatTicks: number;
  readonly crashWeight: number;
  /** Crashes aimed at the leader, which make the elections with divergent logs that matter most. */
  readonly crashLeaderWeight: number;
  /**
   * Probability that a newly elected leader is crashed or cut off within HUNT_MS_MAX of winning:
   * leaders that die young leave the divergent logs behind that test elections and commitment.
   */
  readonly huntRate: number;
  readonly partitionWeight: number;
  readonly isolateLeaderWeight: number;
  readonly compactWeight: number;
  readonly transferWeight: number;
  readonly confChangeWeight: number;
  readonly clients: number;
  /** Simulated milliseconds a client waits between operations. */
  readonly thinkMs: number;
  readonly readRatio: number;
  /** Core flow-control knobs, small in some seeds so that limits and chunking are exercised. */
  readonly inflightMsgsMax: number;
  readonly appendBytesMax: number;
  readonly snapshotChunkBytes: number;
}

const pick = <T>(random: SeededRandom, options: readonly T[]): T => options[random.int(options.length)] as T;

/** A fault rate: zero in about a quarter of seeds, otherwise up to `max`. */
function rate(random: SeededRandom, max: number): number {
  return random.chance(0.25) ? 0 : random.float() * max;
}

export function drawParams(random: SeededRandom): SimParams {
  const voters = random.chance(0.5) ? 3 : 5;
  const learners = random.chance(0.3) ? 1 : 0;
  const tickPeriodsMs = Array.from({ length: voters + learners }, () => 8 + random.int(5));
  const asyncDisk = random.chance(0.6);
  const diskLatenciesMs = tickPeriodsMs.map(() => (asyncDisk ? 1 + random.int(4) : 0));
  return {
    voters,
    learners,
    tickPeriodsMs,
    diskLatenciesMs,
    diskJitterMs: asyncDisk ? random.int(4) : 0,
    unsyncedLossRate: random.float(),
    latencyMinMs: 1 + random.int(3),
    latencyJitterMs: random.int(8),
    reorderRate: rate(random, 0.3),
    dropRate: rate(random, 0.2),
    duplicateRate: rate(random, 0.1),
    nemesisPeriodMs: pick(random, [20, 20, 40, 80, 300]),
    burstMsMin: 100 + random.int(400),
    burstMsSpread: 1 + random.int(1000),
    calmMsMax: pick(random, [0, 0, 400, 1200]),
    heartbeatTicks: 1 + random.int(3),
    crashWeight: random.int(4),
    crashLeaderWeight: random.int(4),
    huntRate: rate(random, 0.5),
    partitionWeight: random.int(4),
    isolateLeaderWeight: 1 + random.int(3),
    compactWeight: 1 + random.int(3),
    transferWeight: random.int(2),
    confChangeWeight: random.chance(0.3) ? 1 + random.int(2) : 0,
    clients: 2 + random.int(5),
    thinkMs: random.int(6),
    readRatio: 0.2 + random.float() * 0.4,
    inflightMsgsMax: pick(random, [1, 4, 256]),
    appendBytesMax: pick(random, [8, 8, 64, 1024 * 1024]),
    snapshotChunkBytes: pick(random, [16, 256, 1024 * 1024]),
  };
}
