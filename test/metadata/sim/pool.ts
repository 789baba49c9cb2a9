// Runs many seeds of the metadata simulation on worker threads (test/support/seed-pool.ts). A seed
// that does not finish within the time limit, or whose worker dies, is reported as an exception.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { isMainThread } from 'node:worker_threads';
import { runSeedsOnWorkers, serveSeeds } from '../../support/seed-pool.js';
import { type SimRunSpec, replayArgs } from '../../support/sim-run.js';
import type { MetaPlantedBug } from './params.js';
import { META_EVENTS_DEFAULT, type MetaResult, type MetaStats, runMetaSimulation } from './simulation.js';

/** A seed normally takes well under a second; one that takes this long is stuck. */
export const META_SEED_SECONDS_MAX = 10;

export type MetaRunSpec = SimRunSpec<MetaPlantedBug>;

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export function runMetaSeeds(seeds: readonly number[], spec: MetaRunSpec, jobs: number, secondsMax = META_SEED_SECONDS_MAX): Promise<MetaResult[]> {
  return runSeedsOnWorkers(seeds, { worker: new URL(import.meta.url), spec, jobs, secondsMax, failed: (seed, _why, detail) => failedResult(seed, detail) });
}

/** The one command that replays `seed` as it ran under `spec`. */
export function metaReplayCommand(seed: number, spec: MetaRunSpec): string {
  return `npm run sim:metadata -- ${replayArgs(seed, spec, META_EVENTS_DEFAULT)}`;
}

function failedResult(seed: number, detail: string): MetaResult {
  const stats: MetaStats = { events: 0, simMs: 0, activations: 0, commands: 0, leaderEpochs: 0, images: 0, snapshotsRestored: 0, topics: 0, fencedAtEnd: 0, controllerCrashes: 0, brokerCrashes: 0, shutdowns: 0, partitions: 0, livenessMs: 0 };
  return { seed, ok: false, violation: { invariant: 'exception', detail }, lastEvents: [], stats, traceHash: 0 };
}

if (!isMainThread) serveSeeds((seed, spec: MetaRunSpec) => runMetaSimulation({ seed, events: spec.events, bugs: spec.bugs }));
