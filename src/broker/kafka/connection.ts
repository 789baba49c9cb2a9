// One client connection: frames in, responses out in request order. Requests are handled as they
// arrive (up to IN_FLIGHT_REQUESTS_MAX pending, then we stop reading); a response waits in its
// slot until every earlier one has been written, since Kafka clients match responses to requests
// by order as much as by correlation id.
//
// A client that does not read its answers stops being read once the socket's write buffer is full.
//
// A frame that is oversized or does not decode closes this connection with a logged reason, as
// does a request for an API or version we do not serve (Kafka does the same), except ApiVersions,
// which is answered with UNSUPPORTED_VERSION in the v0 format so that the client can fall back.
import type { Socket } from 'node:net';
import { MalformedRequestError } from '../../protocol/errors.js';
import { API_KEYS } from '../../protocol/api-keys.js';
import { decodeRequestFrame, encodeResponseFrame, type KafkaRequest } from '../../protocol/request.js';
import type { Logger } from '../../util/log.js';
import { unsupportedApiVersions } from './api-versions-handler.js';
import type { BrokerView, RequestContext } from './context.js';
import { FrameSplitter } from './frames.js';
import type { RequestHandler } from './handlers.js';

export interface ConnectionOptions {
  readonly listenerName: string;
  readonly broker: BrokerView;
  readonly handler: RequestHandler;
  readonly frameBytesMax: number;
  readonly inFlightMax: number;
  readonly log: Logger;
}

/**
 * A response slot: filled when its handler finishes, written once all before it are. `null` is a
 * request answered by no response (Produce with acks=0).
 */
interface Slot {
  frame: Buffer[] | null | undefined;
}

export class KafkaConnection {
  private readonly frames: FrameSplitter;
  private readonly slots: Slot[] = [];
  private closed = false;

  constructor(private readonly socket: Socket, private readonly options: ConnectionOptions) {
    this.frames = new FrameSplitter(options.frameBytesMax);
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(chunk);
      this.drainFrames();
    });
    socket.on('drain', () => this.drainFrames());
    socket.on('error', (error) => options.log.debug({ err: error }, 'kafka connection error'));
    socket.on('close', () => (this.closed = true));
  }

  /** Closes the connection, logging why (a peer's fault, never the node's). */
  close(reason: string, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.options.log.warn({ reason, remote: `${this.socket.remoteAddress}:${this.socket.remotePort}`, ...details }, 'closing kafka connection');
    this.socket.destroy();
  }

  /** A client that stops reading its answers fills our write buffer: stop reading its requests too. */
  private blocked(): boolean {
    return this.slots.length >= this.options.inFlightMax || this.socket.writableNeedDrain;
  }

  private drainFrames(): void {
    while (!this.closed && !this.blocked()) {
      const next = this.frames.next();
      if (next === undefined) break;
      if ('oversized' in next) return this.close('frame size out of bounds', { size: next.oversized, frameBytesMax: this.options.frameBytesMax });
      this.accept(next.frame);
    }
    // Full pipeline or unread answers: stop reading until that clears (TCP then holds the client back).
    if (this.blocked()) this.socket.pause();
    else this.socket.resume();
  }

  private accept(frame: Buffer): void {
    let decoded;
    try {
      decoded = decodeRequestFrame(frame);
    } catch (error) {
      if (error instanceof MalformedRequestError) return this.close(error.reason, { frameBytes: frame.length });
      throw error;
    }
    if (decoded.kind === 'request') return this.dispatch(decoded.request);
    const { apiKey, apiVersion, correlationId } = decoded;
    if (apiKey !== API_KEYS.ApiVersions) return this.close('unsupported api or version', { apiKey, apiVersion });
    this.reply({ frame: encodeResponseFrame(0, correlationId, { api: 'ApiVersions', body: unsupportedApiVersions() }) });
  }

  private dispatch(request: KafkaRequest): void {
    const slot: Slot = { frame: undefined };
    this.slots.push(slot);
    const { header } = request;
    const context = this.context();
    Promise.resolve()
      .then(() => this.options.handler(request, context))
      .then(
        (response) => {
          slot.frame = response === undefined ? null : encodeResponseFrame(header.apiVersion, header.correlationId, response);
          this.flush();
        },
        (error: unknown) => {
          this.options.log.error({ err: error, api: request.api, version: header.apiVersion }, 'kafka request handler failed');
          this.close('handler failed', { api: request.api });
        },
      );
  }

  private reply(slot: Slot): void {
    this.slots.push(slot);
    this.flush();
  }

  private context(): RequestContext {
    const { broker } = this.options;
    return { image: broker.image(), clusterId: broker.clusterId, controllerId: broker.controllerId(), listenerName: this.options.listenerName, data: broker.data, admin: broker.admin };
  }

  /** Writes every finished response at the head of the queue, in order. */
  private flush(): void {
    if (!this.closed) this.socket.cork();
    while (this.slots.length > 0 && this.slots[0]!.frame !== undefined) {
      const frame = this.slots.shift()!.frame;
      // The chunks of one frame (and of frames finished together) leave in one gathering write.
      if (!this.closed && frame !== null) for (const chunk of frame!) this.socket.write(chunk);
    }
    if (!this.closed) this.socket.uncork();
    if (!this.closed) this.drainFrames();
  }
}
