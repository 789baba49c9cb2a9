// Raft messages over gRPC: the RaftPeer.Send client stream of proto/raft.proto.
//
// Sending: one PeerLink per peer, each with its own bounded queue and one client stream, so a slow
// or dead peer never delays the others. A link writes one batch at a time; whatever is queued while
// that batch is in flight goes out as the next batch, which coalesces messages under load without
// adding delay when idle. When a stream fails, the link drops what it holds and refuses messages
// for a capped, exponentially growing backoff before it opens a new stream: Raft resends what
// matters (heartbeats, probes), and stale appends would only be rejected.
//
// Receiving: each incoming batch is decoded and validated as a whole (codec.ts). An invalid batch
// is dropped, counted and logged with its sender; it never fails the stream, let alone the node.
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from './core/types.js';
import {
  MalformedMessageError,
  RAFT_BATCH_BYTES_MAX,
  RAFT_BATCH_MESSAGES_MAX,
  decodeBatch,
  decodeSendAck,
  describe,
  encodeMessage,
  encodeSendAck,
  frameBatch,
  framedBytes,
  type DecodeResult,
  type SendAck,
} from './codec.js';
import type { MessageHandler, Transport, TransportStats } from './transport.js';
import { logger, type Logger } from '../util/log.js';

/** Messages waiting for one peer, at most (by default). */
export const PEER_QUEUE_MESSAGES_MAX = 1024;
/** The largest reply of a service served beside raft (a DescribeCluster of a large image). */
export const EXTRA_SERVICE_REPLY_BYTES_MAX = 256 * 1024 * 1024;
/** Encoded bytes waiting for one peer, at most. */
export const PEER_QUEUE_BYTES_MAX = 4 * RAFT_BATCH_BYTES_MAX;
export const RECONNECT_BACKOFF_MS_MIN = 50;
export const RECONNECT_BACKOFF_MS_MAX = 2000;
/** Incoming streams at once per connection: one per sending peer, with room for reconnects. */
const SERVER_STREAMS_MAX = 64;
const ACK_BYTES_MAX = 1024;
// Pings find a peer that vanished without closing its connection (a paused or cut-off host).
const KEEPALIVE_MS = 5000;
const KEEPALIVE_TIMEOUT_MS = 5000;

const SEND_PATH = '/flotilla.raft.RaftPeer/Send';
/** Request metadata naming the sending node, for logs. */
const FROM_HEADER = 'flotilla-from';

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * RaftPeer.Send as the server sees it: each batch arrives already decoded, or with the reason it
 * is invalid (decodeBatch never throws, so a bad batch cannot fail the stream). The client side
 * writes pre-framed batches with `makeClientStreamRequest` on the same path.
 */
const RAFT_PEER_SERVICE = {
  Send: {
    path: SEND_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: (batch: DecodeResult): Buffer => toBuffer(batch.ok ? frameBatch(batch.messages.map(encodeMessage)) : new Uint8Array(0)),
    requestDeserialize: (bytes: Buffer): DecodeResult => decodeBatch(bytes),
    responseSerialize: (ack: SendAck): Buffer => toBuffer(encodeSendAck(ack)),
    responseDeserialize: (bytes: Buffer): SendAck => decodeSendAck(bytes),
  },
} satisfies grpc.ServiceDefinition;

export interface GrpcTransportOptions {
  readonly self: NodeId;
  /** host:port to listen on; port 0 picks a free port (see `port`). */
  readonly listen: string;
  /** More gRPC services to serve on the same port (the controller service beside raft, as Kafka's CONTROLLER listener). */
  readonly services?: readonly ExtraService[];
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly queueMessagesMax?: number;
  readonly queueBytesMax?: number;
  readonly reconnectBackoffMsMin?: number;
  readonly reconnectBackoffMsMax?: number;
  readonly log?: Logger;
}

export interface GrpcTransportStats extends TransportStats {
  /** Messages delivered to the handler. */
  readonly received: number;
  /** Dropped because their peer's stream had failed or was backing off before reconnecting. */
  readonly droppedPeerDown: number;
  /** Dropped because no address is known for their addressee. */
  readonly droppedUnknownPeer: number;
  /** Outgoing messages addressed to this node itself (a bug in the caller), dropped. */
  readonly droppedSelfAddressed: number;
  /** Outgoing messages too large for any batch, dropped. */
  readonly droppedOversized: number;
  /** Received messages addressed to another node, dropped. */
  readonly droppedMisaddressed: number;
}

type Counters = { -readonly [K in keyof GrpcTransportStats]: number };

interface LinkContext {
  readonly self: NodeId;
  readonly queueMessagesMax: number;
  readonly queueBytesMax: number;
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  readonly counters: Counters;
  readonly log: Logger;
}

export interface ExtraService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
}

export class GrpcTransport implements Transport {
  private readonly self: NodeId;
  private readonly listen: string;
  private readonly addresses = new Map<NodeId, string>();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly context: LinkContext;
  private readonly log: Logger;
  private readonly services: readonly ExtraService[];
  private server: grpc.Server | undefined;
  private handler: MessageHandler | undefined;
  private boundPort = 0;
  private closed = false;

  constructor(options: GrpcTransportOptions) {
    this.self = options.self;
    this.listen = options.listen;
    this.services = options.services ?? [];
    this.log = options.log ?? logger('raft-transport', { node: options.self });
    for (const [id, address] of options.peers) if (id !== options.self) this.addresses.set(id, address);
    this.context = {
      self: options.self,
      queueMessagesMax: options.queueMessagesMax ?? PEER_QUEUE_MESSAGES_MAX,
      queueBytesMax: options.queueBytesMax ?? PEER_QUEUE_BYTES_MAX,
      backoffMsMin: options.reconnectBackoffMsMin ?? RECONNECT_BACKOFF_MS_MIN,
      backoffMsMax: options.reconnectBackoffMsMax ?? RECONNECT_BACKOFF_MS_MAX,
      counters: { sent: 0, received: 0, droppedQueueFull: 0, droppedMalformed: 0, droppedPeerDown: 0, droppedUnknownPeer: 0, droppedSelfAddressed: 0, droppedOversized: 0, droppedMisaddressed: 0 },
      log: this.log,
    };
  }

  /** The port the server is bound to (0 before `start`). */
  get port(): number {
    return this.boundPort;
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.server !== undefined || this.closed) throw new Error('GrpcTransport.start called twice or after close');
    this.handler = handler;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': RAFT_BATCH_BYTES_MAX,
      // Raft only sends small acks; extra services (the controller's) may answer with a whole image.
      'grpc.max_send_message_length': this.services.length > 0 ? EXTRA_SERVICE_REPLY_BYTES_MAX : ACK_BYTES_MAX,
      'grpc.max_concurrent_streams': SERVER_STREAMS_MAX,
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      interceptors: [reportRejectedCalls((peer, details) => this.onRejectedCall(peer, details))],
    });
    server.addService(RAFT_PEER_SERVICE, { Send: (call: grpc.ServerReadableStream<DecodeResult, SendAck>, respond: grpc.sendUnaryData<SendAck>) => this.onStream(call, respond) });
    for (const service of this.services) server.addService(service.definition, service.implementation);
    this.server = server;
    try {
      this.boundPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(this.listen, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
      });
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
    this.log.info({ listen: this.listen, port: this.boundPort }, 'raft transport listening');
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    for (const message of messages) this.sendOne(message);
  }

  private sendOne(message: Message): void {
    const counters = this.context.counters;
    if (message.to === this.self) {
      counters.droppedSelfAddressed++;
      this.log.error({ message: describe(message) }, 'dropped a self-addressed raft message (the core never sends one)');
      return;
    }
    // Any other inconsistency is our own bug: encodeMessage throws MalformedMessageError for it.
    if (message.from !== this.self) throw new MalformedMessageError(`${describe(message)}: sent by node ${this.self}`);
    const link = this.link(message.to);
    if (link === undefined) {
      counters.droppedUnknownPeer++;
      this.log.debug({ to: message.to }, 'dropped a raft message for a peer with no known address');
      return;
    }
    link.offer(message);
  }

  private link(id: NodeId): PeerLink | undefined {
    let link = this.links.get(id);
    const address = this.addresses.get(id);
    if (link === undefined && address !== undefined) {
      link = new PeerLink(id, address, this.context);
      this.links.set(id, link);
    }
    return link;
  }

  setPeer(id: NodeId, address: string): void {
    if (id === this.self || this.addresses.get(id) === address) return;
    this.removePeer(id);
    this.addresses.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.links.get(id)?.close();
    this.links.delete(id);
    this.addresses.delete(id);
  }

  stats(): GrpcTransportStats {
    return { ...this.context.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) link.close();
    this.links.clear();
    // Raft state is durable before anything is sent, so cutting streams mid-batch loses nothing.
    this.server?.forceShutdown();
    this.handler = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Receiving.

  private onStream(call: grpc.ServerReadableStream<DecodeResult, SendAck>, respond: grpc.sendUnaryData<SendAck>): void {
    const sender = { from: call.metadata.get(FROM_HEADER)[0]?.toString() ?? 'unknown', peer: call.getPeer() };
    // Response headers now tell the sender its stream is up, so it can reset its backoff.
    call.sendMetadata(new grpc.Metadata());
    let batches = 0;
    let messages = 0;
    call.on('data', (batch: DecodeResult) => {
      batches++;
      messages += this.receive(batch, sender);
    });
    call.on('end', () => respond(null, { batches, messages }));
    call.on('error', (err: Error) => this.log.debug({ ...sender, err: err.message }, 'raft stream failed'));
  }

  /** Hands the batch's messages to the handler; returns how many it delivered. */
  private receive(batch: DecodeResult, sender: { from: string; peer: string }): number {
    const counters = this.context.counters;
    if (!batch.ok) {
      counters.droppedMalformed++;
      this.log.warn({ ...sender, reason: batch.reason }, 'dropped a malformed raft batch');
      return 0;
    }
    let delivered = 0;
    for (const message of batch.messages) {
      if (message.to !== this.self) {
        counters.droppedMisaddressed++;
        this.log.warn({ ...sender, message: describe(message) }, 'dropped a raft message addressed to another node');
      } else if (this.handler !== undefined) {
        counters.received++;
        delivered++;
        this.handler(message);
      }
    }
    return delivered;
  }

  private onRejectedCall(peer: string, details: string): void {
    this.context.counters.droppedMalformed++;
    this.log.warn({ peer, reason: details }, 'dropped an oversized raft batch and its stream');
  }
}

/**
 * gRPC rejects a message over its receive limit before our handler sees it, ending the call with
 * RESOURCE_EXHAUSTED. It does so from its base call object, past the interceptor chain, so the one
 * way to learn of it is to wrap that object's sendStatus. Without this an oversized batch would be
 * indistinguishable from a peer going away.
 */
function reportRejectedCalls(onRejected: (peer: string, details: string) => void): grpc.ServerInterceptor {
  return (_method, call) => {
    const sendStatus = call.sendStatus.bind(call);
    let rejected = false;
    call.sendStatus = (status) => {
      // Later data frames of the same call fail the same way; one rejection is one dropped batch.
      if (status.code === grpc.status.RESOURCE_EXHAUSTED && !rejected) onRejected(call.getPeer(), status.details ?? '');
      rejected ||= status.code === grpc.status.RESOURCE_EXHAUSTED;
      sendStatus(status);
    };
    return new grpc.ServerInterceptingCall(call);
  };
}

// ---------------------------------------------------------------------------------------------
// Sending to one peer.

type LinkState =
  /** No stream; the next message opens one. */
  | 'idle'
  /** A stream is open (or opening: gRPC holds writes until it connects). */
  | 'open'
  /** The last stream failed; messages are dropped until the backoff timer fires. */
  | 'backoff'
  | 'closed';

class PeerLink {
  private readonly client: grpc.Client;
  private readonly queue: Uint8Array[] = [];
  private queueBytes = 0;
  private state: LinkState = 'idle';
  private call: grpc.ClientWritableStream<Uint8Array> | undefined;
  /** Messages in the batch written to gRPC and not yet taken by it (0: none in flight). */
  private inflight = 0;
  private connected = false;
  private backoffMs: number;
  private flushScheduled: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: NodeId,
    private readonly address: string,
    private readonly ctx: LinkContext,
  ) {
    this.backoffMs = ctx.backoffMsMin;
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': RAFT_BATCH_BYTES_MAX,
      'grpc.max_receive_message_length': ACK_BYTES_MAX,
      'grpc.initial_reconnect_backoff_ms': ctx.backoffMsMin,
      'grpc.max_reconnect_backoff_ms': ctx.backoffMsMax,
      'grpc.keepalive_time_ms': KEEPALIVE_MS,
      'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
      // Raft does its own retrying. Without a retry buffer gRPC also stops acknowledging writes it
      // has merely buffered, so a write's callback means the batch reached the connection.
      'grpc.enable_retries': 0,
      'grpc.retry_buffer_size': 0,
      'grpc.per_rpc_retry_buffer_size': 0,
      // Each transport owns its connections, so closing one never touches another's.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Queues `message` unless the link is down or full; either way returns at once. */
  offer(message: Message): void {
    const counters = this.ctx.counters;
    if (this.state === 'closed') return;
    if (this.state === 'backoff') {
      counters.droppedPeerDown++;
      return;
    }
    if (this.queue.length >= this.ctx.queueMessagesMax) {
      counters.droppedQueueFull++;
      return;
    }
    const encoded = encodeMessage(message);
    if (framedBytes(encoded) > RAFT_BATCH_BYTES_MAX) {
      counters.droppedOversized++;
      this.ctx.log.error({ message: describe(message), bytes: encoded.length }, 'dropped a raft message larger than a batch');
      return;
    }
    if (this.queueBytes + encoded.length > this.ctx.queueBytesMax) {
      counters.droppedQueueFull++;
      return;
    }
    this.queue.push(encoded);
    this.queueBytes += encoded.length;
    if (this.state === 'idle') this.open();
    // Deferred so that everything sent in this turn of the event loop leaves as one batch.
    this.flushScheduled ??= setImmediate(() => this.flush());
  }

  private open(): void {
    const metadata = new grpc.Metadata();
    metadata.set(FROM_HEADER, String(this.ctx.self));
    const call = this.client.makeClientStreamRequest(SEND_PATH, toBuffer, decodeSendAck, metadata, {}, (err) => this.onEnd(call, err));
    call.on('metadata', () => this.onConnected(call));
    // Failures arrive through the callback above; this only keeps an 'error' event from throwing.
    call.on('error', () => undefined);
    this.call = call;
    this.state = 'open';
    this.inflight = 0;
  }

  private flush(): void {
    this.flushScheduled = undefined;
    const call = this.call;
    if (this.state !== 'open' || call === undefined || this.inflight > 0 || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.inflight = batch.length;
    // One batch in flight: gRPC buffers at most one, and the queue (bounded) absorbs the rest.
    // The callback also covers 'drain': it fires once the batch has left the stream's buffer.
    call.write(frameBatch(batch), () => {
      if (call !== this.call) return;
      this.ctx.counters.sent += batch.length;
      this.inflight = 0;
      this.flush();
    });
  }

  private takeBatch(): Uint8Array[] {
    let count = 0;
    let bytes = 0;
    for (const encoded of this.queue) {
      const size = framedBytes(encoded);
      if (count === RAFT_BATCH_MESSAGES_MAX || bytes + size > RAFT_BATCH_BYTES_MAX) break;
      count++;
      bytes += size;
    }
    const batch = this.queue.splice(0, count);
    for (const encoded of batch) this.queueBytes -= encoded.length;
    return batch;
  }

  private onConnected(call: grpc.ClientWritableStream<Uint8Array>): void {
    if (call !== this.call) return;
    if (!this.connected) this.ctx.log.info({ peer: this.id, address: this.address }, 'raft stream to peer is up');
    this.connected = true;
    this.backoffMs = this.ctx.backoffMsMin;
  }

  /** The stream ended; the peer only ends it when shutting down, so this is always a failure. */
  private onEnd(call: grpc.ClientWritableStream<Uint8Array>, err: grpc.ServiceError | null): void {
    if (call !== this.call || this.state === 'closed') return;
    this.call = undefined;
    this.ctx.counters.droppedPeerDown += this.queue.length + this.inflight;
    this.queue.length = 0;
    this.queueBytes = 0;
    const detail = { peer: this.id, address: this.address, code: err?.code, reason: err?.details, retryMs: this.backoffMs };
    // Warn once when a working link breaks; repeated failures to reconnect are expected noise.
    if (this.connected) this.ctx.log.warn(detail, 'raft stream to peer failed');
    else this.ctx.log.debug(detail, 'raft stream to peer could not be opened');
    this.connected = false;
    this.state = 'backoff';
    this.retryTimer = setTimeout(() => this.onRetry(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.ctx.backoffMsMax);
  }

  private onRetry(): void {
    this.retryTimer = undefined;
    if (this.state === 'backoff') this.state = 'idle';
  }

  close(): void {
    this.state = 'closed';
    if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.call = undefined;
    this.queue.length = 0;
    this.queueBytes = 0;
    this.client.close();
  }
}
