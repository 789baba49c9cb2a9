// Process faults. Restarting is the caller's business: it knows the command line (see
// ChaosNet.spawn / spawnInNamespace to start one inside a node's namespace).

function signal(pid: number, name: NodeJS.Signals): void {
  checkPid(pid);
  try {
    process.kill(pid, name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new Error(`no process ${pid}`);
    if (code === 'EPERM') throw new Error(`not allowed to signal process ${pid}`);
    throw error;
  }
}

function checkPid(pid: number): void {
  // Signalling pid 0, -1 or 1 would reach a process group, everything, or init: never what was meant.
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`not a process id: ${pid}`);
  if (pid === process.pid) throw new RangeError(`refusing to signal this process itself (${pid})`);
}

/** kill -9. */
export function kill(pid: number): void {
  signal(pid, 'SIGKILL');
}

/** SIGSTOP: the process stops running but keeps its sockets; peers see it hang, not close. */
export function pause(pid: number): void {
  signal(pid, 'SIGSTOP');
}

/** SIGCONT, undoing `pause`. */
export function resume(pid: number): void {
  signal(pid, 'SIGCONT');
}

/** Whether a process with this pid exists (a zombie still counts until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
