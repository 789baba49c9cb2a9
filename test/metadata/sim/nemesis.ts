// The nemesis of the metadata simulation: every so often one hostile thing, chosen with the seed's
// weights: crash a controller (restarted later), partition the controllers or isolate the raft
// leader (healed later), compact a controller's log (so followers catch up from snapshots), hand
// raft leadership to another controller (a graceful failover), crash a
// broker (restarted later as a new incarnation), cut a broker off from every controller, or ask a
// broker to shut down in a controlled way.
import type { Link } from '../../raft/sim/network.js';
import type { Network } from '../../raft/sim/network.js';
import type { Checker } from '../../raft/sim/invariants.js';
import type { SeededRandom } from '../../../src/raft/core/random.js';
import { nodeId } from '../../../src/raft/core/types.js';
import { BROKER_LINK_BASE, type Fleet, type SimBroker } from './brokers.js';
import type { ControllerNode } from './controller-node.js';
import type { MetaEvent } from './events.js';
import type { MetaParams } from './params.js';

const RESTART_MS_MIN = 5;
const RESTART_MS_SPREAD = 800;
const HEAL_MS_MIN = 30;
const HEAL_MS_SPREAD = 1200;
/** A crashed broker stays down for up to this many session timeouts on top of a restart delay. */
const BROKER_DOWN_SESSIONS_MAX = 3;

type Action = 'crash-controller' | 'partition-controllers' | 'isolate-leader' | 'compact' | 'transfer' | 'crash-broker' | 'partition-broker' | 'shutdown-broker';

export interface NemesisWorld {
  readonly random: SeededRandom;
  readonly params: MetaParams;
  readonly controllers: readonly ControllerNode[];
  readonly fleet: Fleet;
  readonly network: Network;
  readonly checker: Checker;
  schedule(delayMs: number, event: MetaEvent): void;
  crashController(node: ControllerNode): void;
  settle(node: ControllerNode): void;
  leader(): ControllerNode | undefined;
}

export class MetaNemesis {
  controllerCrashes = 0;
  partitions = 0;

  private burstEndsMs = 0;

  constructor(private readonly world: NemesisWorld) {}

  /** When to act next: soon within a burst; after a calm spell (and a new burst) once it is over. */
  nextDelayMs(nowMs: number): number {
    const p = this.world.params;
    const random = this.world.random;
    if (nowMs < this.burstEndsMs) return (p.nemesisPeriodMs >> 1) + random.int(p.nemesisPeriodMs);
    const calmMs = random.int(p.calmMsMax);
    this.burstEndsMs = nowMs + calmMs + p.burstMsMin + random.int(p.burstMsSpread);
    return calmMs;
  }

  act(): string {
    const handlers: Record<Action, () => string> = {
      'crash-controller': () => this.crashController(this.pickController()),
      'partition-controllers': () => this.partitionControllers(),
      'isolate-leader': () => this.isolateLeader(),
      compact: () => this.pickController().compact(this.world.checker),
      transfer: () => this.transfer(),
      'crash-broker': () => this.crashBroker(this.pickBroker()),
      'partition-broker': () => this.partitionBroker(this.pickBroker()),
      'shutdown-broker': () => this.shutdownBroker(this.pickBroker()),
    };
    const action = this.choose();
    return action === undefined ? 'nemesis idle' : handlers[action]();
  }

  private choose(): Action | undefined {
    const p = this.world.params;
    const weights: readonly [Action, number][] = [
      ['crash-controller', p.controllerCrashWeight],
      ['partition-controllers', p.controllerPartitionWeight],
      ['isolate-leader', p.isolateLeaderWeight],
      ['compact', p.compactWeight],
      ['transfer', p.transferWeight],
      ['crash-broker', p.brokerCrashWeight],
      ['partition-broker', p.brokerPartitionWeight],
      ['shutdown-broker', p.shutdownWeight],
    ];
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    let r = this.world.random.int(Math.max(1, total));
    for (const [action, w] of weights) {
      if (r < w) return action;
      r -= w;
    }
    return undefined;
  }

  private pickController(): ControllerNode {
    return this.world.controllers[this.world.random.int(this.world.controllers.length)] as ControllerNode;
  }

  private pickBroker(): SimBroker {
    const brokers = this.world.fleet.brokers;
    return brokers[this.world.random.int(brokers.length)] as SimBroker;
  }

  private restartMs(): number {
    return RESTART_MS_MIN + this.world.random.int(RESTART_MS_SPREAD);
  }

  private crashController(node: ControllerNode): string {
    if (!node.alive) return `c${node.id} is already down`;
    this.world.crashController(node);
    this.controllerCrashes++;
    const downMs = this.restartMs();
    this.world.schedule(downMs, { kind: 'restart-controller', node: node.id });
    return `crash c${node.id} for ${downMs}ms`;
  }

  private partitionControllers(): string {
    const ids = this.world.controllers.map((n) => n.id);
    const side = ids.filter(() => this.world.random.chance(0.5));
    if (side.length === 0 || side.length === ids.length) return 'no partition (one side empty)';
    return this.cut(side, ids.filter((id) => !side.includes(id)), 'partition controllers');
  }

  private isolateLeader(): string {
    const leader = this.world.leader();
    if (leader === undefined) return 'no leader to isolate';
    const others = this.world.controllers.filter((n) => n !== leader).map((n) => n.id);
    return this.cut([leader.id], others, 'isolate leader');
  }

  /** A graceful failover: the raft leader hands over to another controller. */
  private transfer(): string {
    const leader = this.world.leader();
    const to = this.pickController();
    if (leader?.raw === undefined || to === leader) return 'no leadership transfer';
    const result = leader.raw.transferLeadership(nodeId(to.id));
    this.world.settle(leader);
    return `transfer leadership c${leader.id} -> c${to.id}: ${result.ok ? 'started' : result.refusal.code}`;
  }

  private crashBroker(b: SimBroker): string {
    if (b.state === 'down') return `b${b.id} is already down`;
    this.world.fleet.crash(b);
    // Often past the session timeout, so that the controller has to fence it.
    const downMs = this.restartMs() + this.world.random.int(BROKER_DOWN_SESSIONS_MAX * this.world.params.sessionTimeoutMs);
    this.world.schedule(downMs, { kind: 'restart-broker', broker: b.id });
    return `crash b${b.id} for ${downMs}ms`;
  }

  private partitionBroker(b: SimBroker): string {
    return this.cut([BROKER_LINK_BASE + b.id], this.world.controllers.map((n) => n.id), `cut off b${b.id}`);
  }

  private shutdownBroker(b: SimBroker): string {
    if (!this.world.fleet.beginShutdown(b)) return `b${b.id} is not running, no shutdown`;
    this.world.schedule(this.restartMs() + this.world.params.sessionTimeoutMs, { kind: 'restart-broker', broker: b.id });
    return `controlled shutdown of b${b.id}`;
  }

  /** Cuts both ways between `side` and `rest`; heals after a random while. */
  private cut(side: readonly number[], rest: readonly number[], what: string): string {
    const links: Link[] = [];
    for (const a of side) for (const b of rest) links.push({ from: a, to: b }, { from: b, to: a });
    const fault = this.world.network.cut(links);
    const healMs = HEAL_MS_MIN + this.world.random.int(HEAL_MS_SPREAD);
    this.world.schedule(healMs, { kind: 'heal', fault });
    this.partitions++;
    return `${what} fault#${fault}: {${side.join(',')}} <-/-> {${rest.join(',')}} for ${healMs}ms`;
  }
}
