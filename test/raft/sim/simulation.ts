// A deterministic simulation of a Raft cluster made of pure RawNodes, in the manner of Kafka's
// RaftEventSimulationTest and TigerBeetle's VOPR. One seed decides everything: the cluster shape,
// the fault rates, every latency, crash and client operation. Same seed, same run, byte for byte.
//
// A run has two phases. The fault phase runs a fixed number of events with the nemesis and the
// lossy network active. The liveness phase heals every partition, restarts every crashed node,
// stops losses and new faults, and requires a leader and a fresh write applied by every member
// within a bounded number of ticks. Safety invariants are checked after every event throughout.
import { SeededRandom } from '../../../src/raft/core/random.js';
import { type Message, type NodeId, type PlantedBug, type RaftConfig, defaultRaftConfig, nodeId } from '../../../src/raft/core/types.js';
import { MemoryRaftStorage, initialState } from '../../../src/raft/storage.js';
import { SimTrace } from '../../support/sim-trace.js';
import type { SimRunOptions, SimRunResult } from '../../support/sim-run.js';
import { describeThrown } from '../../support/sim-violation.js';
import { Clients } from './clients.js';
import { EventQueue } from './event-queue.js';
import { type SimEvent, formatMessage, simTraceEvents } from './events.js';
import { Checker } from './invariants.js';
import { Liveness } from './liveness.js';
import { Nemesis } from './nemesis.js';
import { Network } from './network.js';
import { type SimParams, drawParams } from './params.js';
import { type DriverHooks, SimNode } from './sim-node.js';
import { type InvariantName, SimViolation } from './violation.js';
import type { World } from './world.js';

export const EVENTS_DEFAULT = 16000;
const TRACE_LINES_DEFAULT = 60;
/**
 * The liveness phase fails after this many ticks (of the slowest node) without progress: no leader,
 * or no member applying anything new. A member far behind may need longer to catch up when flow
 * control allows one small append per round trip, but it must keep moving, and all of it must fit
 * in LIVENESS_TICKS_CAP.
 */
export const LIVENESS_STALL_TICKS_MAX = 300;
const LIVENESS_TICKS_CAP = 3000;
/** A hard cap on liveness-phase events, in case time stops advancing. */
const LIVENESS_EVENTS_MAX = 200_000;

export type SimOptions = SimRunOptions<PlantedBug>;

export interface SimStats {
  readonly events: number;
  readonly simMs: number;
  readonly leaders: number;
  readonly committed: number;
  readonly values: number;
  readonly writesAcked: number;
  readonly readsOk: number;
  readonly timeouts: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly confChanges: number;
  readonly messages: number;
  readonly dropped: number;
  readonly livenessMs: number;
}

export interface SimResult extends SimRunResult<InvariantName, SimStats> {
  readonly params: SimParams;
}

export function runSimulation(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

/** The result for a seed whose run had to be killed after `seconds` without finishing. */
export function hungResult(seed: number, seconds: number): SimResult {
  const zero: SimStats = { events: 0, simMs: 0, leaders: 0, committed: 0, values: 0, writesAcked: 0, readsOk: 0, timeouts: 0, crashes: 0, partitions: 0, confChanges: 0, messages: 0, dropped: 0, livenessMs: 0 };
  const detail = `the run did not finish within ${seconds}s: some call into the core never returned (an endless loop?); the replay hangs the same way`;
  return { seed, ok: false, violation: { invariant: 'hang', detail }, lastEvents: [], stats: zero, traceHash: 0, params: drawParams(new SeededRandom(seed)) };
}

class Simulation implements World {
  readonly random: SeededRandom;
  readonly params: SimParams;
  readonly nodes: SimNode[];
  readonly network: Network;
  readonly checker = new Checker();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly trace: SimTrace<SimEvent>;
  private readonly clients: Clients;
  private readonly nemesis: Nemesis;
  private readonly liveness: Liveness;
  private readonly hooks: DriverHooks;
  private now = 0;
  private eventsRun = 0;
  private faultPhase = true;
  private livenessStartMs = 0;

  constructor(private readonly options: SimOptions) {
    this.random = new SeededRandom(options.seed);
    this.params = drawParams(this.random);
    this.nodes = this.buildNodes();
    this.trace = new SimTrace(options.traceLines ?? TRACE_LINES_DEFAULT, options.verbose, simTraceEvents);
    this.network = new Network(this.random, this.params, (delayMs, event) => this.schedule(delayMs, event), () => this.now);
    this.clients = new Clients(this);
    this.nemesis = new Nemesis(this);
    this.liveness = new Liveness(this, () => this.clients.freshValue());
    this.hooks = {
      checker: this.checker,
      send: (msg) => this.send(msg),
      scheduleDisk: (node) => this.schedule(node.diskLatencyMs + this.random.int(this.params.diskJitterMs + 1), { kind: 'disk', node: node.id, incarnation: node.incarnation }),
      appliedValue: (node, value, pos) => {
        this.clients.writeApplied(node, value, pos);
        this.liveness.applied(node, value);
      },
      readDone: (node, read) => this.clients.readDone(node, read),
    };
  }

  get nowMs(): number {
    return this.now;
  }

  private buildNodes(): SimNode[] {
    const p = this.params;
    const ids = (from: number, count: number): NodeId[] => Array.from({ length: count }, (_, i) => nodeId(from + i));
    const voters = ids(1, p.voters);
    const learners = ids(p.voters + 1, p.learners);
    const bugs = this.options.bugs ?? [];
    return [...voters, ...learners].map((id, i) => {
      const config: RaftConfig = {
        ...defaultRaftConfig(id),
        heartbeatTicks: p.heartbeatTicks,
        inflightMsgsMax: p.inflightMsgsMax,
        appendBytesMax: p.appendBytesMax,
        snapshotChunkBytes: p.snapshotChunkBytes,
        ...(bugs.length > 0 ? { plantedBugs: new Set(bugs) } : {}),
      };
      return new SimNode(id, p.tickPeriodsMs[i] as number, p.diskLatenciesMs[i] as number, config, new MemoryRaftStorage(initialState(voters, learners)));
    });
  }

  run(): SimResult {
    try {
      this.boot();
      this.runFaultPhase();
      this.runLivenessPhase();
      return this.result(undefined);
    } catch (e) {
      return this.result(toViolation(e));
    } finally {
      this.trace.end();
    }
  }

  private boot(): void {
    for (const node of this.nodes) this.startNode(node, this.random.int(node.tickPeriodMs));
    this.schedule(this.nemesis.nextDelayMs(), { kind: 'nemesis' });
    this.clients.start();
  }

  private runFaultPhase(): void {
    const events = this.options.events ?? EVENTS_DEFAULT;
    for (let i = 0; i < events; i++) this.step();
  }

  private runLivenessPhase(): void {
    this.faultPhase = false;
    this.clients.running = false;
    this.network.lossy = false;
    this.network.healAll();
    for (const node of this.nodes) if (!node.alive) this.startNode(node, 0);
    this.livenessStartMs = this.now;
    const tickMs = Math.max(...this.params.tickPeriodsMs);
    const capMs = this.now + LIVENESS_TICKS_CAP * tickMs;
    const stalled = () => this.now > this.liveness.progressMs + LIVENESS_STALL_TICKS_MAX * tickMs;
    this.liveness.begin();
    for (let i = 0; i < LIVENESS_EVENTS_MAX && !this.liveness.done && !stalled() && this.now <= capMs; i++) this.step();
    if (this.liveness.done) return;
    const why = stalled() ? `no progress for ${LIVENESS_STALL_TICKS_MAX} ticks` : `not done within ${LIVENESS_TICKS_CAP} ticks`;
    this.checker.fail('liveness', `no write committed on every member after healing: ${why} (leader first seen at ${this.liveness.leaderSeenMs ?? 'never'}ms); ${this.describeNodes()}`);
  }

  private step(): void {
    const next = this.queue.pop();
    if (next === undefined) throw new Error('event queue ran dry; ticks should keep it going');
    this.now = next.timeMs;
    this.trace.begin(next.timeMs, next.event);
    this.eventsRun++;
    this.handle(next.event);
  }

  private handle(e: SimEvent): void {
    switch (e.kind) {
      case 'tick':
        return this.tick(e.node, e.incarnation);
      case 'deliver':
        return this.deliver(e.msg);
      case 'disk':
        return this.diskDone(e.node, e.incarnation);
      case 'hunt':
        return this.faultPhase ? this.nemesis.hunt(e.node, e.term) : undefined;
      case 'nemesis':
        if (!this.faultPhase) return;
        this.nemesis.act();
        return this.schedule(this.nemesis.nextDelayMs(), { kind: 'nemesis' });
      case 'heal':
        return this.network.heal(e.fault);
      case 'restart':
        return this.restart(e.node);
      case 'client':
        return this.clients.onClientEvent(e.client, e.op);
      case 'timeout':
        return this.clients.onTimeout(e.client, e.op);
      case 'probe':
        return this.liveness.probe();
    }
  }

  private tick(id: number, incarnation: number): void {
    const node = this.nodes[id - 1] as SimNode;
    if (node.incarnation !== incarnation || node.raw === undefined) return;
    node.raw.tick();
    this.settle(node);
    this.schedule(node.tickPeriodMs, { kind: 'tick', node: id, incarnation });
  }

  private diskDone(id: number, incarnation: number): void {
    const node = this.nodes[id - 1] as SimNode;
    if (node.incarnation === incarnation) node.diskDone(this.hooks);
  }

  private deliver(msg: Message): void {
    const node = this.nodes[msg.to - 1];
    if (node === undefined) this.checker.fail('core-exception', `node ${msg.from} sent a message to unknown node ${msg.to}: ${formatMessage(msg)}`);
    if (node.raw === undefined || this.network.isCut(msg.from, msg.to)) {
      if (this.trace.verbose) this.trace.note(node.raw === undefined ? 'lost: node down' : 'lost: link cut');
      return;
    }
    node.raw.step(msg);
    this.settle(node);
  }

  private send(msg: Message): void {
    const dropped = this.network.dropped;
    this.network.send(msg);
    if (this.trace.verbose && this.network.dropped !== dropped) this.trace.note(`dropped ${formatMessage(msg)}`);
  }

  private restart(id: number): void {
    const node = this.nodes[id - 1] as SimNode;
    if (node.alive) return;
    this.startNode(node, 0);
    this.note(`node ${id} restarted: term ${node.status?.term} commit ${node.status?.commit} applied ${node.applied}`);
  }

  private startNode(node: SimNode, firstTickMs: number): void {
    node.start(this.random.next32(), this.checker);
    this.schedule(firstTickMs, { kind: 'tick', node: node.id, incarnation: node.incarnation });
    this.settle(node);
  }

  // ---- World --------------------------------------------------------------------------------------

  schedule(delayMs: number, event: SimEvent): void {
    this.queue.push(this.now + delayMs, event);
  }

  note(text: string): void {
    this.trace.note(text);
  }

  settle(node: SimNode): void {
    const wasLeader = node.isLeader;
    node.pump(this.hooks);
    if (!wasLeader && node.isLeader && this.faultPhase) this.nemesis.newLeader(node, node.status?.term ?? 0);
  }

  crash(node: SimNode): void {
    const keepUnsynced = !this.random.chance(this.params.unsyncedLossRate);
    this.checker.crashed(node.id, node.crash(keepUnsynced));
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes) {
      if (n.isLeader && (best === undefined || (n.status?.term ?? 0) > (best.status?.term ?? 0))) best = n;
    }
    return best;
  }

  // ---- results ------------------------------------------------------------------------------------

  private describeNodes(): string {
    return this.nodes
      .map((n) => {
        const s = n.status;
        if (n.raw === undefined || s === undefined) return `node ${n.id}: down`;
        const peers = s.peers.map((p) => `${p.id}:${p.state} match ${p.match} next ${p.next} inflight ${p.inflight}`).join(', ');
        return `node ${n.id}: ${s.role} term ${s.term} leader ${s.leader} commit ${s.commit} applied ${s.applied} last ${s.lastIndex} voters {${s.conf.voters.join(',')}} learners {${s.conf.learners.join(',')}}${peers === '' ? '' : ` peers [${peers}]`}`;
      })
      .join('; ');
  }

  private result(violation: SimViolation | undefined): SimResult {
    return {
      seed: this.options.seed,
      ok: violation === undefined,
      violation: violation?.report,
      lastEvents: violation === undefined ? [] : this.trace.lastLines(),
      stats: this.stats(),
      traceHash: this.trace.hash,
      params: this.params,
    };
  }

  private stats(): SimStats {
    return {
      events: this.eventsRun,
      simMs: this.now,
      leaders: this.checker.termsWithLeader,
      committed: this.checker.committedIndexMax,
      values: this.checker.canon.length,
      writesAcked: this.clients.writesAcked,
      readsOk: this.clients.readsOk,
      timeouts: this.clients.timeouts,
      crashes: this.nemesis.crashes,
      partitions: this.nemesis.partitions,
      confChanges: this.nemesis.confChanges,
      messages: this.network.sent,
      dropped: this.network.dropped,
      livenessMs: this.faultPhase ? 0 : this.now - this.livenessStartMs,
    };
  }
}

/** Anything thrown that is not an invariant check is the core (or the simulator) failing outright. */
function toViolation(e: unknown): SimViolation {
  return e instanceof SimViolation ? e : new SimViolation('core-exception', describeThrown(e));
}
