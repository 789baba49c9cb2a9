// The Raft simulator's command line.
//
//   npm run sim -- --seeds 10000               seeds 1..10000 (--from S to start elsewhere)
//   npm run sim -- --seed 1234 --verbose       one seed, printing every event
//   npm run sim -- --seeds 500 --bug stale-read
//
// Seeds are spread over worker threads (--jobs, default: one per core; see pool.ts). Prints failures
// with their last events and the command that replays them, and ends with "N passed, M failed".
import os from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { PlantedBug } from '../src/raft/core/types.js';
import { type RunSpec, SEED_SECONDS_MAX, replayCommand, runSeeds } from '../test/raft/sim/pool.js';
import { EVENTS_DEFAULT, type SimResult, type SimStats, runSimulation } from '../test/raft/sim/simulation.js';

const BUGS: readonly PlantedBug[] = ['no-vote-persist', 'commit-old-term', 'no-log-check', 'stale-read'];
/** Failures printed with their trace; the rest get one line each, up to FAILURE_LINES_MAX. */
const FAILURES_DETAILED_MAX = 3;
const FAILURE_LINES_MAX = 30;

function parseArgs() {
  return yargs(hideBin(process.argv))
    .scriptName('sim')
    .usage('$0 [--seeds N [--from S] | --seed S [--verbose]] [--bug NAME] [--events N]')
    .option('seeds', { type: 'number', describe: 'run this many seeds, from --from on' })
    .option('from', { type: 'number', default: 1, describe: 'first seed of --seeds' })
    .option('seed', { type: 'number', describe: 'run one seed' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print every event (with --seed)' })
    .option('bug', { type: 'string', array: true, choices: BUGS, default: [] as string[], describe: 'plant a known bug in the core' })
    .option('events', { type: 'number', default: EVENTS_DEFAULT, describe: 'events in the fault phase of each run' })
    .option('jobs', { type: 'number', default: os.availableParallelism(), describe: 'worker threads for --seeds' })
    .option('timeout', { type: 'number', default: SEED_SECONDS_MAX, describe: 'seconds a seed may run before it is reported as a hang' })
    .check((a) => {
      if ((a.seeds === undefined) === (a.seed === undefined)) throw new Error('give exactly one of --seeds N or --seed S');
      return true;
    })
    .strict()
    .parseSync();
}

async function main(): Promise<void> {
  const args = parseArgs();
  const spec: RunSpec = { events: args.events, bugs: args.bug as PlantedBug[] };
  const started = performance.now();
  const results =
    args.seed !== undefined
      ? [runOne(args.seed, spec, args.verbose)]
      : await runSeeds(range(args.from, args.seeds ?? 0), spec, args.jobs, args.timeout);
  report(results, spec, (performance.now() - started) / 1000);
  process.exitCode = results.some((r) => !r.ok) ? 1 : 0;
}

function runOne(seed: number, spec: RunSpec, verbose: boolean): SimResult {
  const result = runSimulation({ seed, events: spec.events, bugs: spec.bugs, ...(verbose ? { verbose: (line: string) => console.log(line) } : {}) });
  console.log(`seed ${seed}: ${JSON.stringify(result.params)}`);
  console.log(`seed ${seed}: ${JSON.stringify(result.stats)} trace hash ${result.traceHash.toString(16)}`);
  return result;
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

function report(results: readonly SimResult[], spec: RunSpec, seconds: number): void {
  const failed = results.filter((r) => !r.ok);
  failed.slice(0, FAILURES_DETAILED_MAX).forEach((r) => printFailure(r, spec));
  for (const r of failed.slice(FAILURES_DETAILED_MAX, FAILURE_LINES_MAX)) console.log(`FAIL seed ${r.seed}: ${r.violation?.invariant}: ${r.violation?.detail}`);
  if (failed.length > FAILURE_LINES_MAX) console.log(`... and ${failed.length - FAILURE_LINES_MAX} more failed seeds`);
  if (results.length > 1) printAverages(results);
  console.log(`${results.length} seeds in ${seconds.toFixed(1)}s (${(results.length / seconds).toFixed(1)} seeds/s)${spec.bugs.length > 0 ? `, planted: ${spec.bugs.join(', ')}` : ''}`);
  if (failed.length > 0) console.log(`failed seeds: ${failed.map((r) => r.seed).slice(0, 50).join(' ')}${failed.length > 50 ? ' ...' : ''}`);
  if (failed.length > 0) console.log(`failures by invariant: ${tally(failed.map((r) => r.violation?.invariant ?? '?'))}`);
  console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
}

function tally(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => `${n} ${c}`).join(', ');
}

function printFailure(r: SimResult, spec: RunSpec): void {
  console.log(`\nFAIL seed ${r.seed}: invariant ${r.violation?.invariant} broken`);
  console.log(`  ${r.violation?.detail}`);
  if (r.lastEvents.length > 0) console.log(`  last ${r.lastEvents.length} events:`);
  for (const line of r.lastEvents) console.log(`    ${line}`);
  console.log(`  replay: ${replayCommand(r.seed, spec)}\n`);
}

function printAverages(results: readonly SimResult[]): void {
  const keys: (keyof SimStats)[] = ['events', 'simMs', 'leaders', 'committed', 'writesAcked', 'readsOk', 'crashes', 'partitions', 'confChanges', 'livenessMs'];
  const mean = (k: keyof SimStats) => results.reduce((sum, r) => sum + r.stats[k], 0) / results.length;
  const min = (k: keyof SimStats) => results.reduce((m, r) => Math.min(m, r.stats[k]), Infinity);
  console.log(`per seed, mean (min): ${keys.map((k) => `${k} ${mean(k).toFixed(0)} (${min(k)})`).join(', ')}`);
}

await main();
