// Running the system tools the chaos library drives (ip, nft). Every call is bounded in time and
// output, and a failure names the command and what it printed, so a broken environment is obvious.
import { spawn, spawnSync } from 'node:child_process';

/** A tool that does not answer within this is killed and reported. */
export const COMMAND_TIMEOUT_MS = 10_000;
/** Output kept from one command (the tools we call print little; this only guards memory). */
const OUTPUT_BYTES_MAX = 1 << 20;

export class ChaosCommandError extends Error {
  readonly code = 'CHAOS_COMMAND_FAILED';
  readonly retriable = false;
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(`\`${command.join(' ')}\` failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no output)'}`);
  }
}

/** Runs `cmd args...`, optionally feeding `input` on stdin, and resolves with its stdout. */
export function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= OUTPUT_BYTES_MAX) into.push(chunk);
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    child.on('error', (error) => reject(new ChaosCommandError([cmd, ...args], error.message, null)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new ChaosCommandError([cmd, ...args], Buffer.concat(err).toString(), code));
    });
    child.stdin.on('error', () => {}); // a tool that exits early closes stdin; its exit code tells
    child.stdin.end(input ?? '');
  });
}

/** The synchronous twin of `run`, for process-exit handlers where nothing asynchronous runs. */
export function runSync(cmd: string, args: readonly string[], input?: string): string {
  const result = spawnSync(cmd, args, { input: input ?? '', timeout: COMMAND_TIMEOUT_MS, maxBuffer: OUTPUT_BYTES_MAX });
  if (result.error) throw new ChaosCommandError([cmd, ...args], result.error.message, null);
  if (result.status !== 0) throw new ChaosCommandError([cmd, ...args], result.stderr.toString(), result.status);
  return result.stdout.toString();
}
