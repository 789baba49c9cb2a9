// One Kafka connection of the bench client: request frames out, response frames back in order.
//
// Callers pipeline by calling send() again before earlier answers arrive; the number of requests
// in flight is theirs to bound (each bench loop is one "lane" that awaits its own answer, so the
// lanes per connection are the in-flight limit). The broker answers in request order, so responses
// are matched first-in, first-out and the correlation id is only checked.
//
// Bodies are passed as ready bytes, so a throughput loop can build a Produce body once and send it
// many times: each send writes a fresh small header and then the same body buffer (a gathering
// write under cork), and the body is never copied or re-encoded by the client.
import { connect, type Socket } from 'node:net';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

/** Largest response frame we accept (a Fetch of many MiB is normal here). */
const RESPONSE_FRAME_BYTES_MAX = 256 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;
const CLIENT_ID = 'flotilla-bench';

/** A connection-level failure: the socket closed or errored with requests outstanding. */
export class ConnectionError extends Error {
  readonly code = 'CONNECTION';
  readonly retriable = true;

  constructor(readonly address: string, message: string) {
    super(`${address}: ${message}`);
    this.name = 'ConnectionError';
  }
}

interface Pending {
  readonly correlationId: number;
  readonly resolve: (body: Reader) => void;
  readonly reject: (error: Error) => void;
}

export class KafkaWire {
  private readonly pending: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelationId = 1;
  private failure: Error | undefined;
  /** Bytes of response frames received (length prefixes included). */
  bytesIn = 0;

  private constructor(readonly address: string, private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new ConnectionError(address, error.message)));
    socket.on('close', () => this.fail(new ConnectionError(address, 'connection closed')));
  }

  static connect(address: string): Promise<KafkaWire> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(address, `no connection within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new KafkaWire(address, socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new ConnectionError(address, error.message));
      });
    });
  }

  get inFlight(): number {
    return this.pending.length;
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /**
   * Sends one request of a non-flexible version (request header v1, response header v0) whose
   * encoded body is `body`; resolves with a Reader positioned at the response body.
   */
  send(apiKey: number, apiVersion: number, body: Buffer): Promise<Reader> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fff_ffff;
    const header = new Writer().int32(0).int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(CLIENT_ID);
    const head = Buffer.from(header.written);
    head.writeInt32BE(head.length - 4 + body.length, 0);
    return new Promise((resolve, reject) => {
      this.pending.push({ correlationId, resolve, reject });
      this.socket.cork();
      this.socket.write(head);
      this.socket.write(body);
      this.socket.uncork();
    });
  }

  /** Encodes a body with `encode` and sends it. */
  request(apiKey: number, apiVersion: number, encode: (w: Writer) => void): Promise<Reader> {
    const w = new Writer();
    encode(w);
    return this.send(apiKey, apiVersion, Buffer.from(w.written));
  }

  close(): void {
    this.fail(new ConnectionError(this.address, 'closed by the client'));
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.socket.destroy();
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      const frame = this.nextFrame();
      if (frame === undefined) return;
      const p = this.pending.shift();
      if (p === undefined) return this.fail(new ConnectionError(this.address, 'a response to no request'));
      const r = new Reader(frame);
      const correlationId = r.int32();
      if (correlationId !== p.correlationId) {
        p.reject(new ConnectionError(this.address, `correlation id ${correlationId}, expected ${p.correlationId}`));
        return this.fail(new ConnectionError(this.address, 'responses out of order'));
      }
      p.resolve(r);
    }
  }

  /** The next whole frame without its length prefix, or undefined until more bytes arrive. */
  private nextFrame(): Buffer | undefined {
    if (this.buffered < 4) return undefined;
    if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    const size = this.chunks[0]!.readInt32BE(0);
    if (size < 4 || size > RESPONSE_FRAME_BYTES_MAX) {
      this.fail(new ConnectionError(this.address, `response frame of ${size} bytes`));
      return undefined;
    }
    if (this.buffered < 4 + size) return undefined;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(4 + size);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return all.subarray(4, 4 + size);
  }
}

export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0) throw new RangeError(`not host:port: ${address}`);
  return [address.slice(0, at), port];
}
