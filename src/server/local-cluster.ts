// A flotilla cluster of real processes on one machine, for tests, `flotilla dev` and the chaos
// tooling: formats data directories, then runs `node dist/src/cli/flotilla.js server ...` per
// node on free loopback ports. Controllers have ids 1..c (combined broker+controller by
// default), broker-only nodes 101... Only processes started here are ever signalled, by pid.
//
// Ports are picked by binding port 0 and closing it, so another process can take one before the
// node binds it; start() then sees the node fail with EADDRINUSE and starts the whole cluster
// again on new ports (a controller's address is in every node's quorum flag, so one node cannot
// move alone). A restart keeps a node's ports: the quorum must not change under the others.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControllerClient } from '../metadata/controller-client.js';
import { DataDirError, formatDataDir, randomClusterId, readMetaProperties } from '../metadata/data-dir.js';
import { type NodeId, nodeId } from '../raft/core/types.js';
import { freePort } from '../util/ports.js';
import { CONTROLLED_SHUTDOWN_MS_MAX } from './server.js';

const CLI = fileURLToPath(new URL('../cli/flotilla.js', import.meta.url));
export const BROKER_ONLY_ID_BASE = 101;
const READY_TIMEOUT_MS = 60_000;
const STOP_DEADLINE_MS = 20_000;
/** A controlled shutdown may take CONTROLLED_SHUTDOWN_MS_MAX before the node stops anyway; then some slack. */
const TERMINATE_DEADLINE_MS = CONTROLLED_SHUTDOWN_MS_MAX + 10_000;
const START_ATTEMPTS_MAX = 3;
/**
 * stop() signals twice: the first SIGTERM starts a controlled shutdown, which cannot finish once
 * the quorum is gone with the other nodes; the second (flotilla server's "stop now") ends the
 * wait for it. Spaced this far apart so that the two are never coalesced into one.
 */
const STOP_SECOND_SIGNAL_MS = 2_000;
const STDERR_TAIL_LINES = 50;

export interface LocalClusterOptions {
  /** Controllers, ids 1..controllers (default 3). */
  readonly controllers?: number;
  /** Broker-only nodes, ids 101... (default 0). */
  readonly brokersOnly?: number;
  /** Controllers are brokers too (default true). */
  readonly combined?: boolean;
  /** Where node-<id> data directories live; reused if formatted. Default: a fresh temp dir, removed by stop(). */
  readonly baseDir?: string;
  /** Extra `flotilla server` flags for every node, e.g. ['--broker-session-timeout-ms', '2000']. */
  readonly serverFlags?: readonly string[];
  /** Node.js flags for the node processes (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[];
  /** FLOTILLA_LOG_LEVEL of the nodes (default "warn"). */
  readonly logLevel?: string;
  /** Every stderr line of every node (the logs), e.g. to forward them. */
  readonly onStderr?: (id: NodeId, line: string) => void;
  /** The host a node listens on (default 127.0.0.1); the chaos tooling gives each node its own. */
  readonly hostOf?: (id: NodeId) => string;
}

/** The node's {"event":"ready",...} line. */
export interface ReadyEvent {
  readonly event: 'ready';
  readonly nodeId: number;
  readonly listeners?: Readonly<Record<string, string>>;
  /** Kafka protocol addresses, present only once the server serves Kafka clients. */
  readonly kafka?: readonly string[];
}

export interface NodeInfo {
  readonly id: NodeId;
  readonly controller: boolean;
  readonly broker: boolean;
  readonly dataDir: string;
  readonly host: string;
  /** Listener name -> port (CONTROLLER, INTERNAL, PLAINTEXT). */
  readonly ports: Readonly<Record<string, number>>;
  readonly pid: number | undefined;
  readonly ready: ReadyEvent | undefined;
}

interface Member {
  readonly id: NodeId;
  readonly controller: boolean;
  readonly broker: boolean;
  readonly dataDir: string;
  readonly host: string;
  ports: Record<string, number>;
  process: ChildProcess | undefined;
  ready: Promise<ReadyEvent> | undefined;
  readyEvent: ReadyEvent | undefined;
  lastExit: NodeExit | undefined;
  stderrTail: string[];
}

/** How a node's last process ended. */
export interface NodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnArgs {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export class LocalCluster {
  readonly clusterId: string;
  private readonly members = new Map<NodeId, Member>();
  private readonly clients: ControllerClient[] = [];

  private constructor(readonly baseDir: string, private readonly ownsBaseDir: boolean, clusterId: string, private readonly options: LocalClusterOptions) {
    this.clusterId = clusterId;
    const controllers = options.controllers ?? 3;
    const combined = options.combined ?? true;
    const add = (id: NodeId, controller: boolean, broker: boolean) =>
      this.members.set(id, { id, controller, broker, dataDir: join(baseDir, `node-${id}`), host: options.hostOf?.(id) ?? '127.0.0.1', ports: {}, process: undefined, ready: undefined, readyEvent: undefined, lastExit: undefined, stderrTail: [] });
    for (let i = 1; i <= controllers; i++) add(nodeId(i), true, combined);
    for (let i = 0; i < (options.brokersOnly ?? 0); i++) add(nodeId(BROKER_ONLY_ID_BASE + i), false, true);
  }

  /** Formats the data directories (or checks that they already belong to one cluster). Starts nothing. */
  static async create(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    if ((options.controllers ?? 3) < 1) throw new RangeError('a cluster needs at least one controller');
    const baseDir = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'flotilla-cluster-')));
    await mkdir(baseDir, { recursive: true });
    const probe = new LocalCluster(baseDir, options.baseDir === undefined, '', options);
    const clusterId = await probe.formatAll();
    return new LocalCluster(baseDir, options.baseDir === undefined, clusterId, options);
  }

  private async formatAll(): Promise<string> {
    const existing = await Promise.all(this.ids().map((id) => readMetaProperties(this.member(id).dataDir).catch(notFormatted)));
    const ids = new Set(existing.flatMap((m) => (m ? [m.clusterId] : [])));
    if (ids.size > 1) throw new DataDirError('CLUSTER_ID_MISMATCH', `${this.baseDir} holds nodes of ${ids.size} clusters (${[...ids].join(', ')})`);
    const clusterId = [...ids][0] ?? randomClusterId();
    const voters = this.ids().filter((id) => this.member(id).controller);
    for (const [i, id] of this.ids().entries()) {
      if (existing[i]) continue;
      await formatDataDir({ dataDir: this.member(id).dataDir, clusterId, nodeId: id, initialVoters: this.member(id).controller ? voters : [] });
    }
    return clusterId;
  }

  ids(): NodeId[] {
    return [...this.members.keys()];
  }

  /** Starts every node and waits until each is ready; on a port clash, again on new ports. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.pickPorts();
      for (const id of this.ids()) this.spawnNode(id);
      try {
        await this.waitReady();
        return;
      } catch (error) {
        await this.stopProcesses();
        const clash = this.ids().some((id) => this.stderrOf(id).includes('EADDRINUSE'));
        if (!clash || attempt >= START_ATTEMPTS_MAX) throw error;
      }
    }
  }

  /** Waits until every running node has printed its ready line. */
  async waitReady(): Promise<void> {
    await Promise.all(this.ids().flatMap((id) => this.member(id).ready ?? []));
  }

  /** host:port of every controller's CONTROLLER listener, for --bootstrap-controller. */
  controllerAddresses(): string[] {
    return [...this.members.values()].filter((m) => m.controller).map((m) => `${m.host}:${m.ports.CONTROLLER}`);
  }

  /** host:port of every broker's PLAINTEXT listener (Kafka clients' bootstrap servers). */
  bootstrapServers(): string[] {
    return [...this.members.values()].filter((m) => m.broker).map((m) => `${m.host}:${m.ports.PLAINTEXT}`);
  }

  node(id: NodeId): NodeInfo {
    const m = this.member(id);
    return { id, controller: m.controller, broker: m.broker, dataDir: m.dataDir, host: m.host, ports: { ...m.ports }, pid: m.process?.pid, ready: m.readyEvent };
  }

  isRunning(id: NodeId): boolean {
    return this.member(id).process !== undefined;
  }

  /** How the node's last process ended (undefined: it never ended). */
  lastExit(id: NodeId): NodeExit | undefined {
    return this.member(id).lastExit;
  }

  stderrOf(id: NodeId): string {
    return this.member(id).stderrTail.join('\n');
  }

  /** The command that runs node `id`, so the chaos tooling can run it elsewhere (a network namespace). */
  spawnArgs(id: NodeId): SpawnArgs {
    const m = this.member(id);
    const quorum = [...this.members.values()].filter((c) => c.controller).map((c) => `${c.id}@${c.host}:${c.ports.CONTROLLER}`).join(',');
    const listeners = Object.entries(m.ports).map(([name, port]) => `${name}://${m.host}:${port}`).join(',');
    const roles = [...(m.broker ? ['broker'] : []), ...(m.controller ? ['controller'] : [])].join(',');
    const args = [...(this.options.execArgv ?? []), CLI, 'server', '--node-id', String(id), '--roles', roles, '--controller-quorum', quorum, '--listeners', listeners, '--data-dir', m.dataDir, ...(this.options.serverFlags ?? [])];
    return { command: process.execPath, args, env: { ...process.env, FLOTILLA_LOG_LEVEL: this.options.logLevel ?? 'warn' } };
  }

  /** A client of the controller service that knows every controller by id. The cluster closes it on stop(). */
  client(): ControllerClient {
    const controllers = new Map([...this.members.values()].filter((m) => m.controller).map((m) => [m.id as number, `${m.host}:${m.ports.CONTROLLER}`]));
    const client = new ControllerClient(controllers);
    this.clients.push(client);
    return client;
  }

  /** Waits until every broker is registered and unfenced, as the active controller sees it (DescribeCluster). */
  async waitBrokersUnfenced(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const brokers = this.ids().filter((id) => this.member(id).broker);
    const client = new ControllerClient(new Map(this.controllerAddresses().map((a, i) => [-i, a])), { deadlineMs: timeoutMs });
    const giveUpAt = Date.now() + timeoutMs;
    try {
      for (let last = 'no answer yet'; ; await sleep(100)) {
        if (Date.now() > giveUpAt) throw new Error(`brokers ${brokers.join(',')} not all registered and unfenced within ${timeoutMs} ms (last: ${last})`);
        const res = await client.call('describeCluster', {}).catch((e: Error) => ({ error: { code: 'UNAVAILABLE', message: e.message }, brokers: [] }));
        const unfenced = new Set((res.brokers ?? []).filter((b) => !b.fenced).map((b) => b.id));
        if (brokers.every((id) => unfenced.has(id))) return;
        last = res.error?.code ? `${res.error.code}: ${res.error.message}` : `unfenced: ${[...unfenced].join(',') || 'none'}`;
      }
    } finally {
      client.close();
    }
  }

  /** kill -9: the node keeps only what it had on disk. */
  async kill(id: NodeId): Promise<void> {
    await this.signal(id, 'SIGKILL');
  }

  /** SIGTERM (a controlled shutdown) and wait for the exit; SIGKILL after a deadline. */
  async terminate(id: NodeId, deadlineMs = TERMINATE_DEADLINE_MS): Promise<void> {
    await this.signal(id, 'SIGTERM', deadlineMs);
  }

  /** Terminates the node if it runs, starts it again from its data directory on its ports, waits until ready. */
  async restart(id: NodeId): Promise<void> {
    await this.terminate(id);
    this.spawnNode(id);
    await this.member(id).ready;
  }

  /** Stops every node (SIGTERM, again after 2 s, SIGKILL after the deadline) and removes the base dir if it made it. */
  async stop(deadlineMs = STOP_DEADLINE_MS): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    await this.stopProcesses(deadlineMs);
    if (this.ownsBaseDir) await rm(this.baseDir, { recursive: true, force: true });
  }

  private async stopProcesses(deadlineMs = STOP_DEADLINE_MS): Promise<void> {
    const again = setTimeout(() => {
      for (const m of this.members.values()) m.process?.kill('SIGTERM');
    }, STOP_SECOND_SIGNAL_MS);
    await Promise.all(this.ids().map((id) => this.signal(id, 'SIGTERM', deadlineMs)));
    clearTimeout(again);
  }

  private async pickPorts(): Promise<void> {
    for (const m of this.members.values()) {
      m.ports = {};
      if (m.broker) m.ports.PLAINTEXT = await freePort();
      m.ports[m.controller ? 'CONTROLLER' : 'INTERNAL'] = await freePort();
    }
  }

  private spawnNode(id: NodeId): void {
    const m = this.member(id);
    if (m.process) throw new Error(`node ${id} is already running (pid ${m.process.pid})`);
    const { command, args, env } = this.spawnArgs(id);
    // stdin is a pipe only we hold: if this process dies, the node sees it close and stops.
    const child = spawn(command, [...args, '--stop-with-parent'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    m.process = child;
    m.readyEvent = undefined;
    m.stderrTail = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      m.stderrTail.push(line);
      if (m.stderrTail.length > STDERR_TAIL_LINES) m.stderrTail.shift();
      this.options.onStderr?.(id, line);
    });
    child.once('exit', (code, signal) => {
      if (m.process !== child) return;
      m.process = undefined;
      m.lastExit = { code, signal };
    });
    m.ready = waitForReady(child, id, () => m.stderrTail.join('\n')).then((event) => (m.readyEvent = event));
    m.ready.catch(() => undefined); // observed by waitReady/restart; never an unhandled rejection
  }

  private async signal(id: NodeId, signal: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = this.member(id).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = escalateAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), escalateAfterMs);
    await exited;
    clearTimeout(timer);
  }

  private member(id: NodeId): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no node ${id} in this cluster (nodes ${this.ids().join(',')})`);
    return m;
  }
}

function notFormatted(error: unknown): undefined {
  if (error instanceof DataDirError && error.code === 'NOT_FORMATTED') return undefined;
  throw error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the node's ready line; rejects if it exits first or stays silent too long. */
function waitForReady(child: ChildProcess, id: NodeId, stderr: () => string): Promise<ReadyEvent> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const done = (error?: Error, event?: ReadyEvent) => {
      clearTimeout(timer);
      child.off('close', onExit);
      lines.removeAllListeners('line');
      child.stdout?.resume(); // keep draining: a child must never block on a full pipe
      if (error) reject(error);
      else if (event) resolve(event);
    };
    const timer = setTimeout(() => done(new Error(`node ${id} was not ready within ${READY_TIMEOUT_MS} ms:\n${stderr()}`)), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => done(new Error(`node ${id} exited (${code ?? signal}) before it was ready:\n${stderr()}`));
    // 'close', not 'exit': by then stderr is read to the end, so the message shows why it died.
    child.once('close', onExit);
    lines.on('line', (line) => {
      const event = parseReady(line);
      if (event) done(undefined, event);
    });
  });
}

function parseReady(line: string): ReadyEvent | undefined {
  try {
    const event = JSON.parse(line) as Partial<ReadyEvent>;
    return event.event === 'ready' ? (event as ReadyEvent) : undefined;
  } catch {
    return undefined; // not our line
  }
}
