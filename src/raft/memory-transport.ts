// The in-memory twin of GrpcTransport, for RaftNode unit tests: transports on one InMemoryNetwork
// deliver to each other asynchronously (never inside `send`, as over a real network), in order per
// peer, through bounded per-peer queues. Tests can partition the network or drop chosen messages.
// The deterministic simulator has its own network; this one is driven by the event loop.
import { validateMessage, describe as describeMessage, MalformedMessageError } from './codec.js';
import type { Message, NodeId } from './core/types.js';
import type { MessageHandler, Transport, TransportStats } from './transport.js';

export const MEMORY_QUEUE_MESSAGES_MAX = 1024;

/** Returns true for a message the network should lose. */
export type DropPredicate = (message: Message) => boolean;

export interface InMemoryTransportStats extends TransportStats {
  readonly received: number;
  /** Lost to a partition, the drop predicate, or an addressee that is not running. */
  readonly droppedByNetwork: number;
}

type Counters = { -readonly [K in keyof InMemoryTransportStats]: number };

export class InMemoryNetwork {
  private readonly handlers = new Map<NodeId, MessageHandler>();
  private readonly transports = new Map<NodeId, InMemoryTransport>();
  /** Node -> its partition group; undefined when the network is whole. */
  private groups: Map<NodeId, number> | undefined;
  private dropPredicate: DropPredicate | undefined;

  constructor(private readonly queueMessagesMax = MEMORY_QUEUE_MESSAGES_MAX) {}

  /** The transport of node `id`; one live transport per node (close it to make another). */
  transport(id: NodeId): InMemoryTransport {
    if (this.transports.has(id)) throw new Error(`node ${id} already has a transport on this network`);
    const transport = new InMemoryTransport(id, this, this.queueMessagesMax);
    this.transports.set(id, transport);
    return transport;
  }

  /**
   * Splits the network: nodes talk only within their group. Nodes named in no group form one
   * more group together. Replaces any earlier partition.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.groups = new Map();
    groups.forEach((group, i) => group.forEach((id) => this.groups?.set(id, i)));
  }

  heal(): void {
    this.groups = undefined;
  }

  setDropPredicate(predicate: DropPredicate | undefined): void {
    this.dropPredicate = predicate;
  }

  /** Where `message` goes now, or undefined if the network loses it. */
  route(message: Message): MessageHandler | undefined {
    const group = (id: NodeId) => this.groups?.get(id) ?? -1;
    if (this.groups !== undefined && group(message.from) !== group(message.to)) return undefined;
    if (this.dropPredicate?.(message) === true) return undefined;
    return this.handlers.get(message.to);
  }

  register(id: NodeId, handler: MessageHandler): void {
    this.handlers.set(id, handler);
  }

  unregister(transport: InMemoryTransport): void {
    if (this.transports.get(transport.id) !== transport) return;
    this.transports.delete(transport.id);
    this.handlers.delete(transport.id);
  }
}

export class InMemoryTransport implements Transport {
  private readonly queues = new Map<NodeId, Message[]>();
  private readonly counters: Counters = { sent: 0, received: 0, droppedQueueFull: 0, droppedMalformed: 0, droppedByNetwork: 0 };
  private delivery: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    readonly id: NodeId,
    private readonly network: InMemoryNetwork,
    private readonly queueMessagesMax: number,
  ) {}

  async start(handler: MessageHandler): Promise<void> {
    if (this.closed) throw new Error('InMemoryTransport.start after close');
    this.network.register(this.id, (message) => {
      this.counters.received++;
      handler(message);
    });
  }

  /** Throws MalformedMessageError for a message GrpcTransport could not encode either. */
  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) {
      const reason = message.from === this.id ? validateMessage(message) : `sent by node ${this.id}`;
      if (reason !== undefined) throw new MalformedMessageError(`${describeMessage(message)}: ${reason}`);
      const queue = this.queues.get(message.to) ?? [];
      if (queue.length >= this.queueMessagesMax) {
        this.counters.droppedQueueFull++;
        continue;
      }
      queue.push(message);
      this.queues.set(message.to, queue);
    }
    if (this.queues.size > 0) this.delivery ??= setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.delivery = undefined;
    const queues = [...this.queues.values()];
    this.queues.clear();
    for (const message of queues.flat()) {
      const handler = this.network.route(message);
      if (handler === undefined) {
        this.counters.droppedByNetwork++;
        continue;
      }
      this.counters.sent++;
      handler(message);
    }
  }

  /** Addresses mean nothing here: every running transport on the network is reachable. */
  setPeer(_id: NodeId, _address: string): void {}

  removePeer(_id: NodeId): void {}

  stats(): InMemoryTransportStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.delivery !== undefined) clearImmediate(this.delivery);
    this.delivery = undefined;
    this.queues.clear();
    this.network.unregister(this);
  }
}
