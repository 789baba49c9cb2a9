// The controller driver: active on the raft leader of the metadata quorum only, as Kafka's
// QuorumController. It owns the I/O and the timers around the pure commands of controller/:
//
//   request -> command(image) -> {records, response} -> propose(batch) -> applied -> response
//
// Commands run one at a time, each against the newest image, which already holds every record of
// the commands before it (the next one starts only after the previous batch was applied here). So
// no command ever reads state its predecessors are about to change, and a command never touches
// state itself: only replay does (state-machine.ts), on every node alike.
//
// Activation: when this node becomes raft leader it first makes a linearizable read, which returns
// once every entry committed by earlier leaders is applied here; only then does it re-arm broker
// sessions from the image and start serving. Leadership lost: it stops at once, and queued
// commands answer NOT_CONTROLLER (the client goes to the new leader).
import { randomUUID } from 'node:crypto';
import type { NodeId } from '../raft/core/types.js';
import { RaftError } from '../raft/errors.js';
import type { RaftNode } from '../raft/node.js';
import type { Logger } from '../util/log.js';
import { BrokerSessions } from './broker-sessions.js';
import type { ControllerResult } from './controller/result.js';
import { encodeBatch } from './records.js';
import type { MetadataImage } from './image.js';
import type { ApplyOutcome, MetadataStateMachine } from './state-machine.js';
import type { KafkaErrorName } from './errors.js';
import type { BrokerId, LogIndex, TopicId } from './types.js';

/** Commands waiting for their turn; more are refused (retriable) rather than queued without bound. */
export const COMMANDS_QUEUED_MAX = 1_000;
/** Preferred-leader moves per rebalance command: one bounded batch, the next check does the rest. */
export const REBALANCE_MOVES_MAX = 1_000;

export interface QuorumControllerOptions {
  readonly node: RaftNode<ApplyOutcome>;
  readonly machine: MetadataStateMachine;
  readonly clusterId: string;
  readonly sessionTimeoutMs: number;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoLeaderRebalance: boolean;
  readonly leaderImbalanceCheckIntervalMs: number;
  readonly log: Logger;
  /** The clock, for tests. */
  readonly now?: () => number;
  /** Topic ids, for tests. */
  readonly newTopicId?: () => TopicId;
}

/** An operating error of the controller, answered to the caller with a Kafka error name. */
export class ControllerError extends Error {
  override readonly name = 'ControllerError';
  constructor(readonly code: KafkaErrorName, message: string, readonly retriable: boolean, readonly leaderId = 0) {
    super(message);
  }
}

export class QuorumController {
  readonly sessions: BrokerSessions;
  private readonly node: RaftNode<ApplyOutcome>;
  private readonly machine: MetadataStateMachine;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Bumped on every activation and deactivation: work started under an older one must not act. */
  private generation = 0;
  private active = false;
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;
  private nextRebalanceMs = 0;
  private readonly fencing = new Set<BrokerId>();
  private learnerChange: Promise<void> | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(readonly options: QuorumControllerOptions) {
    this.node = options.node;
    this.machine = options.machine;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.sessions = new BrokerSessions(options.sessionTimeoutMs);
    this.unsubscribe.push(this.node.on('leader', (change) => (change.role === 'leader' ? this.activate() : this.deactivate())));
    this.unsubscribe.push(this.machine.subscribe(() => this.maybeAddLearners()));
    if (this.node.isLeader()) this.activate();
  }

  get isActive(): boolean {
    return this.active;
  }

  get image(): MetadataImage {
    return this.machine.image;
  }

  /** Refusal for a caller reaching a controller that is not active. */
  notController(): ControllerError {
    const leader = this.node.leaderId();
    const known = leader > 0 && leader !== this.node.id;
    return new ControllerError('NOT_CONTROLLER', `node ${this.node.id} is not the active controller${known ? `; node ${leader} is` : ''}`, true, known ? leader : 0);
  }

  /**
   * Runs one command in turn: computes its records against the newest image, proposes them as one
   * batch, and answers once the batch is applied here. `committed` runs after a successful apply.
   */
  run<T>(name: string, command: (image: MetadataImage) => ControllerResult<T>, committed?: (response: T, offset: LogIndex) => void): Promise<T> {
    if (!this.active) return Promise.reject(this.notController());
    if (this.queued >= COMMANDS_QUEUED_MAX) return Promise.reject(new ControllerError('THROTTLING_QUOTA_EXCEEDED', `${this.queued} controller commands queued; retry later`, true));
    const generation = this.generation;
    this.queued++;
    const result = this.tail.then(() => this.execute(name, generation, command, committed));
    this.tail = result.catch(() => undefined).finally(() => this.queued--);
    return result;
  }

  private async execute<T>(name: string, generation: number, command: (image: MetadataImage) => ControllerResult<T>, committed?: (response: T, offset: LogIndex) => void): Promise<T> {
    if (!this.active || generation !== this.generation) throw this.notController();
    const { records, response } = command(this.machine.image);
    if (records.length === 0) return response;
    let applied;
    try {
      applied = await this.node.propose(encodeBatch(records));
    } catch (error) {
      throw this.fromRaft(error, name);
    }
    if (!applied.result.ok) throw new ControllerError('UNKNOWN_SERVER_ERROR', `${name}: the metadata log refused the records: ${applied.result.reason}`, false);
    committed?.(response, applied.index);
    return response;
  }

  private fromRaft(error: unknown, name: string): ControllerError {
    if (error instanceof RaftError) {
      if (error.code === 'NOT_LEADER' || error.code === 'LEADERSHIP_LOST' || error.code === 'TRANSFERRING') return this.notController();
      if (error.code === 'TIMEOUT' || error.code === 'INDETERMINATE') return new ControllerError('REQUEST_TIMED_OUT', `${name}: ${error.message}`, false);
      if (error.code === 'TOO_MANY_PENDING' || error.code === 'TOO_MANY_UNCOMMITTED') return new ControllerError('THROTTLING_QUOTA_EXCEEDED', `${name}: ${error.message}`, true);
      return new ControllerError('UNKNOWN_SERVER_ERROR', `${name}: ${error.message}`, error.retriable);
    }
    return new ControllerError('UNKNOWN_SERVER_ERROR', `${name}: ${error instanceof Error ? error.message : String(error)}`, false);
  }

  /** A new topic id, never the all-zero one and never one in use. */
  newTopicId(image: MetadataImage): TopicId {
    for (;;) {
      const id = (this.options.newTopicId ?? (() => randomUUID() as TopicId))();
      if (!image.topicsById.has(id) && id !== '00000000-0000-0000-0000-000000000000') return id;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Activation.

  private activate(): void {
    if (this.active) return;
    const generation = ++this.generation;
    this.node.read().then(
      () => {
        if (generation !== this.generation || !this.node.isLeader()) return;
        this.sessions.activate(this.machine.image, this.now());
        this.active = true;
        this.fencing.clear();
        this.nextRebalanceMs = this.now() + this.options.leaderImbalanceCheckIntervalMs;
        this.timer = setInterval(() => this.onTimer(), this.timerMs());
        this.log.info({ offset: this.machine.image.offset, brokers: this.machine.image.brokers.size }, 'active controller');
        this.maybeAddLearners();
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.log.info({ err: error }, 'could not activate as controller (leadership lost?)');
        this.generation++;
      },
    );
  }

  private deactivate(): void {
    // A pending activation (its read still in flight) is cancelled by the new generation too.
    this.generation++;
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    this.timer = undefined;
    this.log.info({ leader: this.node.leaderId() }, 'no longer the active controller');
  }

  private timerMs(): number {
    return Math.max(20, Math.min(250, Math.floor(this.options.sessionTimeoutMs / 8)));
  }

  stop(): void {
    this.deactivate();
    for (const u of this.unsubscribe) u();
  }

  // -------------------------------------------------------------------------------------------
  // Periodic work of the active controller: fence expired sessions, rebalance preferred leaders.

  /** Set by the command layer (handlers.ts): how to fence and how to rebalance. */
  periodic: { fence(id: BrokerId): Promise<unknown>; rebalance(): Promise<number> } | undefined;

  private onTimer(): void {
    if (!this.active || this.periodic === undefined) return;
    const now = this.now();
    for (const id of this.sessions.expired(this.machine.image, now)) {
      if (this.fencing.has(id)) continue;
      this.fencing.add(id);
      this.log.warn({ broker: id }, 'broker session expired; fencing it');
      this.periodic.fence(id).then(
        () => this.fencing.delete(id),
        (error: unknown) => {
          this.fencing.delete(id);
          this.log.warn({ err: error, broker: id }, 'could not fence broker');
        },
      );
    }
    if (this.options.autoLeaderRebalance && now >= this.nextRebalanceMs) {
      this.nextRebalanceMs = now + this.options.leaderImbalanceCheckIntervalMs;
      this.rebalanceSoon();
    }
  }

  /** Runs a preferred-leader rebalance now (a broker came back), unless disabled. */
  rebalanceSoon(): void {
    if (!this.options.autoLeaderRebalance || !this.active || this.periodic === undefined) return;
    this.periodic.rebalance().then(
      (moved) => moved > 0 && this.log.info({ moved }, 'moved leaderships back to preferred replicas'),
      (error: unknown) => this.log.debug({ err: error }, 'preferred leader rebalance failed'),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Brokers that are not controllers follow the metadata log as raft learners; the active
  // controller adds each registered one, one membership change at a time.

  private maybeAddLearners(): void {
    if (!this.active || this.learnerChange !== undefined) return;
    const conf = this.node.status().conf;
    const members = new Set<number>([...conf.voters, ...conf.learners]);
    const missing = [...this.machine.image.brokers.keys()].find((id) => !members.has(id));
    if (missing === undefined) return;
    const generation = this.generation;
    this.learnerChange = this.node
      .proposeConfChange({ kind: 'add-learner', node: missing as number as NodeId })
      .then(
        (index) => this.log.info({ broker: missing, index }, 'added broker to the metadata quorum as a learner'),
        (error: unknown) => this.log.debug({ err: error, broker: missing }, 'could not add learner yet'),
      )
      .finally(() => {
        this.learnerChange = undefined;
        if (generation === this.generation) setTimeout(() => this.maybeAddLearners(), 50).unref();
      });
  }
}
