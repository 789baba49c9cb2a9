// Starts and controls a raft test cluster of real processes on loopback: format, start, kill -9,
// restart from disk, stop. Only processes started here are ever signalled, by their pid.
import { freePort } from '../../util/ports.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type NodeId, nodeId } from '../core/types.js';
import { KvClient } from './client.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface ClusterOptions {
  readonly size: number;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotEvery?: number;
  /** Log level of the nodes (stderr); default "warn". */
  readonly logLevel?: string;
  /** Extra Node.js flags for the node processes (e.g. --cpu-prof). */
  readonly execArgv?: readonly string[];
}

interface Member {
  readonly id: NodeId;
  readonly raftAddress: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  kvAddress: string | undefined;
  stderrTail: string[];
}


export class LocalKvCluster {
  readonly client: KvClient;

  private constructor(private readonly root: string, private readonly members: Map<NodeId, Member>, private readonly options: ClusterOptions) {
    this.client = new KvClient(new Map());
  }

  static async start(options: ClusterOptions): Promise<LocalKvCluster> {
    const root = await mkdtemp(join(tmpdir(), 'flotilla-raft-'));
    const members = new Map<NodeId, Member>();
    for (let i = 1; i <= options.size; i++) {
      const id = nodeId(i);
      members.set(id, { id, raftAddress: `127.0.0.1:${await freePort()}`, dataDir: join(root, `node-${i}`), process: undefined, kvAddress: undefined, stderrTail: [] });
    }
    const cluster = new LocalKvCluster(root, members, options);
    try {
      await Promise.all([...members.keys()].map((id) => cluster.startNode(id)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  ids(): NodeId[] {
    return [...this.members.keys()];
  }

  pid(id: NodeId): number | undefined {
    return this.member(id).process?.pid;
  }

  isRunning(id: NodeId): boolean {
    return this.member(id).process !== undefined;
  }

  /** Starts (or restarts, from its data directory) one node and waits until it serves. */
  async startNode(id: NodeId): Promise<void> {
    const m = this.member(id);
    if (m.process) throw new Error(`node ${id} is already running`);
    const peers = [...this.members.values()].map((p) => `${p.id}@${p.raftAddress}`).join(',');
    const args = [...(this.options.execArgv ?? []), MAIN, '--id', String(id), '--peers', peers, '--data-dir', m.dataDir, '--kv-listen', m.kvAddress ?? '127.0.0.1:0'];
    if (this.options.tickMs) args.push('--tick-ms', String(this.options.tickMs));
    if (this.options.electionTicks) args.push('--election-ticks', String(this.options.electionTicks));
    if (this.options.snapshotEvery) args.push('--snapshot-every', String(this.options.snapshotEvery));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: this.options.logLevel ?? 'warn' } });
    m.process = child;
    m.stderrTail = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      m.stderrTail.push(line);
      if (m.stderrTail.length > 50) m.stderrTail.shift();
    });
    child.once('exit', () => {
      if (m.process === child) m.process = undefined;
    });
    const kvPort = await readyPort(child, () => m.stderrTail.join('\n'));
    m.kvAddress = `127.0.0.1:${kvPort}`;
    this.client.setAddress(id, m.kvAddress);
  }

  /** kill -9: the node loses everything but what it had synced to disk. */
  async kill(id: NodeId): Promise<void> {
    await this.signal(id, 'SIGKILL');
  }

  /** Asks for a clean stop; SIGKILL if it has not exited within 10 s. */
  async terminate(id: NodeId): Promise<void> {
    await this.signal(id, 'SIGTERM', 10_000);
  }

  /** The node every running node agrees leads, once one does (polls Status), within `timeoutMs`. */
  async waitForLeader(timeoutMs = 30_000, excluding?: NodeId): Promise<NodeId> {
    const giveUpAt = Date.now() + timeoutMs;
    while (Date.now() < giveUpAt) {
      const running = this.ids().filter((id) => this.isRunning(id));
      const leaders = await Promise.all(running.map((id) => this.client.status(id).then((s) => (s.role === 'leader' ? id : undefined), () => undefined)));
      const leader = leaders.find((id) => id !== undefined && id !== excluding);
      if (leader !== undefined) return leader;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  /** The Kv client address of a running node. */
  kvAddress(id: NodeId): string {
    const address = this.member(id).kvAddress;
    if (!address) throw new Error(`node ${id} has no Kv address yet`);
    return address;
  }

  /** The Kv client addresses of the running nodes. */
  kvAddresses(): string[] {
    return [...this.members.values()].flatMap((m) => (m.process && m.kvAddress ? [m.kvAddress] : []));
  }

  stderrOf(id: NodeId): string {
    return this.member(id).stderrTail.join('\n');
  }

  /** Stops every node (SIGTERM, then SIGKILL) and removes the data directories. */
  async stop(): Promise<void> {
    this.client.close();
    await Promise.all(this.ids().map((id) => this.signal(id, 'SIGTERM', 5_000)));
    await rm(this.root, { recursive: true, force: true });
  }

  private async signal(id: NodeId, signal: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = this.member(id).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (escalateAfterMs === undefined) return exited;
    const timer = setTimeout(() => child.kill('SIGKILL'), escalateAfterMs);
    await exited;
    clearTimeout(timer);
  }

  private member(id: NodeId): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no node ${id}`);
    return m;
  }
}

/** Waits for the node's {"event":"ready"} line and returns its Kv port. */
function readyPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`node did not start within ${START_TIMEOUT_MS} ms:\n${stderr()}`)), START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    const fail = (error: Error) => {
      clearTimeout(timer);
      lines.close();
      reject(error);
    };
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; kvPort?: number };
        if (event.event !== 'ready' || !event.kvPort) return;
        clearTimeout(timer);
        lines.close();
        child.stdout?.resume(); // keep draining, so the child never blocks on a full pipe
        resolve(event.kvPort);
      } catch {
        // not our line
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`node exited (${code ?? signal}) before it was ready:\n${stderr()}`)));
  });
}
