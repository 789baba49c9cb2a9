// The nemesis of the replication simulation: every so often one hostile thing, chosen with the
// seed's weights: crash a broker (restarted later), cut a link between two brokers (one way or
// both), isolate a broker from everyone, cut a broker off from the controller only (its session
// expires: it is fenced and its leaderships move while it still believes in them), slow a follower
// down past replica.lag.time.max.ms (its leader shrinks the ISR), fence a broker at once (a session
// lost to a long pause), or move leaderships back to preferred replicas (a leader change with
// nobody failing). Half the time the target is a partition's leader: leader changes are where
// replication goes wrong.
import type { SeededRandom } from '../../../src/raft/core/random.js';
import { NO_LEADER, partitionIndex, type TopicId } from '../../../src/metadata/types.js';
import type { SimBroker } from './broker.js';
import type { SimController } from './controller.js';
import type { ReplEvent } from './events.js';
import type { ReplParams } from './params.js';

/** The controller's node id in link names ("0>3": the controller cannot reach broker 3). */
export const CONTROLLER_NODE = 0;
const RESTART_MS_MIN = 5;
const HEAL_MS_MIN = 20;
const HEAL_MS_SPREAD = 1500;
/** A slow follower fetches this many lag times apart, and stays slow for a few of them. */
const SLOW_LAG_TIMES = 2;

type Action = 'crash' | 'cut-link' | 'isolate' | 'cut-controller' | 'slow' | 'fence' | 'rebalance';

export interface NemesisWorld {
  readonly random: SeededRandom;
  readonly params: ReplParams;
  readonly brokers: readonly SimBroker[];
  readonly controller: SimController;
  readonly topicId: TopicId;
  readonly partitions: number;
  nowMs(): number;
  schedule(delayMs: number, event: ReplEvent): void;
  crash(b: SimBroker): Promise<void>;
  cut(links: readonly string[]): void;
}

export class ReplNemesis {
  crashes = 0;
  cuts = 0;
  fencings = 0;

  constructor(private readonly world: NemesisWorld) {}

  nextDelayMs(): number {
    const period = this.world.params.nemesisPeriodMs;
    return (period >> 1) + this.world.random.int(period);
  }

  async act(): Promise<string> {
    const action = this.choose();
    const target = this.pickBroker();
    switch (action) {
      case undefined:
        return 'nemesis idle';
      case 'crash':
        return this.crash(target);
      case 'cut-link':
        return this.cutLink(target);
      case 'isolate':
        return this.isolate(target);
      case 'cut-controller':
        return this.cutFor(`b${target.id} cut off from the controller`, [`${target.id}>${CONTROLLER_NODE}`, `${CONTROLLER_NODE}>${target.id}`]);
      case 'slow':
        return this.slow(target);
      case 'fence':
        this.fencings++;
        this.world.controller.fence(target.id);
        return `controller fences b${target.id}`;
      case 'rebalance':
        return `preferred-leader election moved ${this.world.controller.rebalance()} leaderships`;
    }
  }

  private choose(): Action | undefined {
    const p = this.world.params;
    const weights: readonly [Action, number][] = [
      ['crash', p.crashWeight],
      ['cut-link', p.linkCutWeight],
      ['isolate', p.isolateWeight],
      ['cut-controller', p.controllerCutWeight],
      ['slow', p.slowWeight],
      ['fence', p.fenceWeight],
      ['rebalance', p.rebalanceWeight],
    ];
    const total = weights.reduce((n, [, w]) => n + w, 0);
    if (total === 0) return undefined;
    let roll = this.world.random.int(total);
    for (const [action, w] of weights) {
      if (roll < w) return action;
      roll -= w;
    }
    return undefined;
  }

  /** A partition's current leader half the time, else any broker. */
  private pickBroker(): SimBroker {
    const { random, brokers, controller } = this.world;
    if (random.chance(0.5)) {
      const reg = controller.image.topicsById.get(this.world.topicId)?.partitions.get(partitionIndex(random.int(this.world.partitions)));
      const leader = reg === undefined || reg.leader === NO_LEADER ? undefined : brokers[reg.leader - 1];
      if (leader !== undefined) return leader;
    }
    return brokers[random.int(brokers.length)]!;
  }

  private async crash(b: SimBroker): Promise<string> {
    if (!b.alive) return `b${b.id} is down already`;
    this.crashes++;
    await this.world.crash(b);
    const downMs = RESTART_MS_MIN + this.world.random.int(3 * this.world.params.sessionTimeoutMs);
    this.world.schedule(downMs, { kind: 'restart', broker: b.id });
    return `crash b${b.id} for ${downMs}ms`;
  }

  private cutLink(a: SimBroker): string {
    const others = this.world.brokers.filter((b) => b !== a);
    const b = others[this.world.random.int(others.length)]!;
    const both = this.world.random.chance(0.5);
    return this.cutFor(`cut b${a.id}${both ? '<' : ''}->b${b.id}`, both ? [`${a.id}>${b.id}`, `${b.id}>${a.id}`] : [`${a.id}>${b.id}`]);
  }

  private isolate(a: SimBroker): string {
    const links = [CONTROLLER_NODE, ...this.world.brokers.map((b) => b.id)].filter((id) => id !== a.id).flatMap((id) => [`${a.id}>${id}`, `${id}>${a.id}`]);
    return this.cutFor(`isolate b${a.id}`, links);
  }

  private cutFor(what: string, links: readonly string[]): string {
    this.cuts++;
    this.world.cut(links);
    const healMs = HEAL_MS_MIN + this.world.random.int(HEAL_MS_SPREAD);
    this.world.schedule(healMs, { kind: 'heal', cuts: links });
    return `${what} for ${healMs}ms`;
  }

  private slow(b: SimBroker): string {
    const lagMs = this.world.params.lagTimeMsMax;
    b.slowUntilMs = this.world.nowMs() + SLOW_LAG_TIMES * lagMs + this.world.random.int(3 * lagMs);
    return `b${b.id} fetches every ${SLOW_LAG_TIMES * lagMs}ms until ${b.slowUntilMs}ms`;
  }
}
