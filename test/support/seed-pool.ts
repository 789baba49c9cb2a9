// Runs simulation seeds on worker threads, one seed at a time per worker; shared by the raft,
// metadata and replication simulators. Each seed runs alone and deterministically, so results do not depend on
// the split. A seed that does not finish within the time limit is an endless loop somewhere: it is
// reported through `failed(seed, 'hang')` and its worker replaced, so one such seed cannot stall a
// whole run or a test; a worker that dies (out of memory, say) is reported as 'crash' and replaced.
//
// The worker module is the simulator's own pool file: loaded off the main thread, it calls
// `serveSeeds` with its run function.
import { Worker, parentPort, workerData } from 'node:worker_threads';

export interface SeedPoolOptions<Spec, Result> {
  /** The module the workers load; it must call `serveSeeds` when not on the main thread. */
  readonly worker: URL;
  readonly spec: Spec;
  readonly jobs: number;
  readonly secondsMax: number;
  /** The result of a seed whose run never came back. */
  readonly failed: (seed: number, why: 'hang' | 'crash', detail: string) => Result;
}

type ToWorker = { readonly seed: number };
type FromWorker<Result> = { readonly result: Result };

/** Runs `seeds` on `jobs` workers; results come back sorted by seed. */
export async function runSeedsOnWorkers<Spec, Result extends { readonly seed: number }>(seeds: readonly number[], options: SeedPoolOptions<Spec, Result>): Promise<Result[]> {
  const results: Result[] = [];
  let next = 0;
  const take = (): number | undefined => (next < seeds.length ? seeds[next++] : undefined);
  const lanes = Array.from({ length: Math.max(1, Math.min(options.jobs, seeds.length)) }, () => runLane(options, take, (r) => results.push(r)));
  await Promise.all(lanes);
  return results.sort((a, b) => a.seed - b.seed);
}

/** One worker taking seeds until there are none left, replaced whenever a seed hangs or kills it. */
function runLane<Spec, Result>(options: SeedPoolOptions<Spec, Result>, take: () => number | undefined, done: (r: Result) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let current = 0;
    let timer: NodeJS.Timeout | undefined;
    const spawn = (): Worker => {
      const w = new Worker(options.worker, { workerData: options.spec });
      w.on('message', (m: FromWorker<Result>) => finished(m.result));
      w.on('error', (e) => replace(options.failed(current, 'crash', `the worker running the seed died: ${e.message}`)));
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
      const detail = `the run did not finish within ${options.secondsMax}s (an endless loop?); the replay hangs the same way`;
      timer = setTimeout(() => replace(options.failed(seed, 'hang', detail)), options.secondsMax * 1000);
      worker.postMessage({ seed } satisfies ToWorker);
    };
    const finished = (result: Result): void => {
      clearTimeout(timer);
      done(result);
      feed();
    };
    const replace = (result: Result): void => {
      void worker.terminate();
      worker = spawn();
      finished(result);
    };
    feed();
  });
}

/**
 * The worker side: runs each seed it is sent under the pool's spec and posts the result back. A
 * run may be async (the replication simulator's is); the pool sends the next seed only after the
 * result, so runs never overlap. A run that throws or rejects kills the worker: a 'crash'.
 */
export function serveSeeds<Spec, Result>(run: (seed: number, spec: Spec) => Result | Promise<Result>): void {
  const spec = workerData as Spec;
  parentPort?.on('message', (m: ToWorker) => {
    void Promise.resolve(run(m.seed, spec)).then((result) => parentPort?.postMessage({ result } satisfies FromWorker<Result>));
  });
}
