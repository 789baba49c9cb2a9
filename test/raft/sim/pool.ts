// Runs many seeds on worker threads, one seed at a time per worker. Each seed runs alone and
// deterministically, so results do not depend on the split. A seed that does not finish within the
// time limit is an endless loop somewhere (so far, always in the core): it is reported as a 'hang'
// and its worker replaced, so one such seed cannot stall the whole run or a test.
//
// This module is also the workers' entry point: loaded off the main thread, it serves seeds.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { PlantedBug } from '../../../src/raft/core/types.js';
import { EVENTS_DEFAULT, type SimResult, hungResult, runSimulation } from './simulation.js';

/** A seed normally takes a fraction of a second; one that takes this long is stuck. */
export const SEED_SECONDS_MAX = 5;

export interface RunSpec {
  readonly events: number;
  readonly bugs: readonly PlantedBug[];
}

type ToWorker = { readonly seed: number };
type FromWorker = { readonly result: SimResult };

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export async function runSeeds(seeds: readonly number[], spec: RunSpec, jobs: number, secondsMax = SEED_SECONDS_MAX): Promise<SimResult[]> {
  const results: SimResult[] = [];
  let next = 0;
  const take = (): number | undefined => (next < seeds.length ? seeds[next++] : undefined);
  const lanes = Array.from({ length: Math.max(1, Math.min(jobs, seeds.length)) }, () => runLane(spec, secondsMax, take, (r) => results.push(r)));
  await Promise.all(lanes);
  return results.sort((a, b) => a.seed - b.seed);
}

/** One worker taking seeds until there are none left, replaced whenever a seed hangs or kills it. */
function runLane(spec: RunSpec, secondsMax: number, take: () => number | undefined, done: (r: SimResult) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let current = 0;
    let timer: NodeJS.Timeout | undefined;
    const spawn = (): Worker => {
      const w = new Worker(new URL(import.meta.url), { workerData: spec });
      w.on('message', (m: FromWorker) => finished(m.result));
      w.on('error', (e) => replace(crashedResult(current, e)));
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
      timer = setTimeout(() => replace(hungResult(seed, secondsMax)), secondsMax * 1000);
      worker.postMessage({ seed } satisfies ToWorker);
    };
    const finished = (result: SimResult): void => {
      clearTimeout(timer);
      done(result);
      feed();
    };
    const replace = (result: SimResult): void => {
      void worker.terminate();
      worker = spawn();
      finished(result);
    };
    feed();
  });
}

/** The one command that replays `seed` as it ran under `spec`, printing every event. */
export function replayCommand(seed: number, spec: RunSpec): string {
  const bugs = spec.bugs.map((b) => ` --bug ${b}`).join('');
  const events = spec.events === EVENTS_DEFAULT ? '' : ` --events ${spec.events}`;
  return `npm run sim -- --seed ${seed}${bugs}${events} --verbose`;
}

/** A worker that died (out of memory, say) while running `seed`. */
function crashedResult(seed: number, e: Error): SimResult {
  const base = hungResult(seed, 0);
  return { ...base, violation: { invariant: 'core-exception', detail: `the worker running the seed died: ${e.message}` } };
}

function serve(): void {
  const spec = workerData as RunSpec;
  parentPort?.on('message', (m: ToWorker) => {
    const result = runSimulation({ seed: m.seed, events: spec.events, bugs: spec.bugs });
    parentPort?.postMessage({ result } satisfies FromWorker);
  });
}

if (!isMainThread && parentPort !== null) serve();
