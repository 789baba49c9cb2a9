// The simulated brokers (ids 1..n, not raft members). A broker registers, then
// heartbeats with the offset of the metadata image it holds, which it copies from some controller
// every so often (so it lags, and may copy a lagging follower's). It is unfenced once caught up,
// leads what its (possibly stale) image says it leads, and as leader asks to shrink or expand ISRs
// with the epochs it knows. It crashes and restarts as a new incarnation, is cut off from the
// controllers, and sometimes shuts down in a controlled way (heartbeats with wantShutDown until
// told shouldShutDown). One lifecycle request (register or heartbeat) at a time, as lifecycle.ts.
import type { SeededRandom } from '../../../src/raft/core/random.js';
import { EMPTY_IMAGE, type MetadataImage, type PartitionRegistration, type TopicImage } from '../../../src/metadata/image.js';
import { type BrokerId, brokerEpoch, brokerId, incarnationId, leaderEpoch, partitionEpoch, type PartitionIndex } from '../../../src/metadata/types.js';
import type { ControllerNode } from './controller-node.js';
import type { MetaEvent, Reply, Request, Rpc } from './events.js';
import type { MetaParams } from './params.js';

/** Brokers use these network link ids, apart from the controllers' 1..5. */
export const BROKER_LINK_BASE = 32;
/** A lifecycle request that failed (timeout, NOT_CONTROLLER without a hint) is retried this soon. */
const RETRY_MS = 20;

export type BrokerState = 'down' | 'registering' | 'running' | 'shutting-down';

export interface FleetWorld {
  readonly random: SeededRandom;
  readonly params: MetaParams;
  readonly nowMs: number;
  readonly controllers: readonly ControllerNode[];
  schedule(delayMs: number, event: MetaEvent): void;
  note(text: string): void;
  send(rpc: Rpc): void;
  /** Whether broker `broker` can reach controller `node` right now. */
  reachable(broker: number, node: number): boolean;
}

export class SimBroker {
  state: BrokerState = 'down';
  incarnation = 0;
  epoch = -1;
  target = 1;
  /** The lifecycle request under way. */
  waiting: number | undefined;
  seq = 0;
  view: MetadataImage = EMPTY_IMAGE;
  /** When it last went down (crash or completed shutdown). */
  downSinceMs = 0;

  constructor(readonly id: number) {}

  get incarnationId(): string {
    return `33333333-${this.incarnation.toString(16).padStart(4, '0')}-4000-8000-${this.id.toString(16).padStart(12, '0')}`;
  }
}

export class Fleet {
  readonly brokers: SimBroker[];
  crashes = 0;
  shutdowns = 0;

  constructor(private readonly world: FleetWorld) {
    this.brokers = Array.from({ length: world.params.brokers }, (_, i) => new SimBroker(i + 1));
  }

  start(b: SimBroker): void {
    b.incarnation++;
    b.state = 'registering';
    b.epoch = -1;
    b.waiting = undefined;
    // A restarted broker reloads its metadata log; modelled as fetching it all again.
    b.view = EMPTY_IMAGE;
    b.target = this.randomController();
    const r = this.world.random;
    this.world.schedule(r.int(this.world.params.heartbeatMs), { kind: 'broker-heartbeat', broker: b.id, incarnation: b.incarnation });
    this.world.schedule(r.int(this.world.params.fetchMs), { kind: 'broker-fetch', broker: b.id, incarnation: b.incarnation });
    this.world.schedule(r.int(this.world.params.alterPartitionMs), { kind: 'broker-alter', broker: b.id, incarnation: b.incarnation });
  }

  crash(b: SimBroker): void {
    b.state = 'down';
    b.incarnation++;
    b.downSinceMs = this.world.nowMs;
    this.crashes++;
  }

  beginShutdown(b: SimBroker): boolean {
    if (b.state !== 'running') return false;
    b.state = 'shutting-down';
    this.shutdowns++;
    return true;
  }

  private current(id: number, incarnation: number): SimBroker | undefined {
    const b = this.brokers[id - 1];
    return b !== undefined && b.incarnation === incarnation && b.state !== 'down' ? b : undefined;
  }

  private randomController(): number {
    return 1 + this.world.random.int(this.world.controllers.length);
  }

  // ---- lifecycle requests ---------------------------------------------------------------------------

  heartbeatTimer(id: number, incarnation: number): void {
    const b = this.current(id, incarnation);
    if (b === undefined) return;
    if (b.waiting === undefined) this.sendLifecycle(b);
    this.world.schedule(this.world.params.heartbeatMs, { kind: 'broker-heartbeat', broker: id, incarnation });
  }

  private sendLifecycle(b: SimBroker): void {
    const bid = brokerId(b.id);
    const request: Request =
      b.state === 'registering'
        ? { kind: 'register', req: { brokerId: bid, incarnationId: incarnationId(b.incarnationId), endpoints: [{ listener: 'PLAINTEXT', host: `b${b.id}`, port: 9092, securityProtocol: 'PLAINTEXT' }], rack: null } }
        : { kind: 'heartbeat', metadataOffset: b.view.offset, req: { brokerId: bid, brokerEpoch: brokerEpoch(b.epoch), caughtUp: false, wantFence: false, wantShutDown: b.state === 'shutting-down' } };
    b.waiting = ++b.seq;
    this.world.send({ from: b.id, to: b.target, incarnation: b.incarnation, seq: b.seq, request });
    this.world.schedule(this.world.params.rpcTimeoutMs, { kind: 'rpc-timeout', broker: b.id, incarnation: b.incarnation, seq: b.seq });
  }

  rpcTimeout(id: number, incarnation: number, seq: number): void {
    const b = this.current(id, incarnation);
    if (b === undefined || b.waiting !== seq) return;
    b.waiting = undefined;
    b.target = this.randomController();
    this.world.schedule(RETRY_MS, { kind: 'broker-retry', broker: b.id, incarnation: b.incarnation });
  }

  retry(id: number, incarnation: number): void {
    const b = this.current(id, incarnation);
    if (b !== undefined && b.waiting === undefined) this.sendLifecycle(b);
  }

  reply(r: Reply): void {
    const b = this.current(r.to, r.incarnation);
    if (b === undefined) return;
    if (r.kind === 'alter-partition') return;
    if (b.waiting !== r.seq) return;
    b.waiting = undefined;
    if (r.error === 'NOT_CONTROLLER') return this.redirect(b, r.leaderHint);
    if (r.kind === 'register') return this.registered(b, r);
    this.heartbeatAnswered(b, r);
  }

  private redirect(b: SimBroker, hint: number): void {
    b.target = hint > 0 ? hint : this.randomController();
    if (hint > 0) this.sendLifecycle(b);
    else this.world.schedule(RETRY_MS, { kind: 'broker-retry', broker: b.id, incarnation: b.incarnation });
  }

  private registered(b: SimBroker, r: Reply): void {
    if (r.error !== undefined || b.state !== 'registering') return;
    b.epoch = r.brokerEpoch;
    b.state = 'running';
  }

  private heartbeatAnswered(b: SimBroker, r: Reply): void {
    if (r.error === 'STALE_BROKER_EPOCH' || r.error === 'BROKER_ID_NOT_REGISTERED') {
      b.state = 'registering';
      return;
    }
    if (r.error === undefined && r.shouldShutDown && b.state === 'shutting-down') {
      b.state = 'down';
      b.incarnation++;
      b.downSinceMs = this.world.nowMs;
      this.world.note(`b${b.id} shut down`);
    }
  }

  // ---- metadata ---------------------------------------------------------------------------------

  fetchTimer(id: number, incarnation: number): void {
    const b = this.current(id, incarnation);
    if (b === undefined) return;
    const from = this.world.random.chance(0.7) ? b.target : this.randomController();
    const node = this.world.controllers[from - 1];
    if (node?.alive === true && this.world.reachable(b.id, from) && node.image.offset > b.view.offset) b.view = node.image;
    this.world.schedule(this.world.params.fetchMs, { kind: 'broker-fetch', broker: id, incarnation });
  }

  /** As a partition leader (in its own view), ask to shrink or expand one ISR. */
  alterTimer(id: number, incarnation: number): void {
    const b = this.current(id, incarnation);
    if (b === undefined) return;
    this.world.schedule(this.world.params.alterPartitionMs, { kind: 'broker-alter', broker: id, incarnation });
    if (b.state !== 'running' || b.view.brokers.get(brokerId(b.id))?.fenced !== false) return;
    const led = this.ledPartitions(b);
    if (led.length === 0) return;
    const pick = led[this.world.random.int(led.length)];
    if (pick === undefined) return;
    const newIsr = this.alteredIsr(b.view, pick.p);
    if (newIsr === undefined) return;
    const req = { brokerId: brokerId(b.id), brokerEpoch: brokerEpoch(b.epoch), topicId: pick.topic.id, partition: pick.index, leaderEpoch: leaderEpoch(pick.p.leaderEpoch), partitionEpoch: partitionEpoch(pick.p.partitionEpoch), newIsr };
    this.world.send({ from: b.id, to: b.target, incarnation: b.incarnation, seq: ++b.seq, request: { kind: 'alter-partition', req } });
  }

  private ledPartitions(b: SimBroker): { topic: TopicImage; index: PartitionIndex; p: PartitionRegistration }[] {
    const out: { topic: TopicImage; index: PartitionIndex; p: PartitionRegistration }[] = [];
    for (const topic of b.view.topicsById.values()) for (const [index, p] of topic.partitions) if (p.leader === b.id) out.push({ topic, index, p });
    return out;
  }

  private alteredIsr(view: MetadataImage, p: PartitionRegistration): BrokerId[] | undefined {
    const random = this.world.random;
    const followers = p.isr.filter((r) => r !== p.leader);
    const outside = p.replicas.filter((r) => !p.isr.includes(r) && view.brokers.get(r)?.fenced === false);
    if (followers.length > 0 && (outside.length === 0 || random.chance(0.5))) {
      const drop = followers[random.int(followers.length)];
      return p.isr.filter((r) => r !== drop);
    }
    if (outside.length === 0) return undefined;
    const add = outside[random.int(outside.length)] as BrokerId;
    return [...p.isr, add];
  }
}
