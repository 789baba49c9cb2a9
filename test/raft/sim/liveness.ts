// The liveness phase: once faults stop and everything is healed and restarted, a leader must emerge
// and a fresh write must commit and be applied by every member within a bounded time. The probe
// proposes on whichever node leads and re-proposes when leadership moves or the write stalls.
import type { SimNode } from './sim-node.js';
import type { World } from './world.js';
import { encodeValue } from './values.js';

export const PROBE_MS = 20;
/** A proposal that has not reached everyone in this long is retried with a fresh value. */
const REPROPOSE_MS = 200;

export class Liveness {
  /** Every value proposed by the probe, and the nodes that applied it. */
  private readonly appliedBy = new Map<number, Set<number>>();
  private last: { node: number; value: number; atMs: number } | undefined;
  done = false;
  leaderSeenMs: number | undefined;
  /** When a leader was first seen, or a member last applied something new. */
  progressMs = 0;
  private appliedTotal = -1;

  constructor(private readonly world: World, private readonly freshValue: () => number) {}

  /** The phase starts now: the stall clock starts with it. */
  begin(): void {
    this.progressMs = this.world.nowMs;
    this.world.schedule(0, { kind: 'probe' });
  }

  probe(): void {
    if (this.done) return;
    const leader = this.world.leader();
    this.trackProgress(leader);
    if (leader !== undefined) this.withLeader(leader);
    if (!this.done) this.world.schedule(PROBE_MS, { kind: 'probe' });
  }

  applied(node: SimNode, value: number): void {
    this.appliedBy.get(value)?.add(node.id);
  }

  private trackProgress(leader: SimNode | undefined): void {
    if (leader === undefined) return;
    const total = this.world.nodes.reduce((sum, n) => sum + n.applied, 0);
    if (this.leaderSeenMs === undefined || total > this.appliedTotal) this.progressMs = this.world.nowMs;
    this.appliedTotal = total;
  }

  private withLeader(leader: SimNode): void {
    this.leaderSeenMs ??= this.world.nowMs;
    const members = this.members(leader);
    for (const [value, nodes] of this.appliedBy) {
      if (members.every((id) => nodes.has(id))) {
        this.done = true;
        this.world.note(`liveness: value ${value} applied on all members {${members.join(',')}}`);
        return;
      }
    }
    const last = this.last;
    if (last === undefined || last.node !== leader.id || this.world.nowMs - last.atMs > REPROPOSE_MS) this.propose(leader);
  }

  private propose(leader: SimNode): void {
    const raw = leader.raw;
    if (raw === undefined) return;
    const value = this.freshValue();
    const result = raw.propose([encodeValue(value)]);
    if (result.ok) {
      this.appliedBy.set(value, new Set());
      this.last = { node: leader.id, value, atMs: this.world.nowMs };
    }
    this.world.note(`liveness: propose ${value} on node ${leader.id}: ${result.ok ? `at ${result.firstIndex}` : result.refusal.code}`);
    this.world.settle(leader);
  }

  private members(leader: SimNode): number[] {
    const conf = leader.status?.conf;
    return conf === undefined ? [] : [...conf.voters, ...conf.learners];
  }
}
