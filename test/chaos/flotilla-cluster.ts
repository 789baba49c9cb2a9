// A flotilla cluster of real `flotilla server` processes in a chaos net, one node per network
// namespace, for chaos tests: controllers 1..c (combined broker,controller), broker-only nodes
// after them, and one more namespace for the admin agent (controller-agent.ts), which is the
// test's only way into the net. Every port is fixed: each node has its namespace to itself.
//
// Only processes started here are ever signalled, by pid. Each node's stderr (pino JSON logs) goes
// to a file in the cluster's directory and its last lines are kept in memory, so a failing test can
// print what the nodes said (`report`).
import { type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ChaosNet, kill, pause, resume } from '../../src/chaos/index.js';
import type { ControllerMethod, RequestOf, ResponseOf } from '../../src/metadata/controller-service.js';
import { formatDataDir, randomClusterId } from '../../src/metadata/data-dir.js';
import { nodeId } from '../../src/raft/core/types.js';
import type { AgentAnswer } from './controller-agent.js';
import { waitForLine } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli/flotilla.js', import.meta.url));
const AGENT = fileURLToPath(new URL('./controller-agent.js', import.meta.url));
export const KAFKA_PORT = 9092;
export const CONTROLLER_PORT = 19091;
export const INTERNAL_PORT = 19092;
/** A node process on a loaded 2-core machine can take a while to load and open LevelDB. */
const READY_MS_MAX = 30_000;
const STDERR_TAIL_LINES = 40;
/** An agent call that the agent itself never answers (it bounds every call well below this). */
const AGENT_ANSWER_MS_MAX = 30_000;

export interface FlotillaClusterOptions {
  readonly controllers: number;
  readonly brokersOnly: number;
  /** Extra `flotilla server` flags for every node. */
  readonly serverFlags: readonly string[];
  /** FLOTILLA_LOG_LEVEL of the nodes. */
  readonly logLevel?: string;
}

interface Member {
  readonly id: number;
  readonly controller: boolean;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  /** Set by kill(): the next exit is ours, not a crash. */
  exitExpected: boolean;
  readonly tail: string[];
  log: WriteStream | undefined;
}

export class FlotillaCluster {
  private readonly members = new Map<number, Member>();
  private readonly stderrListeners: Array<(id: number, line: string) => void> = [];
  /** Nodes that exited without being killed here: `node N exited (code)`. */
  readonly crashes: string[] = [];
  private agent: ChildProcess | undefined;
  private readonly pending = new Map<number, (answer: AgentAnswer) => void>();
  private seq = 0;

  private constructor(
    readonly net: ChaosNet,
    readonly dir: string,
    private readonly options: FlotillaClusterOptions,
  ) {}

  /** The chaos-net node that runs the admin agent (it runs no flotilla node). */
  get agentNode(): number {
    return this.options.controllers + this.options.brokersOnly + 1;
  }

  get controllerIds(): number[] {
    return [...this.members.values()].filter((m) => m.controller).map((m) => m.id);
  }

  get brokerOnlyIds(): number[] {
    return [...this.members.values()].filter((m) => !m.controller).map((m) => m.id);
  }

  get nodeIds(): number[] {
    return [...this.members.keys()];
  }

  /** Creates the net and formats every node's data directory; starts nothing. */
  static async create(options: FlotillaClusterOptions): Promise<FlotillaCluster> {
    const total = options.controllers + options.brokersOnly;
    const net = await ChaosNet.create({ nodes: total + 1 });
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-chaos-'));
    const cluster = new FlotillaCluster(net, dir, options);
    const clusterId = randomClusterId();
    const voters = Array.from({ length: options.controllers }, (_, i) => nodeId(i + 1));
    for (let id = 1; id <= total; id++) {
      const controller = id <= options.controllers;
      const dataDir = join(dir, `node-${id}`);
      await formatDataDir({ dataDir, clusterId, nodeId: nodeId(id), initialVoters: controller ? voters : [] });
      cluster.members.set(id, { id, controller, dataDir, process: undefined, exitExpected: false, tail: [], log: undefined });
    }
    return cluster;
  }

  get quorum(): string {
    return this.controllerIds.map((id) => `${id}@${this.net.node(id).address}:${CONTROLLER_PORT}`).join(',');
  }

  private args(m: Member): string[] {
    const host = this.net.node(m.id).address;
    const grpc = m.controller ? `CONTROLLER://${host}:${CONTROLLER_PORT}` : `INTERNAL://${host}:${INTERNAL_PORT}`;
    return [
      CLI, 'server',
      '--node-id', String(m.id),
      '--roles', m.controller ? 'broker,controller' : 'broker',
      '--controller-quorum', this.quorum,
      '--listeners', `PLAINTEXT://${host}:${KAFKA_PORT},${grpc}`,
      '--data-dir', m.dataDir,
      ...this.options.serverFlags,
    ];
  }

  /** Starts node `id` (again, from its data directory) and waits for its ready line. */
  async start(id: number): Promise<void> {
    const m = this.member(id);
    if (m.process !== undefined) throw new Error(`node ${id} is already running (pid ${m.process.pid})`);
    m.log ??= createWriteStream(join(this.dir, `node-${id}.log`), { flags: 'a' });
    m.log.write(`--- start ${new Date().toISOString()}\n`);
    const child = this.net.spawn(id, process.execPath, this.args(m), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOTILLA_LOG_LEVEL: this.options.logLevel ?? 'info' },
    });
    m.process = child;
    m.exitExpected = false;
    child.stdout?.resume(); // nothing after the ready line matters; never let the pipe fill up
    createInterface({ input: child.stderr! }).on('line', (line) => {
      m.log?.write(`${line}\n`);
      for (const listener of this.stderrListeners) listener(id, line);
      m.tail.push(line);
      if (m.tail.length > STDERR_TAIL_LINES) m.tail.shift();
    });
    child.once('exit', (code, signal) => {
      m.log?.write(`--- exit ${code ?? signal} ${new Date().toISOString()}\n`);
      if (!m.exitExpected) this.crashes.push(`node ${id} exited (${code ?? signal}) without being killed`);
      if (m.process === child) m.process = undefined;
    });
    await waitForLine(child, /"event":"ready"/, READY_MS_MAX);
  }

  /** Calls `listener` with every stderr line (log record) of every node from now on. */
  onStderr(listener: (id: number, line: string) => void): void {
    this.stderrListeners.push(listener);
  }

  /** kill -9, then waits for the exit to be seen (so its LevelDB lock is free for a restart). */
  async kill(id: number): Promise<void> {
    const child = this.running(id);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.member(id).exitExpected = true;
    kill(child.pid!);
    await exited;
  }

  pause(id: number): void {
    pause(this.running(id).pid!);
  }

  resume(id: number): void {
    resume(this.running(id).pid!);
  }

  dataDir(id: number): string {
    return this.member(id).dataDir;
  }

  private running(id: number): ChildProcess {
    const child = this.member(id).process;
    if (child?.pid === undefined) throw new Error(`node ${id} is not running`);
    return child;
  }

  private member(id: number): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new RangeError(`no node ${id}`);
    return m;
  }

  /** Starts the admin agent in its own namespace; `call`/`callOne` go through it. */
  async startAgent(): Promise<void> {
    const agent = this.net.spawn(this.agentNode, process.execPath, [AGENT, this.quorum], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.agent = agent;
    const stderr: string[] = [];
    agent.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    createInterface({ input: agent.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as AgentAnswer;
      this.pending.get(answer.seq)?.(answer);
      this.pending.delete(answer.seq);
    });
    agent.once('exit', (code, signal) => {
      for (const resolve of this.pending.values()) resolve({ seq: -1, ok: false, error: `agent exited (${code ?? signal}): ${stderr.join('')}` });
      this.pending.clear();
    });
    await waitForLine(agent, /"seq":0/, READY_MS_MAX);
  }

  /** Calls the active controller (following NOT_CONTROLLER); rejects if none answers in time. */
  call<K extends ControllerMethod>(method: K, request: RequestOf<K>): Promise<ResponseOf<K>> {
    return this.ask(method, request, undefined, undefined);
  }

  /** Calls node `id` only, active controller or not. */
  callOne<K extends ControllerMethod>(id: number, method: K, request: RequestOf<K>, timeoutMs = 1_500): Promise<ResponseOf<K>> {
    return this.ask(method, request, id, timeoutMs);
  }

  private ask<K extends ControllerMethod>(method: K, request: RequestOf<K>, node: number | undefined, timeoutMs: number | undefined): Promise<ResponseOf<K>> {
    const agent = this.agent;
    if (agent?.stdin === null || agent === undefined) return Promise.reject(new Error('the agent is not running'));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`agent did not answer ${method} within ${AGENT_ANSWER_MS_MAX} ms`));
      }, AGENT_ANSWER_MS_MAX);
      this.pending.set(seq, (answer) => {
        clearTimeout(timer);
        if (answer.ok) resolve(answer.response as ResponseOf<K>);
        else reject(new Error(`${method}${node === undefined ? '' : ` on node ${node}`}: ${answer.error}`));
      });
      agent.stdin!.write(`${JSON.stringify({ seq, method, request, node, timeoutMs })}\n`);
    });
  }

  /** Each node's last stderr lines and where the full logs are, for a failing test. */
  report(): string {
    const parts = [...this.members.values()].map((m) => {
      const state = m.process === undefined ? 'not running' : `pid ${m.process.pid}`;
      return `--- node ${m.id} (${state}), last ${m.tail.length} stderr lines:\n${m.tail.join('\n')}`;
    });
    const crashes = this.crashes.length === 0 ? '' : `--- crashes: ${this.crashes.join('; ')}\n`;
    return `${crashes}${parts.join('\n')}\n--- full logs in ${this.dir}`;
  }

  /** Processes first (the agent, the nodes), then the namespaces; the directory unless `keepDir`. */
  async destroy(keepDir: boolean): Promise<void> {
    this.agent?.stdin?.end();
    for (const m of this.members.values()) m.exitExpected = true;
    try {
      await this.net.destroy();
    } finally {
      await Promise.all([...this.members.values()].map((m) => new Promise<void>((resolve) => (m.log ? m.log.end(resolve) : resolve()))));
      if (!keepDir) await rm(this.dir, { recursive: true, force: true });
    }
  }
}
