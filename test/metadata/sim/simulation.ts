// A deterministic simulation of the metadata quorum: controller raft cores (the raft simulator's
// network, checker and stable log), each replaying committed record batches into a
// MetadataStateMachine; the active controller (driver.ts) running the pure commands of
// src/metadata/controller on virtual time; brokers and a client (brokers.ts); a nemesis crashing
// and cutting off controllers and brokers. One seed decides everything; same seed, same run.
//
// Safety invariants are checked after every event: the raft simulator's (through its Checker) and
// the metadata layer's (checker.ts, on every image as it is published). The run ends with a
// liveness phase: everything healed, controllers restarted, some brokers left dead; then every
// running broker must be unfenced, every dead one fenced in time, every partition with an unfenced
// ISR member led.
import { SeededRandom } from '../../../src/raft/core/random.js';
import { type Message, type NodeId, type RaftConfig, defaultRaftConfig, nodeId } from '../../../src/raft/core/types.js';
import { MemoryRaftStorage, initialState } from '../../../src/raft/storage.js';
import type { TopicId } from '../../../src/metadata/types.js';
import { EventQueue } from '../../raft/sim/event-queue.js';
import { Checker } from '../../raft/sim/invariants.js';
import { Network } from '../../raft/sim/network.js';
import { SimViolation } from '../../raft/sim/violation.js';
import { SimTrace } from '../../support/sim-trace.js';
import type { SimRunOptions, SimRunResult } from '../../support/sim-run.js';
import { describeThrown } from '../../support/sim-violation.js';
import { BROKER_LINK_BASE, Fleet, type SimBroker } from './brokers.js';
import { MetaChecker } from './checker.js';
import { SimClient } from './client.js';
import { ControllerNode, type NodeHooks } from './controller-node.js';
import { ControllerDriver, type DriverWorld } from './driver.js';
import { CLIENT_ENDPOINT, type MetaEvent, type Reply, type Rpc, metaTraceEvents } from './events.js';
import { type LivenessView, checkFencingDeadline, unsettled } from './liveness.js';
import { MetaNemesis } from './nemesis.js';
import { type MetaParams, type MetaPlantedBug, drawMetaParams } from './params.js';
import { fenceJob, handleRpc, rebalanceJob } from './requests.js';
import { MetaViolation, type ViolationName, metaFail } from './violation.js';

export const META_EVENTS_DEFAULT = 6000;
const TRACE_LINES_DEFAULT = 60;
/** The client's link id: never cut (the client stands for an admin tool anywhere). */
const CLIENT_LINK = BROKER_LINK_BASE - 1;
const PROBE_MS = 20;
/** The liveness phase may take this long plus a few session timeouts. */
const LIVENESS_MS_BASE = 3000;
const LIVENESS_SESSION_TIMEOUTS = 4;
const LIVENESS_EVENTS_MAX = 400_000;
/** How often the liveness phase starts by killing a broker and the raft leader together. */
const LAST_BLOW_RATE = 0.5;

export type MetaOptions = SimRunOptions<MetaPlantedBug>;

export interface MetaStats {
  readonly events: number;
  readonly simMs: number;
  readonly activations: number;
  readonly commands: number;
  readonly leaderEpochs: number;
  readonly images: number;
  readonly snapshotsRestored: number;
  readonly topics: number;
  readonly fencedAtEnd: number;
  readonly controllerCrashes: number;
  readonly brokerCrashes: number;
  readonly shutdowns: number;
  readonly partitions: number;
  readonly livenessMs: number;
}

export type MetaResult = SimRunResult<ViolationName, MetaStats>;

export function runMetaSimulation(options: MetaOptions): MetaResult {
  return new MetaSimulation(options).run();
}

class MetaSimulation implements DriverWorld {
  readonly random: SeededRandom;
  readonly params: MetaParams;
  readonly bugs: ReadonlySet<MetaPlantedBug>;
  readonly controllers: ControllerNode[];
  readonly drivers: ControllerDriver[];
  readonly network: Network;
  readonly checker = new Checker();
  readonly meta = new MetaChecker();
  readonly fleet: Fleet;
  private readonly client: SimClient;
  private readonly nemesis: MetaNemesis;
  private readonly queue = new EventQueue<MetaEvent>();
  private readonly trace: SimTrace<MetaEvent>;
  private readonly hooks: NodeHooks;
  private now = 0;
  private eventsRun = 0;
  private faultPhase = true;
  private livenessStartMs = 0;
  private livenessDone = false;
  private activations = 0;
  private topicIds = 0;

  constructor(private readonly options: MetaOptions) {
    this.random = new SeededRandom(options.seed);
    this.params = drawMetaParams(this.random);
    this.bugs = new Set(options.bugs ?? []);
    this.controllers = this.buildControllers();
    this.drivers = this.controllers.map((node) => new ControllerDriver(node, this));
    this.trace = new SimTrace(options.traceLines ?? TRACE_LINES_DEFAULT, options.verbose, metaTraceEvents);
    this.network = new Network(this.random, this.params.raft, (delayMs, e) => e.kind === 'deliver' && this.schedule(delayMs, e), () => this.now);
    this.fleet = new Fleet(this);
    this.client = new SimClient(this);
    this.nemesis = new MetaNemesis(this);
    this.hooks = {
      checker: this.checker,
      send: (msg: Message) => this.network.send(msg),
      image: (node, image, changes) => this.meta.image(node.id, image, changes),
      applied: (node, entry, outcome) => {
        if (!outcome.ok) metaFail('records-refused', `c${node.id} refused the batch at ${entry.index}/t${entry.term}: ${outcome.reason}`);
        this.driverOf(node.id).applied(entry, outcome);
      },
    };
  }

  get nowMs(): number {
    return this.now;
  }

  private buildControllers(): ControllerNode[] {
    const p = this.params.raft;
    const voters: NodeId[] = Array.from({ length: p.voters }, (_, i) => nodeId(i + 1));
    return voters.map((id, i) => {
      const config: RaftConfig = { ...defaultRaftConfig(id), heartbeatTicks: p.heartbeatTicks, inflightMsgsMax: p.inflightMsgsMax, appendBytesMax: p.appendBytesMax, snapshotChunkBytes: p.snapshotChunkBytes };
      return new ControllerNode(id, p.tickPeriodsMs[i] as number, config, new MemoryRaftStorage(initialState(voters)));
    });
  }

  private driverOf(id: number): ControllerDriver {
    return this.drivers[id - 1] as ControllerDriver;
  }

  run(): MetaResult {
    try {
      this.boot();
      const events = this.options.events ?? META_EVENTS_DEFAULT;
      for (let i = 0; i < events; i++) this.step();
      this.runLivenessPhase();
      return this.result(undefined);
    } catch (e) {
      return this.result(toViolation(e));
    } finally {
      this.trace.end();
    }
  }

  private boot(): void {
    for (const node of this.controllers) this.startController(node, this.random.int(node.tickPeriodMs));
    for (const b of this.fleet.brokers) this.fleet.start(b);
    this.schedule(this.nemesis.nextDelayMs(this.now), { kind: 'nemesis' });
    this.schedule(this.params.clientRequestMs, { kind: 'client-request' });
  }

  private step(): void {
    const next = this.queue.pop();
    if (next === undefined) throw new Error('event queue ran dry; ticks should keep it going');
    this.now = next.timeMs;
    this.trace.begin(next.timeMs, next.event);
    this.eventsRun++;
    this.handle(next.event);
  }

  private handle(e: MetaEvent): void {
    switch (e.kind) {
      case 'tick':
        return this.tick(e.node, e.incarnation);
      case 'deliver':
        return this.deliver(e.msg);
      case 'rpc':
        return this.arrive(e.rpc);
      case 'reply':
        return this.receive(e.reply);
      case 'controller-timer':
        this.driverOf(e.node).timer(e.generation, (id, done) => fenceJob(id, this.bugs, done), (done) => rebalanceJob(done));
        return this.driverOf(e.node).drive();
      case 'broker-heartbeat':
        return this.fleet.heartbeatTimer(e.broker, e.incarnation);
      case 'broker-fetch':
        return this.fleet.fetchTimer(e.broker, e.incarnation);
      case 'broker-alter':
        return this.fleet.alterTimer(e.broker, e.incarnation);
      case 'rpc-timeout':
        return this.fleet.rpcTimeout(e.broker, e.incarnation, e.seq);
      case 'broker-retry':
        return this.fleet.retry(e.broker, e.incarnation);
      case 'client-request':
        return this.clientRequest();
      case 'nemesis':
        return this.nemesisActs();
      case 'heal':
        return this.network.heal(e.fault);
      case 'restart-controller':
        return this.restartController(e.node);
      case 'restart-broker':
        return this.restartBroker(e.broker);
      case 'probe':
        return this.probe();
    }
  }

  private tick(id: number, incarnation: number): void {
    const node = this.controllers[id - 1] as ControllerNode;
    if (node.incarnation !== incarnation || node.raw === undefined) return;
    node.raw.tick();
    this.settle(node);
    this.schedule(node.tickPeriodMs, { kind: 'tick', node: id, incarnation });
  }

  private deliver(msg: Message): void {
    const node = this.controllers[msg.to - 1];
    if (node?.raw === undefined || this.network.isCut(msg.from, msg.to)) return;
    node.raw.step(msg);
    this.settle(node);
  }

  private receive(reply: Reply): void {
    if (this.network.isCut(reply.from, linkOf(reply.to))) return this.note('lost: link cut');
    if (reply.to === CLIENT_ENDPOINT) this.client.reply(reply);
    else this.fleet.reply(reply);
  }

  private arrive(rpc: Rpc): void {
    const node = this.controllers[rpc.to - 1];
    if (node?.alive !== true) return this.note(`lost: c${rpc.to} is down`);
    if (this.network.isCut(linkOf(rpc.from), rpc.to)) return this.note('lost: link cut');
    handleRpc(this.driverOf(rpc.to), rpc, this);
    this.driverOf(rpc.to).drive();
  }

  private clientRequest(): void {
    if (!this.faultPhase) return;
    this.client.request();
    this.schedule(this.params.clientRequestMs, { kind: 'client-request' });
  }

  private nemesisActs(): void {
    if (!this.faultPhase) return;
    this.note(this.nemesis.act());
    this.schedule(this.nemesis.nextDelayMs(this.now), { kind: 'nemesis' });
  }

  private restartController(id: number): void {
    const node = this.controllers[id - 1] as ControllerNode;
    if (!node.alive) this.startController(node, 0);
  }

  private restartBroker(id: number): void {
    const b = this.fleet.brokers[id - 1] as SimBroker;
    if (!this.faultPhase) return;
    if (b.state === 'down') this.fleet.start(b);
    else if (b.state === 'shutting-down') this.schedule(this.params.heartbeatMs, { kind: 'restart-broker', broker: id });
  }

  private startController(node: ControllerNode, firstTickMs: number): void {
    this.meta.restarted(node.id);
    node.start(this.random.next32(), this.hooks);
    this.schedule(firstTickMs, { kind: 'tick', node: node.id, incarnation: node.incarnation });
    this.settle(node);
  }

  // ---- what the parts may do (DriverWorld, FleetWorld, NemesisWorld, RequestWorld) ----------------

  schedule(delayMs: number, event: MetaEvent): void {
    this.queue.push(this.now + delayMs, event);
  }

  note(text: string): void {
    this.trace.note(text);
  }

  pump(node: ControllerNode): void {
    node.pump(this.hooks);
  }

  settle(node: ControllerNode): void {
    node.pump(this.hooks);
    this.driverOf(node.id).update();
  }

  activated(): void {
    this.activations++;
  }

  crashController(node: ControllerNode): void {
    const keepUnsynced = !this.random.chance(this.params.raft.unsyncedLossRate);
    this.checker.crashed(node.id, node.crash(keepUnsynced));
    this.driverOf(node.id).crashed();
  }

  leader(): ControllerNode | undefined {
    let best: ControllerNode | undefined;
    for (const n of this.controllers) if (n.isLeader && (best === undefined || (n.status?.term ?? 0) > (best.status?.term ?? 0))) best = n;
    return best;
  }

  newTopicId(): TopicId {
    return `00000000-0000-4000-8000-${(++this.topicIds).toString(16).padStart(12, '0')}` as TopicId;
  }

  send(rpc: Rpc): void {
    this.transmit(linkOf(rpc.from), rpc.to, { kind: 'rpc', rpc });
  }

  reply(reply: Reply): void {
    this.transmit(reply.from, linkOf(reply.to), { kind: 'reply', reply });
  }

  reachable(broker: number, node: number): boolean {
    return !this.network.isCut(linkOf(broker), node) && !this.network.isCut(node, linkOf(broker));
  }

  /** Broker and client traffic: the raft network's latency and loss, cut links lose it. */
  private transmit(from: number, to: number, event: MetaEvent): void {
    const p = this.params.raft;
    if (this.network.isCut(from, to) || (this.network.lossy && this.random.chance(p.dropRate))) return this.note(`dropped ${event.kind} ${from}->${to}`);
    this.schedule(p.latencyMinMs + this.random.int(p.latencyJitterMs + 1), event);
  }

  // ---- liveness -----------------------------------------------------------------------------------

  private runLivenessPhase(): void {
    this.faultPhase = false;
    this.network.lossy = false;
    this.network.healAll();
    for (const node of this.controllers) if (!node.alive) this.startController(node, 0);
    // Some brokers that are down come back; the rest stay dead, and must end up fenced.
    for (const b of this.fleet.brokers) if (b.state === 'down' && this.random.chance(0.5)) this.fleet.start(b);
    this.livenessStartMs = this.now;
    this.lastBlow();
    const capMs = this.now + LIVENESS_MS_BASE + LIVENESS_SESSION_TIMEOUTS * this.params.sessionTimeoutMs;
    this.schedule(0, { kind: 'probe' });
    for (let i = 0; i < LIVENESS_EVENTS_MAX && !this.livenessDone && this.now <= capMs; i++) this.step();
    if (!this.livenessDone) metaFail('liveness', `not settled ${this.now - this.livenessStartMs}ms after healing: ${unsettled(this.fleet.brokers, this.activeDriver()) ?? 'event cap reached'}`);
  }

  /**
   * Sometimes a broker dies just as the raft leader does: the next controller has never heard from
   * it and must still fence it, one session timeout after its activation.
   */
  private lastBlow(): void {
    const running = this.fleet.brokers.filter((b) => b.state === 'running');
    const victim = running[this.random.int(Math.max(1, running.length))];
    if (victim === undefined || !this.random.chance(LAST_BLOW_RATE)) return;
    this.fleet.crash(victim);
    const leader = this.leader();
    if (leader !== undefined) {
      this.crashController(leader);
      this.schedule(this.electionMs(), { kind: 'restart-controller', node: leader.id });
    }
    this.note(`last blow: b${victim.id} dies for good${leader === undefined ? '' : `, leader c${leader.id} crashes`}`);
  }

  private probe(): void {
    if (this.livenessDone) return;
    const active = this.activeDriver();
    if (active !== undefined) checkFencingDeadline(this.livenessView(), active);
    const why = unsettled(this.fleet.brokers, active);
    if (why === undefined) {
      this.livenessDone = true;
      return this.note(`settled ${this.now - this.livenessStartMs}ms after healing`);
    }
    this.schedule(PROBE_MS, { kind: 'probe' });
  }

  private livenessView(): LivenessView {
    return { nowMs: this.now, livenessStartMs: this.livenessStartMs, sessionTimeoutMs: this.params.sessionTimeoutMs, electionMs: this.electionMs(), brokers: this.fleet.brokers };
  }

  private electionMs(): number {
    return 2 * defaultRaftConfig(nodeId(1)).electionTicks * Math.max(...this.params.raft.tickPeriodsMs);
  }

  private activeDriver(): ControllerDriver | undefined {
    let best: ControllerDriver | undefined;
    for (const d of this.drivers) if (d.active && (best === undefined || (d.node.status?.term ?? 0) > (best.node.status?.term ?? 0))) best = d;
    return best;
  }

  // ---- results ------------------------------------------------------------------------------------

  private result(violation: MetaViolation | undefined): MetaResult {
    return {
      seed: this.options.seed,
      ok: violation === undefined,
      violation: violation?.report,
      lastEvents: violation === undefined ? [] : this.trace.lastLines(),
      stats: this.stats(),
      traceHash: this.trace.hash,
    };
  }

  private stats(): MetaStats {
    const image = this.activeDriver()?.node.image;
    return {
      events: this.eventsRun,
      simMs: this.now,
      activations: this.activations,
      commands: this.drivers.reduce((sum, d) => sum + d.committed, 0),
      leaderEpochs: this.meta.leaderEpochsSeen,
      images: this.meta.imagesChecked,
      snapshotsRestored: this.controllers.reduce((sum, n) => sum + n.snapshotsRestored, 0),
      topics: image?.topicsById.size ?? 0,
      fencedAtEnd: image === undefined ? 0 : [...image.brokers.values()].filter((b) => b.fenced).length,
      controllerCrashes: this.nemesis.controllerCrashes,
      brokerCrashes: this.fleet.crashes,
      shutdowns: this.fleet.shutdowns,
      partitions: this.nemesis.partitions,
      livenessMs: this.faultPhase ? 0 : this.now - this.livenessStartMs,
    };
  }
}

const linkOf = (endpoint: number): number => (endpoint === CLIENT_ENDPOINT ? CLIENT_LINK : BROKER_LINK_BASE + endpoint);

/** Anything thrown that is not an invariant check is the code under test (or the harness) failing. */
function toViolation(e: unknown): MetaViolation {
  if (e instanceof MetaViolation) return e;
  if (e instanceof SimViolation) return new MetaViolation(`raft:${e.invariant}`, e.detail);
  return new MetaViolation('exception', describeThrown(e));
}
