// The nemesis: every so often it does one hostile (or merely disruptive) thing, chosen with the
// seed's own weights: crash a node (restarting it later, sometimes at once), partition the network
// (symmetric or one-way, healed later), isolate the leader, compact a log, transfer leadership, or
// change the membership.
import type { ConfChange, NodeId } from '../../../src/raft/core/types.js';
import type { Link } from './network.js';
import type { SimNode } from './sim-node.js';
import { type World, randomNode } from './world.js';

const QUICK_RESTART_MS_MAX = 20;
const RESTART_MS_MAX = 400;
const HUNT_MS_MAX = 25;
const HEAL_MS_MIN = 30;
const HEAL_MS_SPREAD = 600;
/** Membership changes never shrink the voters below this, so a crash or two stays survivable. */
const VOTERS_MIN = 3;

type Action = 'crash' | 'crash-leader' | 'partition' | 'isolate-leader' | 'compact' | 'transfer' | 'conf-change';

export class Nemesis {
  crashes = 0;
  partitions = 0;
  confChanges = 0;

  private burstStartsMs = 0;
  private burstEndsMs = 0;

  constructor(private readonly world: World) {}

  private get inBurst(): boolean {
    return this.world.nowMs >= this.burstStartsMs && this.world.nowMs < this.burstEndsMs;
  }

  /** A node just became leader of `term`: maybe attack it soon (see SimParams.huntRate). */
  newLeader(node: SimNode, term: number): void {
    if (!this.inBurst || !this.world.random.chance(this.world.params.huntRate)) return;
    this.world.schedule(this.world.random.int(HUNT_MS_MAX), { kind: 'hunt', node: node.id, term });
  }

  hunt(id: number, term: number): void {
    const node = this.world.nodes[id - 1];
    if (node === undefined || !node.isLeader || node.status?.term !== term) return;
    const rest = this.world.nodes.filter((n) => n !== node).map((n) => n.id);
    this.world.note(this.world.random.chance(0.5) ? this.crash(node) : this.cutBetween([id], rest, this.world.random.chance(0.3), 'isolate new leader'));
  }

  /** When to act next: soon within a burst; after a calm spell once the burst is over. */
  nextDelayMs(): number {
    const p = this.world.params;
    const random = this.world.random;
    if (this.world.nowMs < this.burstEndsMs) return (p.nemesisPeriodMs >> 1) + random.int(p.nemesisPeriodMs);
    const calmMs = p.calmMsMax === 0 ? 0 : random.int(p.calmMsMax);
    this.burstStartsMs = this.world.nowMs + calmMs;
    this.burstEndsMs = this.burstStartsMs + p.burstMsMin + random.int(p.burstMsSpread);
    return calmMs;
  }

  act(): void {
    if (!this.inBurst) return;
    const action = this.choose();
    if (action === undefined) return;
    const handlers: Record<Action, () => string> = {
      crash: () => this.crash(randomNode(this.world)),
      'crash-leader': () => this.crash(this.world.leader()),
      partition: () => this.partition(),
      'isolate-leader': () => this.isolateLeader(),
      compact: () => this.compact(),
      transfer: () => this.transfer(),
      'conf-change': () => this.confChange(),
    };
    this.world.note(handlers[action]());
  }

  private choose(): Action | undefined {
    const p = this.world.params;
    const weights: readonly [Action, number][] = [
      ['crash', p.crashWeight],
      ['crash-leader', p.crashLeaderWeight],
      ['partition', p.partitionWeight],
      ['isolate-leader', p.isolateLeaderWeight],
      ['compact', p.compactWeight],
      ['transfer', p.transferWeight],
      ['conf-change', p.confChangeWeight],
    ];
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) return undefined;
    let r = this.world.random.int(total);
    for (const [action, w] of weights) {
      if (r < w) return action;
      r -= w;
    }
    return undefined;
  }

  private crash(node: SimNode | undefined): string {
    if (node === undefined) return 'no leader to crash';
    if (!node.alive) return `node ${node.id} is already down`;
    this.world.crash(node);
    this.crashes++;
    const quick = this.world.random.chance(0.3);
    const downMs = 1 + this.world.random.int(quick ? QUICK_RESTART_MS_MAX : RESTART_MS_MAX);
    this.world.schedule(downMs, { kind: 'restart', node: node.id });
    return `crash node ${node.id} for ${downMs}ms`;
  }

  private partition(): string {
    const ids = this.shuffledIds();
    const cut = 1 + this.world.random.int(ids.length - 1);
    const side = ids.slice(0, cut);
    const rest = ids.slice(cut);
    const oneWay = this.world.random.chance(0.3);
    return this.cutBetween(side, rest, oneWay, 'partition');
  }

  private isolateLeader(): string {
    const leader = this.world.leader();
    if (leader === undefined) return 'no leader to isolate';
    const rest = this.world.nodes.filter((n) => n !== leader).map((n) => n.id);
    const oneWay = this.world.random.chance(0.3);
    return this.cutBetween([leader.id], rest, oneWay, 'isolate leader');
  }

  /** Cuts side->rest, and rest->side unless one-way; heals after a random while. */
  private cutBetween(side: readonly number[], rest: readonly number[], oneWay: boolean, what: string): string {
    const links: Link[] = [];
    for (const a of side) {
      for (const b of rest) {
        links.push({ from: a, to: b });
        if (!oneWay) links.push({ from: b, to: a });
      }
    }
    const fault = this.world.network.cut(links);
    const healMs = HEAL_MS_MIN + this.world.random.int(HEAL_MS_SPREAD);
    this.world.schedule(healMs, { kind: 'heal', fault });
    this.partitions++;
    return `${what} fault#${fault}: {${side.join(',')}} ${oneWay ? '-/->' : '<-/->'} {${rest.join(',')}} for ${healMs}ms`;
  }

  private compact(): string {
    const node = randomNode(this.world);
    if (!node.alive) return `node ${node.id} is down, no compaction`;
    return node.compact(this.world.checker);
  }

  private transfer(): string {
    const leader = this.world.leader();
    const voters = leader?.status?.conf.voters.filter((id) => id !== leader.id) ?? [];
    if (leader?.raw === undefined || voters.length === 0) return 'no leader to transfer from';
    const to = voters[this.world.random.int(voters.length)] as NodeId;
    const result = leader.raw.transferLeadership(to);
    this.world.settle(leader);
    return `transfer leadership ${leader.id} -> ${to}: ${result.ok ? 'started' : result.refusal.code}`;
  }

  private confChange(): string {
    const leader = this.world.leader();
    if (leader?.raw === undefined || leader.status === undefined) return 'no leader for a membership change';
    const options = this.confChangeOptions(leader);
    if (options.length === 0) return 'no membership change possible';
    const cc = options[this.world.random.int(options.length)] as ConfChange;
    const result = leader.raw.proposeConfChange(cc);
    this.world.settle(leader);
    if (result.ok) this.confChanges++;
    return `propose ${cc.kind} ${cc.node} on leader ${leader.id}: ${result.ok ? `at ${result.firstIndex}` : result.refusal.code}`;
  }

  /** Changes among the simulated nodes only: promote a learner, re-add a removed node, remove one. */
  private confChangeOptions(leader: SimNode): ConfChange[] {
    const conf = leader.status?.conf ?? { voters: [], learners: [] };
    const options: ConfChange[] = [];
    for (const id of conf.learners) options.push({ kind: 'add-voter', node: id }, { kind: 'remove', node: id });
    if (conf.voters.length > VOTERS_MIN) for (const id of conf.voters) options.push({ kind: 'remove', node: id });
    for (const n of this.world.nodes) {
      const id = n.id as NodeId;
      if (!conf.voters.includes(id) && !conf.learners.includes(id)) options.push({ kind: 'add-learner', node: id });
    }
    return options;
  }

  private shuffledIds(): number[] {
    const ids = this.world.nodes.map((n) => n.id);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.world.random.int(i + 1);
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    return ids;
  }
}
