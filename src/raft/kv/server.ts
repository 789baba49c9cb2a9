// One node of the raft test cluster: a RaftNode over LevelDB and gRPC, replicating a key-value map,
// with the Kv gRPC service for clients. Used by the multi-process tests and `npm run bench:raft`.
import * as grpc from '@grpc/grpc-js';
import { type LogIndex, type NodeId, defaultRaftConfig } from '../core/types.js';
import { RaftError } from '../errors.js';
import { GrpcTransport } from '../grpc-transport.js';
import { LevelRaftStorage } from '../level-storage.js';
import { RaftNode } from '../node.js';
import { initialState } from '../storage.js';
import type { Logger } from '../../util/log.js';
import { type KvHandlers, kvService, type kvpb } from './service.js';
import { KvStateMachine, encodeCommand } from './state-machine.js';

export interface KvServerOptions {
  readonly id: NodeId;
  /** Raft addresses of every voter, this node's included. */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly kvListen: string;
  readonly dataDir: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEveryEntries: number;
  readonly log: Logger;
}

export class KvServer {
  private constructor(
    readonly node: RaftNode<LogIndex>,
    private readonly machine: KvStateMachine,
    private readonly server: grpc.Server,
    readonly kvPort: number,
  ) {}

  /** Formats `dataDir` with the initial voters unless it already holds a formatted node. */
  static async formatIfNeeded(dataDir: string, voters: readonly NodeId[]): Promise<boolean> {
    try {
      await LevelRaftStorage.format(dataDir, initialState(voters));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'STORAGE_ALREADY_FORMATTED') return false;
      throw error;
    }
  }

  static async start(options: KvServerOptions): Promise<KvServer> {
    const listen = options.peers.get(options.id);
    if (!listen) throw new Error(`--peers must include this node (${options.id})`);
    const storage = await LevelRaftStorage.open(options.dataDir, { log: options.log });
    const peers = new Map([...options.peers].filter(([id]) => id !== options.id));
    const transport = new GrpcTransport({ self: options.id, listen, peers, log: options.log });
    const machine = new KvStateMachine();
    const config = { ...defaultRaftConfig(options.id), electionTicks: options.electionTicks };
    const node = await RaftNode.start({ config, storage, transport, stateMachine: machine, tickMs: options.tickMs, snapshotEveryEntries: options.snapshotEveryEntries, log: options.log });
    const server = new grpc.Server();
    server.addService(kvService, handlers(node, machine));
    const kvPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(options.kvListen, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return new KvServer(node, machine, server, kvPort);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.node.stop();
  }

  get size(): number {
    return this.machine.pairs.size;
  }
}

function errorReply(error: unknown): kvpb.IError {
  if (error instanceof RaftError) return { code: error.code, message: error.message, leader: error.leader, retriable: error.retriable };
  return { code: 'INTERNAL', message: String(error), retriable: false };
}

function handlers(node: RaftNode<LogIndex>, machine: KvStateMachine): KvHandlers {
  return {
    put: (call, callback) => {
      const { key, value } = call.request;
      node.propose(encodeCommand(key ?? '', value ?? new Uint8Array(0))).then(
        ({ index }) => callback(null, { index }),
        (error: unknown) => callback(null, { error: errorReply(error) }),
      );
    },
    putStream: (call) => {
      // One stream, many puts in flight: answered by id as each is applied. Bounded by the node's
      // own limit on pending proposals, which refuses the excess with TOO_MANY_PENDING.
      let inFlight = 0;
      let ended = false;
      const reply = (message: kvpb.IPutReply) => {
        if (!call.cancelled) call.write(message);
        inFlight--;
        if (ended && inFlight === 0) call.end();
      };
      call.on('data', (request: kvpb.IPutRequest) => {
        const { id, key, value } = request;
        inFlight++;
        node.propose(encodeCommand(key ?? '', value ?? new Uint8Array(0))).then(
          ({ index }) => reply({ id, index }),
          (error: unknown) => reply({ id, error: errorReply(error) }),
        );
      });
      call.on('end', () => {
        ended = true;
        if (inFlight === 0) call.end();
      });
      call.on('error', () => undefined);
    },
    get: (call, callback) => {
      node.read().then(
        (readIndex) => {
          const found = machine.pairs.get(call.request.key ?? '');
          callback(null, { found: found !== undefined, value: found?.value ?? new Uint8Array(0), readIndex });
        },
        (error: unknown) => callback(null, { error: errorReply(error) }),
      );
    },
    dump: (_call, callback) => {
      const pairs = [...machine.pairs].map(([key, v]) => ({ key, value: v.value, index: v.index }));
      callback(null, { pairs, applied: node.appliedIndex() });
    },
    status: (_call, callback) => {
      const s = node.status();
      const m = node.metrics();
      callback(null, { id: s.id, role: s.role, term: s.term, leader: s.leader, commit: s.commit, applied: s.applied, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex, readies: m.readies, persists: m.persists, persistedEntries: m.persistedEntries, persistMs: m.persistMs });
    },
  };
}
