// A chaos network for a local cluster: every node in its own network namespace, all joined by veth
// pairs to one bridge that lives in a namespace of its own (the "hub"), so nothing is added to the
// root namespace and nothing in it (firewall, Docker's FORWARD policy) can interfere. Faults are
// nftables drop rules inside the node namespaces (see nft.ts); process faults are in signals.ts.
//
// Names: a net is `<prefix>-<cluster>-<4 hex>`, e.g. `flt-137-a3f1`; its namespaces are `<net>-hub`
// and `<net>-n<id>`; node `id` has address 10.77.<cluster>.<id>/24 on its `eth0`. The addresses
// exist only inside the net's own namespaces, so even two runs with one cluster number could not
// reach each other; the number is still chosen unused so that logs are unambiguous. Creating the
// hub namespace is the atomic claim on a name (`ip netns add` fails if it exists).
//
// Teardown is processes first (those spawned through the net, then anything else still inside its
// namespaces), then the namespaces, which takes their veths and the bridge with them. A net not
// destroyed by the time the process exits (a failed test) is torn down by an exit handler.
import { type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ChaosCommandError, runSync } from './exec.js';
import {
  addNamespace, deleteNamespace, deleteNamespaceSync, ipIn, listNamespaces, listNamespacesSync, pidsInNamespace,
  pidsInNamespaceSync, spawnInNamespace,
} from './netns.js';
import { block, type Blocks, installTable, unblockAll } from './nft.js';

export const NAME_PREFIX_DEFAULT = 'flt';
export const NODES_MAX = 64;
const SUBNET_PREFIX = '10.77';
const CREATE_ATTEMPTS_MAX = 8;
/** How long teardown waits for killed processes to be gone before deleting namespaces anyway. */
const PROCESS_EXIT_WAIT_MS = 10_000;
const PROCESS_POLL_MS = 25;
/** Cluster number 0 is reserved for the support probe, so its leftovers match `cleanup` too. */
const PROBE_CLUSTER = 0;

const PREFIX_RE = /^[a-z][a-z0-9]{0,7}$/;
const NET_NAME_RE = /^([a-z][a-z0-9]{0,7})-(\d{1,3})-([0-9a-f]{4})$/;

export interface ChaosNode {
  readonly id: number;
  readonly namespace: string;
  readonly address: string;
}

export interface ChaosNetInfo {
  readonly name: string;
  readonly cluster: number;
  readonly hub: string;
  readonly nodes: readonly ChaosNode[];
}

export interface CreateOptions {
  readonly nodes: number;
  readonly prefix?: string;
  /**
   * Leave the net in place when this process exits (the CLI's `create`, whose net outlives it).
   * By default a net still alive at exit is torn down, so a failed test cannot leak one.
   */
  readonly keepOnExit?: boolean;
}

export class ChaosNet {
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(
    readonly name: string,
    readonly cluster: number,
    readonly nodes: readonly ChaosNode[],
  ) {}

  get hub(): string {
    return `${this.name}-hub`;
  }

  /** Creates a net of `nodes` namespaces, numbered 1..nodes. */
  static async create(options: CreateOptions): Promise<ChaosNet> {
    const prefix = options.prefix ?? NAME_PREFIX_DEFAULT;
    if (!PREFIX_RE.test(prefix)) throw new RangeError(`prefix must match ${PREFIX_RE}: ${JSON.stringify(prefix)}`);
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > NODES_MAX) {
      throw new RangeError(`nodes must be an integer in 1..${NODES_MAX}: ${options.nodes}`);
    }
    const existing = await listNamespaces();
    for (let attempt = 0; attempt < CREATE_ATTEMPTS_MAX; attempt++) {
      const cluster = randomInt(1, 255);
      if (existing.some((ns) => ns.startsWith(`${prefix}-${cluster}-`))) continue;
      const name = `${prefix}-${cluster}-${randomBytes(2).toString('hex')}`;
      try {
        await addNamespace(`${name}-hub`);
      } catch (error) {
        if (error instanceof ChaosCommandError && /exists/i.test(error.stderr)) continue; // lost a race
        throw error;
      }
      const nodes = Array.from({ length: options.nodes }, (_, i) => nodeOf(name, cluster, i + 1));
      const net = new ChaosNet(name, cluster, nodes);
      register(net); // until built, even with keepOnExit: a half-built net is never kept
      try {
        await net.build(options.keepOnExit ? undefined : process.pid);
      } catch (error) {
        await net.destroy().catch(() => {});
        throw error;
      }
      if (options.keepOnExit) unregister(net);
      return net;
    }
    throw new Error(`no free cluster number for prefix ${prefix} after ${CREATE_ATTEMPTS_MAX} attempts`);
  }

  /** Reattaches to a net created earlier (by another process, e.g. the CLI), from its namespaces. */
  static async open(name: string): Promise<ChaosNet> {
    const match = NET_NAME_RE.exec(name);
    if (!match) throw new RangeError(`not a chaos net name (like flt-137-a3f1): ${JSON.stringify(name)}`);
    const namespaces = await listNamespaces();
    if (!namespaces.includes(`${name}-hub`)) throw new Error(`no chaos net named ${name} (no namespace ${name}-hub)`);
    const ids = namespaces
      .map((ns) => ns.startsWith(`${name}-n`) ? Number(ns.slice(name.length + 2)) : NaN)
      .filter((id) => Number.isInteger(id) && id >= 1)
      .sort((a, b) => a - b);
    const cluster = Number(match[2]);
    return new ChaosNet(name, cluster, ids.map((id) => nodeOf(name, cluster, id)));
  }

  info(): ChaosNetInfo {
    return { name: this.name, cluster: this.cluster, hub: this.hub, nodes: this.nodes };
  }

  node(id: number): ChaosNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new RangeError(`net ${this.name} has no node ${id} (nodes: ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  /**
   * Starts `cmd args...` inside node `id`'s namespace. The child's pid is the command's pid, so
   * kill/pause/resume act on it directly; `destroy` kills it. Restarting is starting again.
   */
  spawn(id: number, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.destroyed) throw new Error(`net ${this.name} is destroyed`);
    const child = spawnInNamespace(this.node(id).namespace, cmd, args, options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Drops all traffic between the two groups, both ways. Traffic within each group flows. */
  async partition(groupA: readonly number[], groupB: readonly number[]): Promise<void> {
    const [a, b] = this.groups(groupA, groupB);
    await this.apply([
      ...a.map((n) => [n, { to: addresses(b), from: addresses(b) }] as const),
      ...b.map((n) => [n, { to: addresses(a), from: addresses(a) }] as const),
    ]);
  }

  /** Drops packets from `from` to `to` only; packets from `to` to `from` still arrive. */
  async partitionOneWay(from: readonly number[], to: readonly number[]): Promise<void> {
    const [a, b] = this.groups(from, to);
    await this.apply([
      ...a.map((n) => [n, { to: addresses(b), from: [] }] as const),
      ...b.map((n) => [n, { to: [], from: addresses(a) }] as const),
    ]);
  }

  /** Cuts node `id` off from every other node. */
  async isolate(id: number): Promise<void> {
    this.node(id);
    await this.partition([id], this.nodes.map((n) => n.id).filter((other) => other !== id));
  }

  /** Removes every network fault. */
  async heal(): Promise<void> {
    await Promise.all(this.nodes.map((n) => unblockAll(n.namespace)));
  }

  /** Kills the processes (by pid), then deletes the namespaces with their veths and bridge. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const child of this.children) signalChild(child);
    await Promise.all([...this.children].map((child) => waitExit(child, PROCESS_EXIT_WAIT_MS)));
    await teardownNamespaces([...this.nodes.map((n) => n.namespace), this.hub]);
    this.destroyed = true;
    unregister(this);
  }

  /** Best-effort synchronous teardown for the process-exit handler: kill, then delete, no waiting. */
  destroySync(): void {
    if (this.destroyed) return;
    for (const child of this.children) signalChild(child);
    const namespaces = [...this.nodes.map((n) => n.namespace), this.hub];
    const present = new Set(listNamespacesSync());
    for (const ns of namespaces.filter((n) => present.has(n))) {
      for (const pid of pidsInNamespaceSync(ns)) killQuietly(pid);
    }
    for (const ns of namespaces.filter((n) => present.has(n))) deleteNamespaceSync(ns);
    this.destroyed = true;
    unregister(this);
  }

  /** `ownerPid`: the process whose exit ends the net (none for a kept net); see `cleanup`. */
  private async build(ownerPid: number | undefined): Promise<void> {
    await ipIn(this.hub, ['link', 'add', 'br0', 'type', 'bridge']);
    await ipIn(this.hub, ['link', 'set', 'br0', 'alias', ownerAlias(ownerPid)]);
    await ipIn(this.hub, ['link', 'set', 'br0', 'up']);
    // Nodes are independent of each other; settle them all before reporting so that a teardown
    // after a failure does not race a half-built node.
    const results = await Promise.allSettled(this.nodes.map((node) => this.buildNode(node)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async buildNode(node: ChaosNode): Promise<void> {
    const ns = node.namespace;
    const hubEnd = `v${node.id}`;
    await addNamespace(ns);
    await ipIn(this.hub, ['link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await ipIn(this.hub, ['link', 'set', hubEnd, 'master', 'br0', 'up']);
    await ipIn(ns, ['addr', 'add', `${node.address}/24`, 'dev', 'eth0']);
    await ipIn(ns, ['link', 'set', 'eth0', 'up']);
    await ipIn(ns, ['link', 'set', 'lo', 'up']);
    await installTable(ns);
  }

  private groups(a: readonly number[], b: readonly number[]): [ChaosNode[], ChaosNode[]] {
    if (a.length === 0 || b.length === 0) throw new RangeError('both sides of a partition need at least one node');
    const overlap = a.filter((id) => b.includes(id));
    if (overlap.length > 0) throw new RangeError(`node(s) ${overlap.join(', ')} on both sides of the partition`);
    return [a.map((id) => this.node(id)), b.map((id) => this.node(id))];
  }

  private async apply(changes: ReadonlyArray<readonly [ChaosNode, Blocks]>): Promise<void> {
    await Promise.all(changes.map(([node, blocks]) => block(node.namespace, blocks)));
  }
}

function nodeOf(name: string, cluster: number, id: number): ChaosNode {
  return { id, namespace: `${name}-n${id}`, address: `${SUBNET_PREFIX}.${cluster}.${id}` };
}

function addresses(nodes: readonly ChaosNode[]): string[] {
  return nodes.map((n) => n.address);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function signalChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) killQuietly(child.pid);
}

async function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Kills everything inside `namespaces`, waits (bounded) for it to be gone, then deletes them. */
async function teardownNamespaces(namespaces: readonly string[]): Promise<void> {
  const present = new Set(await listNamespaces());
  const ours = namespaces.filter((ns) => present.has(ns));
  const deadline = Date.now() + PROCESS_EXIT_WAIT_MS;
  let remaining: number[] = [];
  for (;;) {
    remaining = (await Promise.all(ours.map(pidsInNamespace))).flat();
    if (remaining.length === 0 || Date.now() > deadline) break;
    remaining.forEach(killQuietly);
    await new Promise((resolve) => setTimeout(resolve, PROCESS_POLL_MS));
  }
  // In the order given (hub last: node namespaces hold the other ends of its veths). One failure
  // does not stop the rest from going.
  const failures: string[] = [];
  for (const ns of ours) await deleteNamespace(ns).catch((error: Error) => failures.push(error.message));
  if (remaining.length > 0) failures.push(`processes ${remaining.join(', ')} survived SIGKILL in ${ours.join(', ')}`);
  if (failures.length > 0) throw new Error(`teardown incomplete: ${failures.join('; ')}`);
}

// A net records its owner in its bridge's alias: "flotilla-chaos owner=PID:STARTTIME", where
// STARTTIME (from /proc/PID/stat) tells a live owner from a later process that reuses its pid.
const ALIAS_PREFIX = 'flotilla-chaos owner=';

function ownerAlias(pid: number | undefined): string {
  const start = pid === undefined ? undefined : processStartTime(pid);
  return `${ALIAS_PREFIX}${pid === undefined || start === undefined ? 'none' : `${pid}:${start}`}`;
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, starttime field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process that created the net behind `hub` is still running (so it is not a leftover). */
async function ownerAlive(hub: string): Promise<boolean> {
  let alias = '';
  try {
    const links = JSON.parse(await ipIn(hub, ['-j', 'link', 'show', 'br0'])) as Array<{ ifalias?: string }>;
    alias = links[0]?.ifalias ?? '';
  } catch {
    return false; // no hub or no bridge: a half-built or half-deleted net
  }
  const match = /owner=(\d+):(\d+)$/.exec(alias);
  if (!match) return false;
  const [, pid, start] = match;
  return processStartTime(Number(pid)) === start;
}

export interface CleanupResult {
  /** Namespaces removed, with the processes inside them. */
  readonly removed: readonly string[];
  /** Nets left alone because the process that created them still runs (use `force`). */
  readonly skipped: readonly string[];
}

/**
 * Removes what crashed runs left behind: every namespace named like one of ours with this prefix,
 * and the processes inside it. A net whose creating process still runs (a test in progress,
 * perhaps another engineer's) is skipped unless `force`; nets kept by the CLI have no owner.
 */
export async function cleanup(prefix: string = NAME_PREFIX_DEFAULT, force = false): Promise<CleanupResult> {
  if (!PREFIX_RE.test(prefix)) throw new RangeError(`prefix must match ${PREFIX_RE}: ${JSON.stringify(prefix)}`);
  const pattern = new RegExp(`^(${prefix}-\\d{1,3}-[0-9a-f]{4})-(hub|n\\d+)$`);
  const ours = (await listNamespaces()).filter((ns) => pattern.test(ns));
  const nets = [...new Set(ours.map((ns) => pattern.exec(ns)?.[1] ?? ''))];
  const skipped: string[] = [];
  for (const net of nets) if (!force && (await ownerAlive(`${net}-hub`))) skipped.push(net);
  const leftovers = ours.filter((ns) => !skipped.includes(pattern.exec(ns)?.[1] ?? ''));
  // Node namespaces before hubs, as in destroy.
  leftovers.sort((a, b) => Number(a.endsWith('-hub')) - Number(b.endsWith('-hub')));
  await teardownNamespaces(leftovers);
  return { removed: leftovers, skipped };
}

export type ChaosSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let support: ChaosSupport | undefined;

/**
 * Whether this process can build chaos nets: Linux, root, iproute2 and nftables installed, and
 * namespaces and nftables actually working (a container may lack the capabilities). Cached.
 */
export function chaosSupport(): ChaosSupport {
  support ??= probeSupport();
  return support;
}

function probeSupport(): ChaosSupport {
  const install = 'run scripts/install-debian-packages.sh as root';
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `not root (uid ${uid}): network namespaces and nftables need root` };
  for (const [tool, args, pkg] of [['ip', ['-V'], 'iproute2'], ['nft', ['--version'], 'nftables']] as const) {
    try {
      runSync(tool, args);
    } catch (error) {
      return { ok: false, reason: `\`${tool}\` (${pkg}) is not usable: ${(error as Error).message}; ${install}` };
    }
  }
  const probe = `${NAME_PREFIX_DEFAULT}-${PROBE_CLUSTER}-${randomBytes(2).toString('hex')}-hub`;
  try {
    runSync('ip', ['netns', 'add', probe]);
  } catch (error) {
    return { ok: false, reason: `cannot create a network namespace: ${(error as Error).message}` };
  }
  try {
    runSync('ip', ['netns', 'exec', probe, 'nft', '-f', '-'], 'add table inet flotilla_probe\n');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `nftables does not work inside a namespace: ${(error as Error).message}` };
  } finally {
    try {
      runSync('ip', ['netns', 'delete', probe]);
    } catch {
      // nothing else to do; `cleanup` removes it later
    }
  }
}

// Nets not destroyed by the time the process ends, torn down by the exit handlers below.
const live = new Set<ChaosNet>();
let handlersInstalled = false;

function register(net: ChaosNet): void {
  live.add(net);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      destroyAllSync();
      // Re-raise for the default action (exit by that signal) unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function unregister(net: ChaosNet): void {
  live.delete(net);
}

function destroyAllSync(): void {
  for (const net of [...live]) {
    try {
      net.destroySync();
    } catch (error) {
      process.stderr.write(`chaos: teardown of ${net.name} failed: ${(error as Error).message}\n`);
    }
  }
}
