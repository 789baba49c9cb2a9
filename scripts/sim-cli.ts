// The command line shared by the simulators (`npm run sim`, `sim:metadata`, `sim:replication`):
//
//   --seeds N [--from S]     seeds S..S+N-1 on worker threads (--jobs, default: one per core)
//   --seed S [--verbose]     one seed, optionally printing every event
//   --bug NAME ...           plant known bugs; --events N; --timeout SECONDS
//
// Prints failures with their last events and the command that replays them, averages of the
// per-seed stats, and ends with "N passed, M failed".
import os from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { SimRunSpec } from '../test/support/sim-run.js';
import type { ViolationReport } from '../test/support/sim-violation.js';

/** Failures printed with their trace; the rest get one line each, up to FAILURE_LINES_MAX. */
const FAILURES_DETAILED_MAX = 3;
const FAILURE_LINES_MAX = 30;

export interface SeedOutcome<Stats> {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: ViolationReport<string> | undefined;
  readonly lastEvents: readonly string[];
  readonly stats: Stats;
}

export interface SimulatorCli<Bug extends string, Stats extends object, Result extends SeedOutcome<Stats>> {
  readonly name: string;
  readonly bugs: readonly Bug[];
  readonly bugDescription: string;
  readonly eventsDefault: number;
  readonly secondsMax: number;
  /** Runs one seed on this thread; `verbose` receives every event line. */
  readonly runOne: (seed: number, spec: SimRunSpec<Bug>, verbose: ((line: string) => void) | undefined) => Result | Promise<Result>;
  readonly runSeeds: (seeds: readonly number[], spec: SimRunSpec<Bug>, jobs: number, secondsMax: number) => Promise<Result[]>;
  readonly replayCommand: (seed: number, spec: SimRunSpec<Bug>) => string;
  /** The stats averaged over a run of many seeds, in this order. */
  readonly statKeys: readonly (keyof Stats)[];
}

export async function runSimulatorCli<Bug extends string, Stats extends object, Result extends SeedOutcome<Stats>>(cli: SimulatorCli<Bug, Stats, Result>): Promise<void> {
  const args = yargs(hideBin(process.argv))
    .scriptName(cli.name)
    .usage('$0 [--seeds N [--from S] | --seed S [--verbose]] [--bug NAME] [--events N]')
    .option('seeds', { type: 'number', describe: 'run this many seeds, from --from on' })
    .option('from', { type: 'number', default: 1, describe: 'first seed of --seeds' })
    .option('seed', { type: 'number', describe: 'run one seed' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print every event (with --seed)' })
    .option('bug', { type: 'string', array: true, choices: cli.bugs, default: [] as string[], describe: cli.bugDescription })
    .option('events', { type: 'number', default: cli.eventsDefault, describe: 'events in the fault phase of each run' })
    .option('jobs', { type: 'number', default: os.availableParallelism(), describe: 'worker threads for --seeds' })
    .option('timeout', { type: 'number', default: cli.secondsMax, describe: 'seconds a seed may run before it is reported as a hang' })
    .check((a) => {
      if ((a.seeds === undefined) === (a.seed === undefined)) throw new Error('give exactly one of --seeds N or --seed S');
      return true;
    })
    .strict()
    .parseSync();
  const spec: SimRunSpec<Bug> = { events: args.events, bugs: args.bug as Bug[] };
  const started = performance.now();
  let results: Result[];
  if (args.seed !== undefined) {
    const result = await cli.runOne(args.seed, spec, args.verbose ? (line) => console.log(line) : undefined);
    console.log(`seed ${args.seed}: ${JSON.stringify(result.stats)}`);
    results = [result];
  } else {
    const seeds = Array.from({ length: args.seeds ?? 0 }, (_, i) => args.from + i);
    results = await cli.runSeeds(seeds, spec, args.jobs, args.timeout);
  }
  report(cli, results, spec, (performance.now() - started) / 1000);
  process.exitCode = results.some((r) => !r.ok) ? 1 : 0;
}

function report<Bug extends string, Stats extends object, Result extends SeedOutcome<Stats>>(cli: SimulatorCli<Bug, Stats, Result>, results: readonly Result[], spec: SimRunSpec<Bug>, seconds: number): void {
  const failed = results.filter((r) => !r.ok);
  for (const r of failed.slice(0, FAILURES_DETAILED_MAX)) printFailure(r, cli.replayCommand(r.seed, spec));
  for (const r of failed.slice(FAILURES_DETAILED_MAX, FAILURE_LINES_MAX)) console.log(`FAIL seed ${r.seed}: ${r.violation?.invariant}: ${r.violation?.detail}`);
  if (failed.length > FAILURE_LINES_MAX) console.log(`... and ${failed.length - FAILURE_LINES_MAX} more failed seeds`);
  if (results.length > 1) printAverages(results, cli.statKeys);
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

function printFailure(r: SeedOutcome<unknown>, replay: string): void {
  console.log(`\nFAIL seed ${r.seed}: invariant ${r.violation?.invariant} broken`);
  console.log(`  ${r.violation?.detail}`);
  if (r.lastEvents.length > 0) console.log(`  last ${r.lastEvents.length} events:`);
  for (const line of r.lastEvents) console.log(`    ${line}`);
  console.log(`  replay: ${replay}\n`);
}

function printAverages<Stats extends object>(results: readonly SeedOutcome<Stats>[], keys: readonly (keyof Stats)[]): void {
  const value = (r: SeedOutcome<Stats>, k: keyof Stats) => Number(r.stats[k]);
  const mean = (k: keyof Stats) => results.reduce((sum, r) => sum + value(r, k), 0) / results.length;
  const min = (k: keyof Stats) => results.reduce((m, r) => Math.min(m, value(r, k)), Infinity);
  console.log(`per seed, mean (min): ${keys.map((k) => `${String(k)} ${mean(k).toFixed(0)} (${min(k)})`).join(', ')}`);
}
