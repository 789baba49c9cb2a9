// Structured JSON logging (pino). One root logger per process; components take a child with
// `{ component: '...' }`. The level comes from FLOTILLA_LOG_LEVEL (default "info"; "silent" in tests).
import { pino } from 'pino';

export type Logger = pino.Logger;

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({ level: process.env.FLOTILLA_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, pino.destination({ fd: 2, sync: false }));
  return root;
}

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}

/** A logger that discards everything, for tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
