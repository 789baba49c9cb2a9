// The simulated network between nodes: latency with jitter, drops, duplicates, and partitions made
// of cut directed links. A message is lost if its link is cut when it is sent or when it would
// arrive. Each link delivers in order, as a TCP connection (and the gRPC stream on it) does, except
// for messages taking a long detour (the reorder rate), which later messages overtake: reordering
// is a fault to inject, not the normal case that would starve flow control in replicate state.
import type { SeededRandom } from '../../../src/raft/core/random.js';
import type { Message } from '../../../src/raft/core/types.js';
import type { SimEvent } from './events.js';
import type { SimParams } from './params.js';

/** Node ids stay below this, so a directed link packs into one integer. */
const LINK_SPAN = 64;
const DETOUR_MS_MIN = 15;
const DETOUR_MS_SPREAD = 120;

const linkKey = (from: number, to: number): number => from * LINK_SPAN + to;

export interface Link {
  readonly from: number;
  readonly to: number;
}

export class Network {
  /** How many active faults cut each link; overlapping partitions heal independently. */
  private readonly cuts = new Map<number, number>();
  private readonly faults = new Map<number, readonly Link[]>();
  /** Per link, when its last in-order message arrives; a later one may not arrive before it. */
  private readonly linkBusyUntil = new Map<number, number>();
  private nextFault = 1;
  /** Off in the liveness phase: the network still has latency but no longer loses or duplicates. */
  lossy = true;
  sent = 0;
  dropped = 0;

  constructor(
    private readonly random: SeededRandom,
    private readonly params: SimParams,
    private readonly schedule: (delayMs: number, event: SimEvent) => void,
    private readonly nowMs: () => number,
  ) {}

  get activeFaults(): number {
    return this.faults.size;
  }

  isCut(from: number, to: number): boolean {
    return (this.cuts.get(linkKey(from, to)) ?? 0) > 0;
  }

  send(msg: Message): void {
    this.sent++;
    if (this.isCut(msg.from, msg.to) || (this.lossy && this.random.chance(this.params.dropRate))) {
      this.dropped++;
      return;
    }
    this.deliverLater(msg);
    if (this.lossy && this.random.chance(this.params.duplicateRate)) this.deliverLater(msg);
  }

  private deliverLater(msg: Message): void {
    const p = this.params;
    const latencyMs = p.latencyMinMs + this.random.int(p.latencyJitterMs + 1);
    if (this.lossy && this.random.chance(p.reorderRate)) {
      this.schedule(latencyMs + DETOUR_MS_MIN + this.random.int(DETOUR_MS_SPREAD), { kind: 'deliver', msg });
      return;
    }
    const key = linkKey(msg.from, msg.to);
    const at = Math.max(this.nowMs() + latencyMs, this.linkBusyUntil.get(key) ?? 0);
    this.linkBusyUntil.set(key, at);
    this.schedule(at - this.nowMs(), { kind: 'deliver', msg });
  }

  /** Cuts `links` until `heal(id)`; returns the fault id. */
  cut(links: readonly Link[]): number {
    const id = this.nextFault++;
    this.faults.set(id, links);
    for (const l of links) this.cuts.set(linkKey(l.from, l.to), (this.cuts.get(linkKey(l.from, l.to)) ?? 0) + 1);
    return id;
  }

  heal(id: number): void {
    const links = this.faults.get(id);
    if (links === undefined) return;
    this.faults.delete(id);
    for (const l of links) this.cuts.set(linkKey(l.from, l.to), (this.cuts.get(linkKey(l.from, l.to)) ?? 1) - 1);
  }

  healAll(): void {
    for (const id of [...this.faults.keys()]) this.heal(id);
  }
}
