// Runs one replication seed synchronously. seed-pool.ts (serveSeeds) and scripts/sim-cli.ts
// (runOne) take synchronous run functions, which the raft and metadata simulators are; this one
// awaits the replica layer, whose every operation returns a promise. So the seed runs on a helper
// thread while the calling thread blocks in Atomics.wait, then takes the result with
// receiveMessageOnPort. One helper per calling thread, started on first use and reused.
//
// This bridge goes once those two accept a promise from their run functions (a line each).
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ReplPlantedBug } from './params.js';
import { failedResult, runReplSimulation, type ReplResult } from './simulation.js';

export interface ReplRunSpec {
  readonly events: number;
  readonly bugs: readonly ReplPlantedBug[];
}

interface Job {
  readonly seed: number;
  readonly spec: ReplRunSpec;
  readonly verbose: boolean;
}

interface Done {
  readonly result: ReplResult;
  readonly lines: readonly string[];
}

interface HelperData {
  readonly role: 'repl-seed-helper';
  readonly flag: Int32Array;
  readonly port: MessagePort;
}

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
}

const DONE = 1;
let helper: Helper | undefined;

function startHelper(): Helper {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const data: HelperData = { role: 'repl-seed-helper', flag, port: port2 };
  const worker = new Worker(new URL(import.meta.url), { workerData: data, transferList: [port2] });
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag };
}

/**
 * Runs `seed` under `spec` and returns its result; `verbose` gets every event line afterwards.
 * Undefined if the seed did not finish within `secondsMax` (its helper is then replaced).
 */
export function runSeedSync(seed: number, spec: ReplRunSpec, secondsMax: number, verbose?: (line: string) => void): ReplResult | undefined {
  const h = (helper ??= startHelper());
  Atomics.store(h.flag, 0, 0);
  h.port.postMessage({ seed, spec, verbose: verbose !== undefined } satisfies Job);
  const waited = Atomics.wait(h.flag, 0, 0, secondsMax * 1000);
  const done = receiveMessageOnPort(h.port)?.message as Done | undefined;
  if (waited === 'timed-out' || done === undefined) {
    void h.worker.terminate();
    helper = undefined;
    return undefined;
  }
  for (const line of done.lines) verbose?.(line);
  return done.result;
}

/** The helper's side: runs each job it is sent and wakes the waiting thread. */
function serveJobs(data: HelperData): void {
  data.port.on('message', (job: Job) => {
    const lines: string[] = [];
    const verbose = job.verbose ? (line: string) => lines.push(line) : undefined;
    const run = runReplSimulation({ seed: job.seed, events: job.spec.events, bugs: job.spec.bugs, ...(verbose === undefined ? {} : { verbose }) });
    void run
      .catch((e: unknown) => failedResult(job.seed, 'exception', `the run failed outside its events: ${String(e)}`))
      .then((result) => {
        data.port.postMessage({ result, lines } satisfies Done);
        Atomics.store(data.flag, 0, DONE);
        Atomics.notify(data.flag, 0);
      });
  });
}

const isHelperData = (d: unknown): d is HelperData => typeof d === 'object' && d !== null && (d as { role?: unknown }).role === 'repl-seed-helper';

if (!isMainThread && isHelperData(workerData)) serveJobs(workerData);
