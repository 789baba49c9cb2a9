// A broker's life as the controller sees it, as Kafka's BrokerLifecycleManager: register (fenced),
// heartbeat every interval with the metadata offset applied here, get unfenced once caught up, and
// on shutdown ask to be fenced first (controlled shutdown) so the controller moves this broker's
// leaderships to other in-sync replicas before it goes away.
//
//   registering -> fenced <-> unfenced -> shutting-down -> stopped
//
// A heartbeat answered STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED (the controller replaced or
// lost this registration) sends the broker back to registering. Heartbeats are never concurrent:
// the next is scheduled when the last one has answered.
import { randomUUID } from 'node:crypto';
import type { ControllerClient } from '../metadata/controller-client.js';
import type { controllerpb } from '../metadata/controller-service.js';
import type { Endpoint } from '../metadata/records.js';
import type { LogIndex } from '../raft/core/types.js';
import type { Logger } from '../util/log.js';

/** A controlled shutdown gives up after this many heartbeats in a row reach no controller. */
export const SHUTDOWN_ATTEMPTS_UNANSWERED_MAX = 3;

export type BrokerState = 'registering' | 'fenced' | 'unfenced' | 'shutting-down' | 'stopped';

export interface BrokerLifecycleOptions {
  readonly brokerId: number;
  readonly clusterId: string;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly client: ControllerClient;
  /** The last metadata log index applied on this node. */
  readonly metadataOffset: () => LogIndex;
  readonly heartbeatIntervalMs: number;
  readonly log: Logger;
}

export class BrokerLifecycle {
  readonly incarnationId = randomUUID();
  private stateNow: BrokerState = 'registering';
  private epochNow = -1;
  private timer: NodeJS.Timeout | undefined;
  private wantShutDown = false;
  /** Heartbeats in a row that reached no controller. */
  private unanswered = 0;
  private shutDownWaiters: Array<() => void> = [];
  private readonly listeners = new Set<(state: BrokerState) => void>();

  constructor(private readonly options: BrokerLifecycleOptions) {}

  get state(): BrokerState {
    return this.stateNow;
  }

  /** The epoch of the current registration (-1 before the first). */
  get epoch(): number {
    return this.epochNow;
  }

  onState(listener: (state: BrokerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * Asks the controller to fence this broker and move its leaderships away; resolves once the
   * controller says it may shut down, or after `timeoutMs` (then it shuts down regardless, as
   * Kafka's broker does when controlled shutdown does not finish).
   */
  controlledShutdown(timeoutMs: number): Promise<boolean> {
    if (this.stateNow === 'stopped') return Promise.resolve(true);
    if (this.stateNow === 'registering') {
      this.stop();
      return Promise.resolve(true);
    }
    this.wantShutDown = true;
    this.setState('shutting-down');
    this.schedule(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.shutDownWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.setState('stopped');
  }

  private schedule(delayMs: number): void {
    if (this.stateNow === 'stopped') return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.beat(), delayMs);
  }

  private async beat(): Promise<void> {
    this.timer = undefined;
    try {
      if (this.stateNow === 'registering') await this.register();
      else await this.heartbeat();
      this.unanswered = 0;
    } catch (error) {
      this.options.log.warn({ err: error, state: this.stateNow }, 'could not reach the active controller');
      // With no controller to move leaderships, waiting longer helps nobody (Kafka gives up too).
      if (this.wantShutDown && ++this.unanswered >= SHUTDOWN_ATTEMPTS_UNANSWERED_MAX) {
        this.finishShutDown(`no controller answered ${this.unanswered} heartbeats; shutting down without moving leaderships`);
      }
    }
    this.schedule(this.options.heartbeatIntervalMs);
  }

  private async register(): Promise<void> {
    const o = this.options;
    const endpoints = o.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port, securityProtocol: e.securityProtocol }));
    const response = await o.client.call('registerBroker', { brokerId: o.brokerId, incarnationId: this.incarnationId, endpoints, ...(o.rack === null ? {} : { rack: o.rack }), clusterId: o.clusterId });
    if (this.failed(response.error, 'registration')) return;
    if (this.stateNow !== 'registering') return;
    this.epochNow = Number(response.brokerEpoch);
    o.log.info({ epoch: this.epochNow }, 'registered with the controller (fenced until caught up)');
    this.setState('fenced');
  }

  private async heartbeat(): Promise<void> {
    const o = this.options;
    const response = await o.client.call('brokerHeartbeat', { brokerId: o.brokerId, brokerEpoch: this.epochNow, currentMetadataOffset: o.metadataOffset(), wantShutDown: this.wantShutDown });
    const code = response.error?.code;
    if (code === 'STALE_BROKER_EPOCH' || code === 'BROKER_ID_NOT_REGISTERED') {
      o.log.warn({ code, epoch: this.epochNow }, 'the controller no longer knows this registration; registering again');
      if (!this.wantShutDown) this.setState('registering');
      else this.finishShutDown('the controller no longer knows this registration; nothing to move');
      return;
    }
    if (this.failed(response.error, 'heartbeat')) return;
    if (this.wantShutDown) {
      if (response.shouldShutDown) this.finishShutDown();
      return;
    }
    const next = response.isFenced ? 'fenced' : 'unfenced';
    if (next !== this.stateNow) o.log.info({ epoch: this.epochNow }, next === 'unfenced' ? 'unfenced: caught up with the metadata log' : 'fenced by the controller');
    this.setState(next);
  }

  private finishShutDown(giveUp?: string): void {
    if (giveUp === undefined) this.options.log.info('controlled shutdown complete: this broker leads no partition');
    else this.options.log.warn(giveUp);
    this.stop();
    for (const w of this.shutDownWaiters.splice(0)) w();
  }

  private failed(error: controllerpb.IError | null | undefined, what: string): boolean {
    if (!error || !error.code || error.code === 'NONE') return false;
    this.options.log.warn({ code: error.code, reason: error.message }, `${what} refused`);
    return true;
  }

  private setState(state: BrokerState): void {
    if (state === this.stateNow) return;
    this.stateNow = state;
    for (const l of this.listeners) l(state);
  }
}
