// Runs many seeds of the replication simulation on worker threads (test/support/seed-pool.ts). A
// seed that does not finish in time is an endless loop somewhere: a 'hang'.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { isMainThread } from 'node:worker_threads';
import { runSeedsOnWorkers, serveSeeds } from '../../support/seed-pool.js';
import { type SimRunSpec, replayArgs } from '../../support/sim-run.js';
import type { ReplPlantedBug } from './params.js';
import { REPL_EVENTS_DEFAULT, failedResult, runReplSimulation, type ReplResult } from './simulation.js';

export type ReplRunSpec = SimRunSpec<ReplPlantedBug>;

/** A seed takes well under a second (a few with a long catch-up, a few seconds); this long is stuck. */
export const REPL_SEED_SECONDS_MAX = 60;

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export function runReplSeeds(seeds: readonly number[], spec: ReplRunSpec, jobs: number, secondsMax = REPL_SEED_SECONDS_MAX): Promise<ReplResult[]> {
  const failed = (seed: number, why: 'hang' | 'crash', detail: string) => failedResult(seed, 'exception', `${why}: ${detail}`);
  return runSeedsOnWorkers(seeds, { worker: new URL(import.meta.url), spec, jobs, secondsMax, failed });
}

/** The one command that replays `seed` as it ran under `spec`, printing every event. */
export function replReplayCommand(seed: number, spec: ReplRunSpec): string {
  return `npm run build && npm run sim:replication -- ${replayArgs(seed, spec, REPL_EVENTS_DEFAULT)} --verbose`;
}

/**
 * One seed on this thread; `verbose` gets every event line. A failure outside the run's events
 * (making or removing its scratch directory, say) is reported as an 'exception' too.
 */
export function runReplSeed(seed: number, spec: ReplRunSpec, verbose?: (line: string) => void): Promise<ReplResult> {
  const run = runReplSimulation({ seed, events: spec.events, bugs: spec.bugs, ...(verbose === undefined ? {} : { verbose }) });
  return run.catch((e: unknown) => failedResult(seed, 'exception', `the run failed outside its events: ${String(e)}`));
}

if (!isMainThread) serveSeeds((seed, spec: ReplRunSpec) => runReplSeed(seed, spec));
