// Running the `flotilla` command as a user would, for the CLI and whole-cluster tests.
import { type ChildProcess, execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built command (dist/src/cli/flotilla.js). */
export const CLI = fileURLToPath(new URL('../../src/cli/flotilla.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `flotilla ...args` to completion with logging silenced; resolves with its exit code and output. */
export function flotilla(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, FLOTILLA_LOG_LEVEL: 'silent' } }, (error, out, err) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err });
    });
  });
}

/** The exit code of `child`, once it has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}
