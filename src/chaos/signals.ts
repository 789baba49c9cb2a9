// Process faults. Restarting is the caller's business: it knows the command line (see
// ChaosNet.spawn / spawnInNamespace to start one inside a node's namespace).

function checkPid(pid: number): void {
  // Signalling pid 0, -1 or 1 would reach a process group, everything, or init: never what was meant.
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`not a process id: ${pid}`);
  if (pid === process.pid) throw new RangeError(`refusing to signal this process itself (${pid})`);
}

/** kill -9. */
export function kill(pid: number): void {
  checkPid(pid);
  process.kill(pid, 'SIGKILL');
}

/** SIGSTOP: the process stops running but keeps its sockets; peers see it hang, not close. */
export function pause(pid: number): void {
  checkPid(pid);
  process.kill(pid, 'SIGSTOP');
}

/** SIGCONT, undoing `pause`. */
export function resume(pid: number): void {
  checkPid(pid);
  process.kill(pid, 'SIGCONT');
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
