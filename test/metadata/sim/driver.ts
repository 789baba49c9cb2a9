// The harness's copy of the controller driver (src/metadata/quorum-controller.ts), on virtual time:
// it cannot run the real one, which needs a RaftNode with timers, so it mirrors its rules:
//
// - active only on the raft leader, and only after it has applied an entry of its own term (the
//   leader's empty entry), which is what the real driver's linearizable read waits for: every entry
//   earlier leaders committed is applied here;
// - at activation, broker sessions are re-armed from the image (BrokerSessions.activate);
// - commands run one at a time against the newest image: propose one batch, wait until it is
//   applied here, then the next; leadership lost fails every queued and in-flight command;
// - a periodic timer fences brokers whose session expired, and rebalances preferred leaders.
//
// The planted bugs (params.ts) change exactly these rules, nowhere else.
import { BrokerSessions } from '../../../src/metadata/broker-sessions.js';
import type { ControllerResult } from '../../../src/metadata/controller/index.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import { encodeBatch, type MetadataRecord } from '../../../src/metadata/records.js';
import type { ApplyOutcome } from '../../../src/metadata/state-machine.js';
import type { BrokerId } from '../../../src/metadata/types.js';
import type { Entry } from '../../../src/raft/core/types.js';
import type { ControllerNode } from './controller-node.js';
import type { MetaEvent } from './events.js';
import type { MetaParams, MetaPlantedBug } from './params.js';

/** Commands waiting for their turn, as COMMANDS_QUEUED_MAX: more are refused. */
const COMMANDS_QUEUED_MAX = 64;
/** Preferred-leader moves per rebalance command. */
export const REBALANCE_MOVES_MAX = 16;

/** `proposed`: the command had records, now applied at `offset` (else it answered from the image). */
export type JobResult = { readonly ok: true; readonly offset: number; readonly proposed: boolean } | { readonly ok: false; readonly error: string };

/** A command as the driver runs it: records from the newest image, and what to do once it settles. */
export interface Job {
  readonly name: string;
  start(image: MetadataImage): { readonly records: readonly MetadataRecord[]; finish(result: JobResult): void };
  /** Never started: the driver lost leadership first. */
  fail(error: string): void;
}

/** A job from a pure command: `done` gets the response once the records are applied here. */
export function job<T>(name: string, run: (image: MetadataImage) => ControllerResult<T>, done: (response: T | undefined, result: JobResult) => void): Job {
  return {
    name,
    start(image) {
      const { records, response } = run(image);
      return { records, finish: (result) => done(result.ok ? response : undefined, result) };
    },
    fail: (error) => done(undefined, { ok: false, error }),
  };
}

export interface DriverWorld {
  readonly nowMs: number;
  readonly params: MetaParams;
  readonly bugs: ReadonlySet<MetaPlantedBug>;
  schedule(delayMs: number, event: MetaEvent): void;
  note(text: string): void;
  /** Drains the node's Ready after a proposal (checks invariants on the way). */
  pump(node: ControllerNode): void;
  activated(driver: ControllerDriver): void;
}

interface InFlight {
  readonly index: number;
  readonly term: number;
  readonly name: string;
  finish(result: JobResult): void;
}

export class ControllerDriver {
  sessions: BrokerSessions;
  active = false;
  activatedMs = 0;
  private term = 0;
  private generation = 0;
  private queue: Job[] = [];
  private inFlight: InFlight[] = [];
  /** Brokers with a fence command under way. */
  private readonly fencing = new Set<BrokerId>();
  private rebalancing = false;
  /** Brokers this driver has sessions for; only the no-rearm bug looks at it. */
  private readonly tracked = new Set<BrokerId>();
  committed = 0;

  constructor(readonly node: ControllerNode, private readonly world: DriverWorld) {
    this.sessions = new BrokerSessions(world.params.sessionTimeoutMs);
  }

  /** After every input to the node: (de)activate on leadership changes, then run what is queued. */
  update(): void {
    const status = this.node.status;
    const leading = this.node.isLeader && status !== undefined;
    if (this.active && (!leading || status.term !== this.term)) this.deactivate('leadership lost');
    if (!this.active && leading && this.caughtUp(status.term)) this.activate(status.term);
    if (this.active) this.drive();
  }

  /** The node crashed: everything in memory is gone. */
  crashed(): void {
    if (this.active) this.deactivate('crashed');
    this.sessions = new BrokerSessions(this.world.params.sessionTimeoutMs);
    this.tracked.clear();
  }

  private caughtUp(term: number): boolean {
    return this.world.bugs.has('no-activation-read') || this.node.appliedTerm === term;
  }

  private activate(term: number): void {
    this.generation++;
    this.active = true;
    this.term = term;
    this.activatedMs = this.world.nowMs;
    this.fencing.clear();
    this.rebalancing = false;
    if (!this.world.bugs.has('no-rearm')) {
      this.sessions.activate(this.node.image, this.world.nowMs);
      for (const id of this.node.image.brokers.keys()) this.tracked.add(id);
    }
    this.world.note(`c${this.node.id} active controller in term ${term} at offset ${this.node.image.offset}`);
    this.world.activated(this);
    this.world.schedule(this.timerMs(), { kind: 'controller-timer', node: this.node.id, generation: this.generation });
  }

  private deactivate(why: string): void {
    this.generation++;
    this.active = false;
    const inFlight = this.inFlight;
    const queued = this.queue;
    this.inFlight = [];
    this.queue = [];
    this.world.note(`c${this.node.id} no longer active (${why}); ${inFlight.length + queued.length} commands fail`);
    for (const f of inFlight) f.finish({ ok: false, error: 'NOT_CONTROLLER' });
    for (const j of queued) j.fail('NOT_CONTROLLER');
  }

  /**
   * Queues a command; false (and nothing queued) when not active or the queue is full. It runs at
   * the next drive(), never from here: a command finishing inside an apply (within a Ready) may
   * submit another, and proposing there would re-enter the core.
   */
  submit(j: Job): boolean {
    if (!this.active || this.queue.length >= COMMANDS_QUEUED_MAX) return false;
    this.queue.push(j);
    return true;
  }

  /** Runs queued commands: one at a time, or all at once with the pipeline bug. */
  drive(): void {
    const pipeline = this.world.bugs.has('pipeline');
    for (let i = 0; this.active && i <= COMMANDS_QUEUED_MAX && this.queue.length > 0 && (pipeline || this.inFlight.length === 0); i++) {
      this.execute(this.queue.shift() as Job);
    }
  }

  private execute(j: Job): void {
    const { records, finish } = j.start(this.node.image);
    if (records.length === 0) return finish({ ok: true, offset: this.node.image.offset, proposed: false });
    const raw = this.node.raw;
    const result = raw?.propose([encodeBatch(records)]);
    if (result === undefined || !result.ok) return finish({ ok: false, error: result === undefined ? 'down' : result.refusal.code });
    this.inFlight.push({ index: result.firstIndex, term: result.term, name: j.name, finish });
    this.world.note(`c${this.node.id} proposes ${j.name} at ${result.firstIndex}: ${records.map((r) => r.type).join(',')}`);
    this.world.pump(this.node);
  }

  /** The node applied a batch: the in-flight command at that index, if it is ours, is done. */
  applied(entry: Entry, outcome: ApplyOutcome): void {
    const at = this.inFlight.findIndex((f) => f.index === entry.index);
    if (at < 0) return;
    const f = this.inFlight[at] as InFlight;
    this.inFlight.splice(at, 1);
    if (f.term !== entry.term) return f.finish({ ok: false, error: 'lost: another leader wrote there' });
    if (!outcome.ok) return f.finish({ ok: false, error: `refused by replay: ${outcome.reason}` });
    this.committed++;
    f.finish({ ok: true, offset: entry.index, proposed: true });
  }

  // ---- the periodic timer --------------------------------------------------------------------------

  timerMs(): number {
    return Math.max(20, Math.min(250, Math.floor(this.world.params.sessionTimeoutMs / 8)));
  }

  timer(generation: number, fence: (id: BrokerId, done: () => void) => Job, rebalance: (done: () => void) => Job): void {
    if (!this.active || generation !== this.generation) return;
    for (const id of this.expired()) {
      if (this.fencing.has(id)) continue;
      this.fencing.add(id);
      this.world.note(`c${this.node.id}: broker ${id} session expired, fencing it`);
      if (!this.submit(fence(id, () => this.fencing.delete(id)))) this.fencing.delete(id);
    }
    if (this.world.params.autoRebalance && !this.rebalancing) {
      this.rebalancing = this.submit(rebalance(() => (this.rebalancing = false)));
    }
    this.world.schedule(this.timerMs(), { kind: 'controller-timer', node: this.node.id, generation });
  }

  /** A broker came back: move leaderships to preferred replicas now (autoRebalance only). */
  rebalanceSoon(rebalance: (done: () => void) => Job): void {
    if (!this.world.params.autoRebalance || !this.active || this.rebalancing) return;
    this.rebalancing = this.submit(rebalance(() => (this.rebalancing = false)));
  }

  private expired(): BrokerId[] {
    const ids = this.sessions.expired(this.node.image, this.world.nowMs);
    return this.world.bugs.has('no-rearm') ? ids.filter((id) => this.tracked.has(id)) : ids;
  }

  /** A broker's session started or was refreshed by this driver. */
  track(id: BrokerId): void {
    this.tracked.add(id);
  }
}
