// FlotillaServers in one process over LevelDB and gRPC on loopback: combined controllers plus
// optional broker-only nodes, formatted in a temp dir. Kafka listeners bind port 0 and register
// the bound port. Shared by the whole-node tests (test/server, test/broker).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerClient } from '../../src/metadata/controller-client.js';
import { formatDataDir, randomClusterId } from '../../src/metadata/data-dir.js';
import type { MetadataImage } from '../../src/metadata/image.js';
import { nodeId, type NodeId } from '../../src/raft/core/types.js';
import { SERVER_DEFAULTS, type Role, type ServerConfig } from '../../src/server/config.js';
import { FlotillaServer } from '../../src/server/server.js';
import { silentLogger } from '../../src/util/log.js';
import { freePort } from '../../src/util/ports.js';

export interface InProcessClusterOptions {
  readonly controllers: readonly number[];
  readonly brokersOnly?: readonly number[];
  /** Overrides of every node's config (timings, say). */
  readonly config?: Partial<ServerConfig>;
}

export class InProcessCluster {
  readonly servers = new Map<number, FlotillaServer>();
  readonly client: ControllerClient;

  private constructor(readonly dir: string, readonly quorum: ReadonlyMap<NodeId, string>, private readonly overrides: Partial<ServerConfig>) {
    this.client = new ControllerClient(quorum, { deadlineMs: 20_000 });
  }

  /** Formats every node's data directory; starts nothing. */
  static async create(options: InProcessClusterOptions): Promise<InProcessCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-inproc-'));
    const quorum = new Map<NodeId, string>();
    for (const id of options.controllers) quorum.set(nodeId(id), `127.0.0.1:${await freePort()}`);
    const clusterId = randomClusterId();
    for (const id of [...options.controllers, ...(options.brokersOnly ?? [])]) {
      await formatDataDir({ dataDir: join(dir, `n${id}`), clusterId, nodeId: nodeId(id), initialVoters: quorum.has(nodeId(id)) ? [...quorum.keys()] : [] });
    }
    return new InProcessCluster(dir, quorum, options.config ?? {});
  }

  config(id: number): ServerConfig {
    const controller = this.quorum.get(nodeId(id));
    const [host, port] = (controller ?? '127.0.0.1:0').split(':');
    const roles = new Set<Role>(controller ? ['broker', 'controller'] : ['broker']);
    const grpcListener = { name: controller ? 'CONTROLLER' : 'INTERNAL', host: host ?? '127.0.0.1', port: Number(port) };
    const kafka = { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 };
    return {
      ...SERVER_DEFAULTS,
      nodeId: nodeId(id),
      roles,
      controllerQuorum: this.quorum,
      listeners: [kafka, grpcListener],
      advertisedListeners: [kafka],
      dataDir: join(this.dir, `n${id}`),
      ...this.overrides,
    };
  }

  async start(id: number): Promise<FlotillaServer> {
    const server = await FlotillaServer.start(this.config(id), { log: silentLogger });
    this.servers.set(id, server);
    return server;
  }

  async stop(id: number, controlled = false): Promise<void> {
    const server = this.servers.get(id);
    this.servers.delete(id);
    if (server) await (controlled ? server.controlledShutdown() : server.stop());
  }

  activeController(): FlotillaServer | undefined {
    return [...this.servers.values()].find((s) => s.controller?.isActive === true);
  }

  /** The image on the active controller (committed state). */
  image(): MetadataImage {
    const active = this.activeController();
    if (active === undefined) throw new Error('no active controller');
    return active.image;
  }

  unfenced(): number[] {
    return [...this.image().brokers.values()].filter((b) => !b.fenced).map((b) => b.id as number).sort((a, b) => a - b);
  }

  /** Every running node's image reached the active controller's offset and equals it. */
  converged(): boolean {
    const reference = this.image();
    return [...this.servers.values()].every((s) => s.image.offset >= reference.offset && sameTopics(s.image, reference));
  }

  async close(): Promise<void> {
    this.client.close();
    await Promise.allSettled([...this.servers.values()].map((s) => s.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

function sameTopics(a: MetadataImage, b: MetadataImage): boolean {
  return JSON.stringify(describeTopics(a)) === JSON.stringify(describeTopics(b));
}

function describeTopics(image: MetadataImage): unknown {
  return [...image.topicsByName.values()].map((t) => [t.name, t.id, [...t.partitions.entries()]]);
}
