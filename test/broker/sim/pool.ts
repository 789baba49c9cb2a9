// Runs many seeds of the replication simulation on worker threads (test/support/seed-pool.ts). A
// seed that does not finish in time is an endless loop somewhere: a 'hang'.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { isMainThread } from 'node:worker_threads';
import { runSeedsOnWorkers, serveSeeds } from '../../support/seed-pool.js';
import { REPL_EVENTS_DEFAULT, failedResult, type ReplResult } from './simulation.js';
import { runSeedSync, type ReplRunSpec } from './sync-seed.js';

export type { ReplRunSpec };

/** A seed takes well under a second (a few with a long catch-up, a few seconds); this long is stuck. */
export const REPL_SEED_SECONDS_MAX = 60;

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export function runReplSeeds(seeds: readonly number[], spec: ReplRunSpec, jobs: number, secondsMax = REPL_SEED_SECONDS_MAX): Promise<ReplResult[]> {
  const failed = (seed: number, why: 'hang' | 'crash', detail: string) => failedResult(seed, 'exception', `${why}: ${detail}`);
  return runSeedsOnWorkers(seeds, { worker: new URL(import.meta.url), spec, jobs, secondsMax, failed });
}

/** The one command that replays `seed` as it ran under `spec`, printing every event. */
export function replReplayCommand(seed: number, spec: ReplRunSpec): string {
  const bugs = spec.bugs.map((b) => ` --bug ${b}`).join('');
  const events = spec.events === REPL_EVENTS_DEFAULT ? '' : ` --events ${spec.events}`;
  return `npm run build && npm run sim:replication -- --seed ${seed}${bugs}${events} --verbose`;
}

/** One seed on this thread, blocking it (sync-seed.ts): what serveSeeds and the CLI's runOne take. */
export function runReplSeedHere(seed: number, spec: ReplRunSpec, secondsMax = REPL_SEED_SECONDS_MAX, verbose?: (line: string) => void): ReplResult {
  return runSeedSync(seed, spec, secondsMax, verbose) ?? failedResult(seed, 'exception', `hang: the run did not finish within ${secondsMax}s (an endless loop?)`);
}

if (!isMainThread) serveSeeds((seed, spec: ReplRunSpec) => runReplSeedHere(seed, spec));
