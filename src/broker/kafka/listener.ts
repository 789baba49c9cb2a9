// A Kafka protocol listener: one net.Server per Kafka listener of a broker (every listener but
// CONTROLLER and INTERNAL), bounded in connections (CONNECTIONS_MAX), each connection bounded in
// frame size and in-flight requests (limits.ts). It serves whatever the handler table implements.
import { createServer, type Server, type Socket } from 'node:net';
import type { Listener } from '../../server/config.js';
import type { Logger } from '../../util/log.js';
import { KafkaConnection } from './connection.js';
import type { BrokerView } from './context.js';
import { handleRequest, type RequestHandler } from './handlers.js';
import { CONNECTIONS_MAX, IN_FLIGHT_REQUESTS_MAX, REQUEST_FRAME_BYTES_MAX } from './limits.js';

export interface KafkaListenerOptions {
  readonly listener: Listener;
  readonly broker: BrokerView;
  readonly log: Logger;
  /** Defaults to the real handlers; tests pass their own. */
  readonly handler?: RequestHandler;
  readonly frameBytesMax?: number;
  readonly connectionsMax?: number;
  readonly inFlightMax?: number;
}

export class KafkaListener {
  private readonly sockets = new Set<Socket>();

  private constructor(readonly name: string, readonly host: string, private readonly server: Server) {}

  /** Binds host:port (0 picks a free port) and serves until close(). */
  static async start(options: KafkaListenerOptions): Promise<KafkaListener> {
    const log = options.log.child({ listener: options.listener.name });
    const server = createServer({ noDelay: true });
    server.maxConnections = options.connectionsMax ?? CONNECTIONS_MAX;
    const listener = new KafkaListener(options.listener.name, options.listener.host, server);
    server.on('connection', (socket) => listener.accept(socket, options, log));
    server.on('drop', (data) => log.warn({ remote: `${data?.remoteAddress}:${data?.remotePort}`, connectionsMax: server.maxConnections }, 'kafka connection refused: too many connections'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listener.port, options.listener.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.error({ err: error }, 'kafka listener error'));
    log.info({ address: `${listener.host}:${listener.port}` }, 'kafka listener serving');
    return listener;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error(`kafka listener ${this.name} is not bound`);
    return address.port;
  }

  private accept(socket: Socket, options: KafkaListenerOptions, log: Logger): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    new KafkaConnection(socket, {
      listenerName: options.listener.name,
      broker: options.broker,
      handler: options.handler ?? handleRequest,
      frameBytesMax: options.frameBytesMax ?? REQUEST_FRAME_BYTES_MAX,
      inFlightMax: options.inFlightMax ?? IN_FLIGHT_REQUESTS_MAX,
      log,
    });
  }

  /** Stops accepting and closes every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
