// A minimal Kafka client for tests: writes request frames, reads response frames in order.
import { connect, type Socket } from 'node:net';
import { encodeApiVersionsRequest } from '../../src/protocol/apis/api-versions.js';
import { encodeMetadataRequest, type MetadataRequest } from '../../src/protocol/apis/metadata.js';
import { writeRequestHeader } from '../../src/protocol/header.js';
import { Writer } from '../../src/protocol/writer.js';
import { FrameSplitter } from '../../src/broker/kafka/frames.js';

export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: (w: Writer) => void, headerVersion: 1 | 2 = 1): Buffer {
  const w = new Writer().int32(0);
  writeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'test' }, headerVersion);
  body(w);
  const frame = Buffer.from(w.written);
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

export const apiVersionsFrame = (version: number, correlationId: number) =>
  requestFrame(18, version, correlationId, (w) => encodeApiVersionsRequest(w, version, { clientSoftwareName: 'test', clientSoftwareVersion: '0' }), version >= 3 ? 2 : 1);

export const metadataFrame = (version: number, correlationId: number, request: MetadataRequest) =>
  requestFrame(3, version, correlationId, (w) => encodeMetadataRequest(w, version, request), version >= 9 ? 2 : 1);

export class TestClient {
  private readonly frames = new FrameSplitter(1 << 30);
  private readonly waiting: Array<(frame: Buffer) => void> = [];
  private readonly ready: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(chunk);
      for (let next = this.frames.next(); next !== undefined && 'frame' in next; next = this.frames.next()) {
        const waiter = this.waiting.shift();
        if (waiter) waiter(Buffer.from(next.frame));
        else this.ready.push(Buffer.from(next.frame));
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
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
