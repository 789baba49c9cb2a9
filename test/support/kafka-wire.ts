// The raw Kafka wire of the tests, the chaos agents and the benchmark: one TCP connection speaking
// length-prefixed frames through flotilla's own codecs (src/protocol/), no client library in
// between, so every request, attempt and answer is the caller's to see, count and time.
//
// KafkaConnection pipelines: a caller may send again before earlier answers arrive, up to
// `inFlightMax` requests (more is the caller's bug and throws). The broker answers in request order,
// so responses are matched first in, first out, and the correlation id is only checked. Header
// versions follow the API table (src/protocol/api-keys.ts): request header v2 and response header
// v1 for flexible versions. Any failure (a request unanswered within its timeout, the socket
// closing, an answer that does not match) fails every request still waiting and closes the
// connection: an answer never reaches the wrong request, and a caller that retries does so on a
// fresh connection. The error says whether its request reached the socket (`sent`), which is what
// tells a write that surely did not happen from one that may have.
//
// send() takes a body already encoded, so a throughput loop builds a Produce body once and sends it
// many times: each send writes a fresh small header and then the same body buffer (a gathering
// write under cork); the body is never copied or re-encoded.
//
// FrameClient is the same socket without the matching, for tests of the listener itself: whatever
// bytes the test writes, and the frames that come back, in order.
import { connect as netConnect, type Socket } from 'node:net';
import { FrameSplitter } from '../../src/broker/kafka/frames.js';
import { apiRange, requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/api-keys.js';
import { readResponseHeader, writeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

/** The biggest response frame accepted (a Fetch of many MiB is normal in the bench). */
export const RESPONSE_FRAME_BYTES_MAX = 256 * 1024 * 1024;
/** Unanswered requests one connection allows unless the caller sets its own bound. */
export const IN_FLIGHT_MAX = 64;
export const CONNECT_TIMEOUT_MS = 5_000;
const CLIENT_ID = 'flotilla-test';
const CORRELATION_ID_MASK = 0x7fff_ffff;

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export const label = (address: BrokerAddress): string => `${address.host}:${address.port}`;

/** "host:port" -> address; throws RangeError on anything else. */
export function parseAddress(text: string): BrokerAddress {
  const at = text.lastIndexOf(':');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0) throw new RangeError(`not host:port: ${text}`);
  return { host: text.slice(0, at), port };
}

/** "host:port,host:port" -> addresses. */
export const parseBootstrap = (text: string): BrokerAddress[] => text.split(',').filter((s) => s.length > 0).map(parseAddress);

const addressOf = (address: BrokerAddress | string): BrokerAddress => (typeof address === 'string' ? parseAddress(address) : address);

export type WireErrorCode = 'connect' | 'timeout' | 'closed';

/** An operating error of the wire; every one is retriable on a fresh connection. */
export class KafkaWireError extends Error {
  override readonly name = 'KafkaWireError';
  readonly retriable = true;
  constructor(
    /** 'connect': no connection; 'timeout': no answer in time; 'closed': the connection went away. */
    readonly code: WireErrorCode,
    /** Whether the request was handed to the socket: if so, the broker may have acted on it. */
    readonly sent: boolean,
    message: string,
  ) {
    super(message);
  }
}

/** A connected socket (no delay), or a KafkaWireError 'connect' after `timeoutMs`. */
function openSocket(address: BrokerAddress, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address.host, port: address.port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new KafkaWireError('connect', false, `connect to ${label(address)}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new KafkaWireError('connect', false, `connect to ${label(address)}: ${error.message}`));
    });
  });
}

/**
 * One whole request frame, length prefix included. The header version follows the API table
 * unless given (v1 for an API the table does not know), so a test can also build odd frames.
 */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: (w: Writer) => void, headerVersion?: 1 | 2): Buffer {
  const api = apiRange(apiKey);
  const w = new Writer().int32(0);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'test' }, headerVersion ?? (api === undefined ? 1 : requestHeaderVersion(api, apiVersion)));
  body(w);
  const frame = Buffer.from(w.written);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

export interface ConnectOptions {
  readonly connectTimeoutMs?: number;
  readonly clientId?: string;
  readonly inFlightMax?: number;
}

interface Pending {
  readonly correlationId: number;
  readonly responseHeaderVersion: 0 | 1;
  readonly resolve: (body: Reader) => void;
  readonly reject: (error: KafkaWireError) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class KafkaConnection {
  private readonly frames = new FrameSplitter(RESPONSE_FRAME_BYTES_MAX);
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private failure: string | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: BrokerAddress,
    private readonly clientId: string,
    readonly inFlightMax: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail('closed', `connection to ${label(address)}: ${error.message}`));
    socket.on('close', () => this.fail('closed', `connection to ${label(address)} closed`));
  }

  static async connect(address: BrokerAddress | string, options: ConnectOptions = {}): Promise<KafkaConnection> {
    const at = addressOf(address);
    const socket = await openSocket(at, options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
    return new KafkaConnection(socket, at, options.clientId ?? CLIENT_ID, options.inFlightMax ?? IN_FLIGHT_MAX);
  }

  get inFlight(): number {
    return this.pending.length;
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** Encodes a body with `encode` and sends it (see send()). */
  request(apiKey: number, apiVersion: number, encode: (w: Writer) => void, timeoutMs?: number): Promise<Reader> {
    const w = new Writer();
    encode(w);
    return this.send(apiKey, apiVersion, w.written, timeoutMs);
  }

  /**
   * Sends one request whose encoded body is `body` (kept by reference, never copied); resolves with
   * a Reader positioned at the response body. Without `timeoutMs` it waits as long as the
   * connection lives; with it, an answer later than that fails the whole connection.
   */
  send(apiKey: number, apiVersion: number, body: Buffer, timeoutMs?: number): Promise<Reader> {
    if (this.failure !== undefined) return Promise.reject(new KafkaWireError('closed', false, this.failure));
    if (this.pending.length >= this.inFlightMax) throw new RangeError(`more than ${this.inFlightMax} requests in flight on ${label(this.address)}`);
    const api = apiRange(apiKey);
    if (api === undefined) throw new RangeError(`unknown api key ${apiKey}`);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (correlationId + 1) & CORRELATION_ID_MASK;
    const w = new Writer().int32(0);
    writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: this.clientId }, requestHeaderVersion(api, apiVersion));
    const head = w.written;
    head.writeInt32BE(head.length - 4 + body.length, 0);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.fail('timeout', `no answer from ${label(this.address)} within ${timeoutMs} ms`), timeoutMs);
      this.pending.push({ correlationId, responseHeaderVersion: responseHeaderVersion(api, apiVersion), resolve, reject, timer });
      this.socket.cork();
      this.socket.write(head);
      this.socket.write(body);
      this.socket.uncork();
    });
  }

  close(): void {
    this.fail('closed', `connection to ${label(this.address)} closed by the client`);
  }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    for (let next = this.frames.next(); next !== undefined && this.failure === undefined; next = this.frames.next()) {
      if (!('frame' in next)) return this.fail('closed', `${label(this.address)} sent a frame of ${next.oversized} bytes`);
      const waiting = this.pending.shift();
      if (waiting === undefined) return this.fail('closed', `${label(this.address)} answered a request never sent`);
      clearTimeout(waiting.timer);
      const r = new Reader(next.frame);
      const correlationId = correlationIdOf(r, waiting.responseHeaderVersion);
      if (correlationId !== waiting.correlationId) {
        waiting.reject(new KafkaWireError('closed', true, `${label(this.address)} answered correlation id ${correlationId}, expected ${waiting.correlationId}`));
        return this.fail('closed', 'responses out of order');
      }
      waiting.resolve(r);
    }
  }

  /** Fails every waiting request (each was handed to the socket) and closes the connection. */
  private fail(code: 'timeout' | 'closed', reason: string): void {
    this.failure ??= reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new KafkaWireError(code, true, reason));
    }
    this.socket.destroy();
  }
}

/** The response header's correlation id, or undefined if the header is malformed. */
function correlationIdOf(r: Reader, headerVersion: 0 | 1): number | undefined {
  try {
    return readResponseHeader(r, headerVersion);
  } catch {
    return undefined;
  }
}

/** Runs `use` on a fresh connection to `address` and closes it after. */
export async function withConnection<T>(address: BrokerAddress | string, use: (conn: KafkaConnection) => Promise<T>, options?: ConnectOptions): Promise<T> {
  const conn = await KafkaConnection.connect(address, options);
  try {
    return await use(conn);
  } finally {
    conn.close();
  }
}

/** The wire without request matching: bytes out as the test gives them, response frames back in order. */
export class FrameClient {
  private readonly frames = new FrameSplitter(RESPONSE_FRAME_BYTES_MAX);
  private readonly waiting: Array<(frame: Buffer) => void> = [];
  private readonly ready: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(chunk);
      for (let next = this.frames.next(); next !== undefined && 'frame' in next; next = this.frames.next()) {
        const waiter = this.waiting.shift();
        if (waiter) waiter(next.frame);
        else this.ready.push(next.frame);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(address: BrokerAddress | string, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<FrameClient> {
    return new FrameClient(await openSocket(addressOf(address), connectTimeoutMs));
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame (without its length prefix). */
  next(): Promise<Buffer> {
    const ready = this.ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}
