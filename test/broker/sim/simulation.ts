// A deterministic simulation of data-plane replication: real ReplicaManagers (src/broker/replica)
// over real memory logs, a controller applying the real controller commands, a producing client,
// and a nemesis crashing brokers, cutting links, slowing followers and moving leaderships, all on
// virtual time from one seeded random source. Same seed, same run.
//
// Determinism: every event is awaited to the end before the next (the memory logs resolve at once;
// the replica manager's few file operations, its directory and HW checkpoint, are awaited inside
// their event), then the microtask queue is drained; nothing in the replica layer reads the wall
// clock on these paths (produce is called with a deadline already past, fetches with no wait).
//
// The invariants (checker.ts) are checked after every event. The run ends with a liveness phase:
// faults healed, crashed brokers restarted, produce stopped; then the replicas must converge on
// their leaders' logs with the HW at the log end (liveness.ts), within a bounded virtual time.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { NO_LEADER, partitionIndex, type TopicId } from '../../../src/metadata/types.js';
import { EventQueue } from '../../raft/sim/event-queue.js';
import { SimTrace } from '../../support/sim-trace.js';
import type { SimRunOptions, SimRunResult } from '../../support/sim-run.js';
import { Producer } from './acks.js';
import { AlterSender } from './alter-sender.js';
import { SimBroker } from './broker.js';
import { ReplChecker, type CheckedTopic } from './checker.js';
import { SimController } from './controller.js';
import { type ReplEvent, formatEvent, replTraceLines } from './events.js';
import { FetchDriver } from './fetch-driver.js';
import { checkHistory, unsettled } from './liveness.js';
import { CONTROLLER_NODE, ReplNemesis, type NemesisWorld } from './nemesis.js';
import { drawReplParams, type ReplParams, type ReplPlantedBug } from './params.js';
import { ReplViolation, replFail, type ReplInvariant } from './violation.js';

export const REPL_EVENTS_DEFAULT = 3000;
const TRACE_LINES_DEFAULT = 60;
const TOPIC = 'sim';
const PROBE_MS = 10;
/**
 * The liveness phase must settle within this long, plus some session timeouts and lag times, of
 * its start or of the last time a replica's log or HW reached a new high (a follower far behind
 * over a lossy link takes a while, but never stalls that long).
 */
const STALL_MS_BASE = 3000;
const STALL_PERIODS = 6;
const LIVENESS_EVENTS_MAX = 300_000;

type AlterRequest = Parameters<AlterPartitionSender>[0];

export type ReplOptions = SimRunOptions<ReplPlantedBug>;

export interface ReplStats {
  readonly events: number;
  readonly simMs: number;
  readonly produced: number;
  readonly acked: number;
  readonly leaderEpochs: number;
  readonly isrChanges: number;
  readonly truncations: number;
  readonly crashes: number;
  readonly cuts: number;
  readonly fencings: number;
  readonly livenessMs: number;
}

export type ReplResult = SimRunResult<ReplInvariant, ReplStats>;

export async function runReplSimulation(options: ReplOptions): Promise<ReplResult> {
  const dir = await mkdtemp(join(scratchDir(), 'flotilla-replsim-'));
  const sim = new ReplSimulation(options, dir);
  try {
    return await sim.run();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const NO_STATS: ReplStats = Object.freeze({ events: 0, simMs: 0, produced: 0, acked: 0, leaderEpochs: 0, isrChanges: 0, truncations: 0, crashes: 0, cuts: 0, fencings: 0, livenessMs: 0 });

/** The result of a seed that never came back (a hang, a dead worker) or failed outside the run. */
export function failedResult(seed: number, invariant: ReplInvariant, detail: string): ReplResult {
  return { seed, ok: false, violation: { invariant, detail }, lastEvents: [], stats: NO_STATS, traceHash: 0 };
}

/** The HW checkpoints are fsynced files: on tmpfs when there is one, so a run costs no disk flushes. */
const scratchDir = (): string => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

/**
 * Lets the promise callbacks an event set off without awaiting them run before the invariants are
 * checked: ReplicaManager.checkIsrs handles AlterPartition answers in a then(). Every other event
 * is awaited to its end.
 */
const SETS_OFF_CALLBACKS: ReadonlySet<ReplEvent['kind']> = new Set(['isr-check', 'alter-reply', 'alter-timeout']);
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class ReplSimulation implements NemesisWorld {
  readonly random: SeededRandom;
  readonly params: ReplParams;
  readonly bugs: ReadonlySet<ReplPlantedBug>;
  readonly brokers: SimBroker[];
  readonly controller: SimController;
  readonly partitions: number;
  topicId!: TopicId;
  private checker: ReplChecker | undefined;
  private readonly producer: Producer;
  private readonly nemesis: ReplNemesis;
  private readonly alters: AlterSender;
  private readonly fetches: FetchDriver;
  private readonly queue = new EventQueue<ReplEvent>();
  private readonly trace: SimTrace<string>;
  private readonly cuts = new Map<string, number>();
  private now = 0;
  private eventsRun = 0;
  private faultPhase = true;
  private settled = false;
  private livenessMs = 0;
  private livenessDeadlineMs = 0;
  private bestProgress = -1;

  constructor(private readonly options: ReplOptions, dir: string) {
    this.random = new SeededRandom(options.seed);
    this.params = drawReplParams(this.random);
    this.bugs = new Set(options.bugs ?? []);
    this.partitions = this.params.partitions;
    this.trace = new SimTrace(options.traceLines ?? TRACE_LINES_DEFAULT, options.verbose, replTraceLines);
    this.controller = new SimController((image, what) => {
      this.checker?.image(image);
      this.trace.note(`image ${image.offset}: ${what}`);
    });
    const host = { dir, nowMs: () => this.now, lagTimeMsMax: this.params.lagTimeMsMax, fetchPartitionBytesMax: this.params.fetchPartitionBytesMax, sendAlter: (b: SimBroker, gen: number, r: AlterRequest) => this.alters.send(b, gen, r) };
    this.brokers = Array.from({ length: this.params.brokers }, (_, i) => new SimBroker(i + 1, host));
    this.producer = new Producer(() => this.now, this.bugs, (text) => this.trace.note(text));
    this.nemesis = new ReplNemesis(this);
    this.alters = new AlterSender(this);
    this.fetches = new FetchDriver(this);
  }

  nowMs(): number {
    return this.now;
  }

  note(text: string): void {
    this.trace.note(text);
  }

  private get topic(): CheckedTopic {
    return { name: TOPIC, id: this.topicId, partitions: this.partitions };
  }

  async run(): Promise<ReplResult> {
    try {
      await this.boot();
      const events = this.options.events ?? REPL_EVENTS_DEFAULT;
      for (let i = 0; i < events; i++) await this.step();
      await this.runLivenessPhase();
      return this.result(undefined);
    } catch (e) {
      return this.result(toViolation(e));
    } finally {
      this.trace.end();
      for (const b of this.brokers) await b.stop().catch(() => undefined);
    }
  }

  private async boot(): Promise<void> {
    for (const b of this.brokers) {
      b.start();
      this.heartbeatNow(b, true);
      this.heartbeatNow(b, true);
    }
    const configs = new Map([['min.insync.replicas', String(this.params.minIsr)], ['unclean.leader.election.enable', String(this.bugs.has('unclean-election'))]]);
    this.controller.createTopic(TOPIC, this.partitions, this.params.replicationFactor, configs);
    this.topicId = this.controller.image.topicsByName.get(TOPIC)!.id;
    this.checker = new ReplChecker(this.topic);
    this.checker.image(this.controller.image);
    for (const b of this.brokers) {
      await b.applyImage(this.controller.image);
      this.startTimers(b);
    }
    this.schedule(1, { kind: 'session-check' });
    this.schedule(1, { kind: 'produce' });
    this.schedule(this.nemesis.nextDelayMs(), { kind: 'nemesis' });
  }

  private startTimers(b: SimBroker): void {
    const p = this.params;
    const gen = b.gen;
    const phase = (periodMs: number) => 1 + this.random.int(Math.max(1, periodMs));
    this.schedule(phase(p.fetchPeriodsMs[b.id - 1]!), { kind: 'fetch-tick', broker: b.id, gen });
    this.schedule(phase(p.isrCheckMs), { kind: 'isr-check', broker: b.id, gen });
    this.schedule(phase(p.hwCheckpointMs), { kind: 'hw-checkpoint', broker: b.id, gen });
    this.schedule(phase(p.heartbeatMs), { kind: 'heartbeat', broker: b.id, gen });
    this.schedule(phase(p.metadataFetchMs), { kind: 'metadata-fetch', broker: b.id, gen });
  }

  schedule(delayMs: number, event: ReplEvent): void {
    this.queue.push(this.now + delayMs, event);
  }

  private async step(): Promise<void> {
    const next = this.queue.pop();
    if (next === undefined) throw new Error('event queue ran dry; broker timers should keep it going');
    this.now = next.timeMs;
    this.trace.begin(next.timeMs, formatEvent(next.event));
    this.eventsRun++;
    await this.handle(next.event);
    if (SETS_OFF_CALLBACKS.has(next.event.kind)) await drainMicrotasks();
    await this.checker!.check(this.controller.image, this.brokers, this.producer);
  }

  private async handle(e: ReplEvent): Promise<void> {
    switch (e.kind) {
      case 'produce':
        return this.produce();
      case 'fetch-tick':
        return this.onBroker(e.broker, e.gen, (b) => this.fetches.tick(b));
      case 'fetch-arrive':
        return this.fetches.arrive(e.fetch);
      case 'fetch-reply':
        return this.fetches.reply(e.fetch, e.response);
      case 'fetch-timeout':
        return this.fetches.timeout(e.fetch);
      case 'isr-check':
        return this.onBroker(e.broker, e.gen, (b) => this.isrCheck(b));
      case 'hw-checkpoint':
        return this.onBroker(e.broker, e.gen, (b) => this.hwCheckpoint(b));
      case 'heartbeat':
        return this.onBroker(e.broker, e.gen, (b) => this.heartbeat(b));
      case 'session-check':
        return this.sessionCheck();
      case 'metadata-fetch':
        return this.onBroker(e.broker, e.gen, (b) => this.metadataFetch(b));
      case 'image-arrive':
        return this.onBroker(e.broker, e.gen, (b) => this.imageArrive(b, e.image));
      case 'alter-arrive':
        return this.alters.arrive(e.alter);
      case 'alter-reply':
        return this.alters.reply(e.alter, e.answer);
      case 'alter-timeout':
        return this.alters.timeout(e.alter);
      case 'nemesis':
        return this.nemesisActs();
      case 'restart':
        return this.restart(this.brokers[e.broker - 1]!);
      case 'heal':
        return this.heal(e.cuts);
      case 'probe':
        return this.probe();
    }
  }

  /** Runs `fn` on the broker if the incarnation the event belongs to is still the live one. */
  private async onBroker(id: number, gen: number, fn: (b: SimBroker) => void | Promise<void>): Promise<void> {
    const b = this.brokers[id - 1]!;
    if (b.alive && b.gen === gen) await fn(b);
    else this.trace.note('incarnation gone');
  }

  // --- the network ---------------------------------------------------------------------------

  /** Whether a message from node `from` to node `to` gets through (0 is the controller). */
  transmit(from: number, to: number): boolean {
    if ((this.cuts.get(`${from}>${to}`) ?? 0) > 0) return false;
    return !this.random.chance(this.params.dropRate);
  }

  latencyMs(): number {
    return this.params.latencyMinMs + this.random.int(this.params.latencyJitterMs + 1);
  }

  cut(links: readonly string[]): void {
    for (const l of links) this.cuts.set(l, (this.cuts.get(l) ?? 0) + 1);
  }

  private heal(links: readonly string[]): void {
    for (const l of links) this.cuts.set(l, Math.max(0, (this.cuts.get(l) ?? 0) - 1));
  }

  // --- leaders and the controller --------------------------------------------------------------

  private isrCheck(b: SimBroker): void {
    b.manager!.checkIsrs();
    this.schedule(this.params.isrCheckMs, { kind: 'isr-check', broker: b.id, gen: b.gen });
  }

  private async hwCheckpoint(b: SimBroker): Promise<void> {
    await b.manager!.checkpointHws();
    this.schedule(this.params.hwCheckpointMs, { kind: 'hw-checkpoint', broker: b.id, gen: b.gen });
  }

  private heartbeat(b: SimBroker): void {
    if (this.transmit(b.id, CONTROLLER_NODE) && this.transmit(CONTROLLER_NODE, b.id)) this.heartbeatNow(b, b.appliedOffset >= 0);
    else this.trace.note('lost');
    this.schedule(this.params.heartbeatMs, { kind: 'heartbeat', broker: b.id, gen: b.gen });
  }

  private heartbeatNow(b: SimBroker, caughtUp: boolean): void {
    const outcome = this.controller.heartbeat(b.id, b.gen, b.epoch, caughtUp, this.now, this.params.sessionTimeoutMs);
    if (outcome.kind === 'registered') b.epoch = outcome.epoch;
    if (outcome.kind === 'refused' && (outcome.code === 'STALE_BROKER_EPOCH' || outcome.code === 'BROKER_ID_NOT_REGISTERED')) b.epoch = -1;
    this.trace.note(outcome.kind === 'refused' ? `refused: ${outcome.code}` : outcome.kind === 'registered' ? `registered, epoch ${outcome.epoch}` : outcome.fenced ? 'fenced' : 'unfenced');
  }

  private sessionCheck(): void {
    const expired = this.controller.expireSessions(this.now, this.params.sessionTimeoutMs);
    if (expired.length > 0) this.trace.note(`sessions expired: ${expired.map((id) => `b${id}`).join(' ')}`);
    this.schedule(Math.max(5, this.params.sessionTimeoutMs >> 3), { kind: 'session-check' });
  }

  private metadataFetch(b: SimBroker): void {
    if (this.transmit(CONTROLLER_NODE, b.id)) this.schedule(this.latencyMs(), { kind: 'image-arrive', broker: b.id, gen: b.gen, image: this.controller.image });
    this.schedule(this.params.metadataFetchMs, { kind: 'metadata-fetch', broker: b.id, gen: b.gen });
  }

  private async imageArrive(b: SimBroker, image: MetadataImage): Promise<void> {
    if (!(await b.applyImage(image))) return;
    this.trace.note(this.rolesOf(b));
  }

  private rolesOf(b: SimBroker): string {
    return Array.from({ length: this.partitions }, (_, i) => {
      const r = b.partition(this.topicId, i)?.role;
      if (r === undefined || r.kind === 'none') return `p${i} ${r === undefined ? '-' : 'none'}`;
      return r.kind === 'follower' ? `p${i} follower of b${r.leader} e${r.epoch}` : `p${i} leader e${r.epoch}${r.fenced ? ' fenced' : ''} isr [${r.state.isr.join(',')}]`;
    }).join(', ');
  }

  // --- the client and the nemesis --------------------------------------------------------------

  private async produce(): Promise<void> {
    if (!this.faultPhase) return;
    const index = this.random.int(this.partitions);
    const target = this.produceTarget(index);
    if (target === undefined) this.trace.note(`no leader of p${index} alive`);
    else this.trace.note(await this.producer.produce(target, TOPIC, this.topicId, index, 1 + this.random.int(this.params.recordsMax)));
    this.schedule((this.params.produceMs >> 1) + this.random.int(this.params.produceMs), { kind: 'produce' });
  }

  /** The controller's leader mostly; sometimes a broker that still believes it leads (a stale client). */
  private produceTarget(index: number): SimBroker | undefined {
    const believers = this.brokers.filter((b) => b.alive && b.partition(this.topicId, index)?.role.kind === 'leader');
    const reg = this.controller.image.topicsById.get(this.topicId)?.partitions.get(partitionIndex(index));
    const current = reg === undefined || reg.leader === NO_LEADER ? undefined : believers.find((b) => b.id === reg.leader);
    if (current !== undefined && this.random.chance(0.7)) return current;
    return believers.length === 0 ? undefined : believers[this.random.int(believers.length)];
  }

  private async nemesisActs(): Promise<void> {
    if (!this.faultPhase) return;
    this.trace.note(await this.nemesis.act());
    this.schedule(this.nemesis.nextDelayMs(), { kind: 'nemesis' });
  }

  async crash(b: SimBroker): Promise<void> {
    this.producer.dropBroker(b.id);
    await b.crash(TOPIC, this.partitions);
  }

  private restart(b: SimBroker): void {
    if (b.alive) return this.trace.note(`b${b.id} is up already`);
    b.start();
    this.startTimers(b);
  }

  // --- liveness ----------------------------------------------------------------------------------

  private async runLivenessPhase(): Promise<void> {
    this.faultPhase = false;
    this.cuts.clear();
    for (const b of this.brokers) {
      b.slowUntilMs = 0;
      if (!b.alive) this.restart(b);
    }
    const startMs = this.now;
    this.livenessDeadlineMs = this.now + this.stallMs;
    this.schedule(PROBE_MS, { kind: 'probe' });
    for (let i = 0; i < LIVENESS_EVENTS_MAX && !this.settled; i++) await this.step();
    if (!this.settled) replFail('liveness', `not settled after ${LIVENESS_EVENTS_MAX} events: ${await unsettled(this.controller.image, this.brokers, this.topic)}`);
    this.livenessMs = this.now - startMs;
    await checkHistory(this.producer.history, this.controller.image, this.brokers, this.topic);
  }

  private get stallMs(): number {
    return STALL_MS_BASE + STALL_PERIODS * (this.params.sessionTimeoutMs + this.params.lagTimeMsMax);
  }

  private async probe(): Promise<void> {
    const why = await unsettled(this.controller.image, this.brokers, this.topic);
    if (why === undefined) {
      this.settled = true;
      return this.trace.note('settled');
    }
    const progress = this.progress();
    if (progress > this.bestProgress) {
      this.bestProgress = progress;
      this.livenessDeadlineMs = Math.max(this.livenessDeadlineMs, this.now + this.stallMs);
    }
    if (this.now > this.livenessDeadlineMs) replFail('liveness', `no progress for ${this.stallMs}ms and not settled: ${why}`);
    this.schedule(PROBE_MS, { kind: 'probe' });
  }

  /** Grows while followers catch up: the sum of every live replica's log end and HW. */
  private progress(): number {
    let sum = 0;
    for (const b of this.brokers) {
      for (let i = 0; i < this.partitions; i++) {
        const p = b.partition(this.topicId, i);
        if (p !== undefined) sum += p.log.logEndOffset + p.highWatermark;
      }
    }
    return sum;
  }

  private result(violation: ReplViolation | undefined): ReplResult {
    const image = this.controller.image;
    const partitions = image.topicsById.get(this.topicId)?.partitions;
    const stats: ReplStats = {
      events: this.eventsRun,
      simMs: this.now,
      produced: this.producer.produced,
      acked: [...this.producer.acked.values()].reduce((n, l) => n + l.length, 0),
      leaderEpochs: [...(partitions?.values() ?? [])].reduce((n, p) => n + p.leaderEpoch, 0),
      isrChanges: this.alters.isrChanges,
      truncations: this.fetches.truncations,
      crashes: this.nemesis.crashes,
      cuts: this.nemesis.cuts,
      fencings: this.nemesis.fencings,
      livenessMs: this.livenessMs,
    };
    const v = violation?.report;
    return { seed: this.options.seed, ok: v === undefined, violation: v, lastEvents: v === undefined ? [] : this.trace.lastLines(), stats, traceHash: this.trace.hash };
  }
}

function toViolation(e: unknown): ReplViolation {
  if (e instanceof ReplViolation) return e;
  const detail = e instanceof Error ? `${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}` : String(e);
  return new ReplViolation('exception', detail);
}
