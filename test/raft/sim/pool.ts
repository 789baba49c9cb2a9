// Runs many seeds of the raft simulation on worker threads (test/support/seed-pool.ts). A seed that
// does not finish in time is an endless loop somewhere (so far, always in the core): a 'hang'.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { isMainThread } from 'node:worker_threads';
import type { PlantedBug } from '../../../src/raft/core/types.js';
import { runSeedsOnWorkers, serveSeeds } from '../../support/seed-pool.js';
import { type SimRunSpec, replayArgs } from '../../support/sim-run.js';
import { EVENTS_DEFAULT, type SimResult, hungResult, runSimulation } from './simulation.js';

/** A seed normally takes a fraction of a second; one that takes this long is stuck. */
export const SEED_SECONDS_MAX = 5;

export type RunSpec = SimRunSpec<PlantedBug>;

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export function runSeeds(seeds: readonly number[], spec: RunSpec, jobs: number, secondsMax = SEED_SECONDS_MAX): Promise<SimResult[]> {
  return runSeedsOnWorkers(seeds, { worker: new URL(import.meta.url), spec, jobs, secondsMax, failed: (seed, why, detail) => failedResult(seed, why, detail, secondsMax) });
}

/** The one command that replays `seed` as it ran under `spec`, printing every event. */
export function replayCommand(seed: number, spec: RunSpec): string {
  return `npm run sim -- ${replayArgs(seed, spec, EVENTS_DEFAULT)} --verbose`;
}

function failedResult(seed: number, why: 'hang' | 'crash', detail: string, secondsMax: number): SimResult {
  const hung = hungResult(seed, secondsMax);
  return why === 'hang' ? hung : { ...hung, violation: { invariant: 'core-exception', detail } };
}

if (!isMainThread) serveSeeds((seed, spec: RunSpec) => runSimulation({ seed, events: spec.events, bugs: spec.bugs }));
