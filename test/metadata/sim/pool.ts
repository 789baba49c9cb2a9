// Runs many seeds of the metadata simulation on worker threads, one seed at a time per worker, as
// the raft simulator's pool.ts does (which is bound to its own runSimulation). A seed that does not
// finish within the time limit is reported as a hang and its worker replaced.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { MetaPlantedBug } from './params.js';
import { META_EVENTS_DEFAULT, type MetaResult, type MetaStats, runMetaSimulation } from './simulation.js';

/** A seed normally takes well under a second; one that takes this long is stuck. */
export const META_SEED_SECONDS_MAX = 10;

export interface MetaRunSpec {
  readonly events: number;
  readonly bugs: readonly MetaPlantedBug[];
}

type ToWorker = { readonly seed: number };
type FromWorker = { readonly result: MetaResult };

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export async function runMetaSeeds(seeds: readonly number[], spec: MetaRunSpec, jobs: number, secondsMax = META_SEED_SECONDS_MAX): Promise<MetaResult[]> {
  const results: MetaResult[] = [];
  let next = 0;
  const take = (): number | undefined => (next < seeds.length ? seeds[next++] : undefined);
  const lanes = Array.from({ length: Math.max(1, Math.min(jobs, seeds.length)) }, () => runLane(spec, secondsMax, take, (r) => results.push(r)));
  await Promise.all(lanes);
  return results.sort((a, b) => a.seed - b.seed);
}

function runLane(spec: MetaRunSpec, secondsMax: number, take: () => number | undefined, done: (r: MetaResult) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let current = 0;
    let timer: NodeJS.Timeout | undefined;
    const spawn = (): Worker => {
      const w = new Worker(new URL(import.meta.url), { workerData: spec });
      w.on('message', (m: FromWorker) => finished(m.result));
      w.on('error', (e) => replace(failedResult(current, `the worker running the seed died: ${e.message}`)));
      return w;
    };
    let worker = spawn();
    const feed = (): void => {
      const seed = take();
      if (seed === undefined) {
        void worker.terminate();
        return resolve();
      }
      current = seed;
      timer = setTimeout(() => replace(failedResult(seed, `the run did not finish within ${secondsMax}s (an endless loop?)`)), secondsMax * 1000);
      worker.postMessage({ seed } satisfies ToWorker);
    };
    const finished = (result: MetaResult): void => {
      clearTimeout(timer);
      done(result);
      feed();
    };
    const replace = (result: MetaResult): void => {
      void worker.terminate();
      worker = spawn();
      finished(result);
    };
    feed();
  });
}

/** The one command that replays `seed` as it ran under `spec`. */
export function metaReplayCommand(seed: number, spec: MetaRunSpec): string {
  const bugs = spec.bugs.map((b) => ` --bug ${b}`).join('');
  const events = spec.events === META_EVENTS_DEFAULT ? '' : ` --events ${spec.events}`;
  return `npm run sim:metadata -- --seed ${seed}${bugs}${events}`;
}

function failedResult(seed: number, detail: string): MetaResult {
  const stats: MetaStats = { events: 0, simMs: 0, activations: 0, commands: 0, leaderEpochs: 0, images: 0, snapshotsRestored: 0, topics: 0, fencedAtEnd: 0, controllerCrashes: 0, brokerCrashes: 0, shutdowns: 0, partitions: 0, livenessMs: 0 };
  return { seed, ok: false, violation: { invariant: 'exception', detail }, lastEvents: [], stats, traceHash: 0 };
}

function serve(): void {
  const spec = workerData as MetaRunSpec;
  parentPort?.on('message', (m: ToWorker) => {
    const result = runMetaSimulation({ seed: m.seed, events: spec.events, bugs: spec.bugs });
    parentPort?.postMessage({ result } satisfies FromWorker);
  });
}

if (!isMainThread && parentPort !== null) serve();
