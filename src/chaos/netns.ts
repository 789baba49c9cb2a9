// Network namespaces through iproute2: create, delete, list, the pids inside one, and starting a
// process inside one. `ip netns exec NS CMD` enters the namespace and then execs CMD in place (no
// fork), so the pid of the spawned child is the pid of CMD itself: signals sent to it reach CMD.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { run, runSync } from './exec.js';

export async function addNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
}

export async function deleteNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'delete', ns]);
}

export function deleteNamespaceSync(ns: string): void {
  runSync('ip', ['netns', 'delete', ns]);
}

function parseList(out: string): string[] {
  // Lines look like "flt-12-ab34-n1 (id: 3)" or just "flt-12-ab34-n1".
  return out.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((name) => name !== '');
}

export async function listNamespaces(): Promise<string[]> {
  return parseList(await run('ip', ['netns', 'list']));
}

export function listNamespacesSync(): string[] {
  return parseList(runSync('ip', ['netns', 'list']));
}

function parsePids(out: string): number[] {
  return out.split('\n').map((s) => Number(s.trim())).filter((pid) => Number.isInteger(pid) && pid > 1);
}

/** Pids of the processes whose network namespace is `ns`. */
export async function pidsInNamespace(ns: string): Promise<number[]> {
  return parsePids(await run('ip', ['netns', 'pids', ns]));
}

export function pidsInNamespaceSync(ns: string): number[] {
  return parsePids(runSync('ip', ['netns', 'pids', ns]));
}

/** Runs `ip ARGS...` inside namespace `ns` (`ip -n ns ...`). */
export async function ipIn(ns: string, args: readonly string[]): Promise<string> {
  return run('ip', ['-n', ns, ...args]);
}

/** Runs `cmd args...` inside `ns` (`ip netns exec`), feeding `input` on stdin. */
export async function execIn(ns: string, cmd: string, args: readonly string[], input?: string): Promise<string> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

/** Starts `cmd args...` inside `ns`. The child's pid is the command's own pid (see the header). */
export function spawnInNamespace(ns: string, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], options);
}
