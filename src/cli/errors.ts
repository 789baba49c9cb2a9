// How a command fails. The `flotilla` entry point (flotilla.ts) maps these to exit codes:
// a UsageError (or any yargs or data-directory complaint) prints the reason and the usage and
// exits 2; a CommandError prints `flotilla: <CODE>: <message>` and exits 1.

/** Bad input the user must fix: printed with the usage, exit 2 (yargs' own failures do the same). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command ran and failed: a controller's error answer, no controller reachable, a server that did not start. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
