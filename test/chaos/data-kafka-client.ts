// A small Kafka client for the data-plane chaos agents (data-producer-agent.ts, data-read-agent.ts),
// built on flotilla's own codecs so that every request, attempt and answer can be recorded: a
// library client retries and reorders out of sight, and a history must see each attempt.
//
// One KafkaConnection is one TCP connection with requests pipelined in order. A request that is
// not answered in time, or a connection that closes, fails every request still waiting on it and
// closes the connection: responses are never matched to the wrong request, and a caller that
// retries does so on a fresh connection. A failure says whether the request reached the socket
// (`sent`), which is what tells a write that surely did not happen from one that may have.
import { connect, type Socket } from 'node:net';
import { FrameSplitter } from '../../src/broker/kafka/frames.js';
import { apiRange, requestHeaderVersion, responseHeaderVersion, API_KEYS } from '../../src/protocol/api-keys.js';
import { decodeMetadataResponse, encodeMetadataRequest, type MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { readResponseHeader, writeRequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

/** The biggest response frame accepted (a fetch answers with at most what it asked for). */
const FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Requests one connection may have waiting; the agents never come close. */
const PENDING_MAX = 64;
export const METADATA_VERSION = 8; // leader epochs (v7+), not yet flexible
const CLIENT_ID = 'flotilla-chaos-data';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export class KafkaRequestError extends Error {
  override readonly name = 'KafkaRequestError';
  constructor(
    /** 'connect': no connection; 'timeout': no answer in time; 'closed': the connection went away. */
    readonly kind: 'connect' | 'timeout' | 'closed',
    /** Whether the request was handed to the socket: if so, the broker may have acted on it. */
    readonly sent: boolean,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly version: number;
  readonly resolve: (body: Reader) => void;
  readonly reject: (error: KafkaRequestError) => void;
  readonly timer: NodeJS.Timeout;
}

export class KafkaConnection {
  private readonly frames = new FrameSplitter(FRAME_BYTES_MAX);
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private closedReason: string | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: BrokerAddress,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail('closed', `connection to ${label(address)}: ${error.message}`));
    socket.on('close', () => this.fail('closed', `connection to ${label(address)} closed`));
  }

  static connect(address: BrokerAddress, timeoutMs: number): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.host, port: address.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaRequestError('connect', false, `connect to ${label(address)}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new KafkaConnection(socket, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new KafkaRequestError('connect', false, `connect to ${label(address)}: ${error.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Sends one request; resolves with a reader positioned at the response body. */
  request(apiKey: number, version: number, body: (w: Writer) => void, timeoutMs: number): Promise<Reader> {
    if (this.closedReason !== undefined) return Promise.reject(new KafkaRequestError('closed', false, this.closedReason));
    if (this.pending.length >= PENDING_MAX) throw new RangeError(`more than ${PENDING_MAX} requests waiting on ${label(this.address)}`);
    const api = apiRange(apiKey);
    if (api === undefined) throw new RangeError(`unknown api key ${apiKey}`);
    const correlationId = this.nextCorrelationId++;
    const w = new Writer().int32(0);
    writeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: CLIENT_ID }, requestHeaderVersion(api, version));
    body(w);
    const frame = Buffer.from(w.written);
    frame.writeInt32BE(frame.length - 4, 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail('timeout', `no answer from ${label(this.address)} within ${timeoutMs} ms`), timeoutMs);
      this.pending.push({ correlationId, apiKey, version, resolve, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.fail('closed', `connection to ${label(this.address)} closed by the client`);
  }

  private onData(chunk: Buffer): void {
    this.frames.push(chunk);
    for (let next = this.frames.next(); next !== undefined; next = this.frames.next()) {
      if (!('frame' in next)) return this.fail('closed', `${label(this.address)} sent a frame of ${next.oversized} bytes`);
      const waiting = this.pending.shift();
      if (waiting === undefined) return this.fail('closed', `${label(this.address)} answered a request never sent`);
      clearTimeout(waiting.timer);
      const r = new Reader(Buffer.from(next.frame));
      const correlationId = readResponseHeader(r, responseHeaderVersion(apiRange(waiting.apiKey)!, waiting.version));
      if (correlationId !== waiting.correlationId) {
        waiting.reject(new KafkaRequestError('closed', true, `${label(this.address)} answered correlation id ${correlationId}, expected ${waiting.correlationId}`));
        return this.fail('closed', 'responses out of order');
      }
      waiting.resolve(r);
    }
  }

  /** Fails every waiting request (each was handed to the socket) and closes the connection. */
  private fail(kind: 'timeout' | 'closed', reason: string): void {
    this.closedReason ??= reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new KafkaRequestError(kind, true, reason));
    }
    this.socket.destroy();
  }
}

export function label(address: BrokerAddress): string {
  return `${address.host}:${address.port}`;
}

/** "host:port,host:port" -> addresses. */
export function parseBootstrap(text: string): BrokerAddress[] {
  return text.split(',').filter((s) => s.length > 0).map((s) => {
    const at = s.lastIndexOf(':');
    return { host: s.slice(0, at), port: Number(s.slice(at + 1)) };
  });
}

export interface PartitionLeader {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly address: BrokerAddress;
  readonly isr: readonly number[];
  /** The broker whose answer this is. */
  readonly from: string;
}

/** One broker's view of `topic`-`partition`, or undefined if it has none with a leader. */
export async function metadataFrom(address: BrokerAddress, topic: string, partition: number, timeoutMs: number): Promise<PartitionLeader | undefined> {
  const conn = await KafkaConnection.connect(address, timeoutMs);
  let response: MetadataResponse;
  try {
    const r = await conn.request(API_KEYS.Metadata, METADATA_VERSION, (w) => encodeMetadataRequest(w, METADATA_VERSION, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: topic }],
      allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
    }), timeoutMs);
    response = decodeMetadataResponse(r, METADATA_VERSION);
  } finally {
    conn.close();
  }
  const p = response.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (p === undefined || p.errorCode !== 0 || p.leaderId < 0) return undefined;
  const broker = response.brokers.find((b) => b.nodeId === p.leaderId);
  if (broker === undefined) return undefined;
  return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, address: { host: broker.host, port: broker.port }, isr: p.isrNodes, from: label(address) };
}

/**
 * Asks every broker at once and believes the answer with the newest leader epoch: a broker cut
 * off from the controller still names itself leader under its old epoch (as Kafka clients since
 * KIP-320 do, never going back to an older epoch than one already seen).
 */
export async function findLeader(brokers: readonly BrokerAddress[], topic: string, partition: number, timeoutMs: number): Promise<PartitionLeader | undefined> {
  const answers = await Promise.allSettled(brokers.map((b) => metadataFrom(b, topic, partition, timeoutMs)));
  let best: PartitionLeader | undefined;
  for (const a of answers) {
    if (a.status === 'fulfilled' && a.value !== undefined && (best === undefined || a.value.leaderEpoch > best.leaderEpoch)) best = a.value;
  }
  return best;
}

/**
 * Exits once everything written to stdout is out: a pipe is written asynchronously, and
 * process.exit() would drop what is still queued (the history's last lines).
 */
export function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
