// The metadata simulator's command line (test/metadata/sim): controller raft cores, the active
// controller's commands, brokers and a client under seeded faults.
//
//   npm run sim:metadata -- --seeds 1000                  seeds 1..1000 (--from S to start elsewhere)
//   npm run sim:metadata -- --seed 1234 --verbose         one seed, printing every event
//   npm run sim:metadata -- --seeds 200 --bug fence-keeps-leader
//
// Prints failures with their last events and the command that replays them, then
// "N passed, M failed" and the timing.
import os from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { META_PLANTED_BUGS, type MetaPlantedBug } from '../test/metadata/sim/params.js';
import { META_SEED_SECONDS_MAX, type MetaRunSpec, metaReplayCommand, runMetaSeeds } from '../test/metadata/sim/pool.js';
import { META_EVENTS_DEFAULT, type MetaResult, type MetaStats, runMetaSimulation } from '../test/metadata/sim/simulation.js';

const FAILURES_DETAILED_MAX = 3;
const FAILURE_LINES_MAX = 30;

function parseArgs() {
  return yargs(hideBin(process.argv))
    .scriptName('sim:metadata')
    .usage('$0 [--seeds N [--from S] | --seed S [--verbose]] [--bug NAME] [--events N]')
    .option('seeds', { type: 'number', describe: 'run this many seeds, from --from on' })
    .option('from', { type: 'number', default: 1, describe: 'first seed of --seeds' })
    .option('seed', { type: 'number', describe: 'run one seed' })
    .option('verbose', { type: 'boolean', default: false, describe: 'print every event (with --seed)' })
    .option('bug', { type: 'string', array: true, choices: META_PLANTED_BUGS, default: [] as string[], describe: 'plant a known bug in the harness driver' })
    .option('events', { type: 'number', default: META_EVENTS_DEFAULT, describe: 'events in the fault phase of each run' })
    .option('jobs', { type: 'number', default: os.availableParallelism(), describe: 'worker threads for --seeds' })
    .option('timeout', { type: 'number', default: META_SEED_SECONDS_MAX, describe: 'seconds a seed may run before it is reported as a hang' })
    .check((a) => {
      if ((a.seeds === undefined) === (a.seed === undefined)) throw new Error('give exactly one of --seeds N or --seed S');
      return true;
    })
    .strict()
    .parseSync();
}

async function main(): Promise<void> {
  const args = parseArgs();
  const spec: MetaRunSpec = { events: args.events, bugs: args.bug as MetaPlantedBug[] };
  const started = performance.now();
  const results = args.seed !== undefined ? [runOne(args.seed, spec, args.verbose)] : await runMetaSeeds(range(args.from, args.seeds ?? 0), spec, args.jobs, args.timeout);
  report(results, spec, (performance.now() - started) / 1000);
  process.exitCode = results.some((r) => !r.ok) ? 1 : 0;
}

function runOne(seed: number, spec: MetaRunSpec, verbose: boolean): MetaResult {
  const result = runMetaSimulation({ seed, events: spec.events, bugs: spec.bugs, ...(verbose ? { verbose: (line: string) => console.log(line) } : {}) });
  console.log(`seed ${seed}: ${JSON.stringify(result.stats)} trace hash ${result.traceHash.toString(16)}`);
  return result;
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

function report(results: readonly MetaResult[], spec: MetaRunSpec, seconds: number): void {
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

function printFailure(r: MetaResult, spec: MetaRunSpec): void {
  console.log(`\nFAIL seed ${r.seed}: invariant ${r.violation?.invariant} broken`);
  console.log(`  ${r.violation?.detail}`);
  if (r.lastEvents.length > 0) console.log(`  last ${r.lastEvents.length} events:`);
  for (const line of r.lastEvents) console.log(`    ${line}`);
  console.log(`  replay: ${metaReplayCommand(r.seed, spec)}   (add --verbose to print every event)\n`);
}

function printAverages(results: readonly MetaResult[]): void {
  const keys = Object.keys(results[0]?.stats ?? {}) as (keyof MetaStats)[];
  const mean = (k: keyof MetaStats) => results.reduce((sum, r) => sum + r.stats[k], 0) / results.length;
  const min = (k: keyof MetaStats) => results.reduce((m, r) => Math.min(m, r.stats[k]), Infinity);
  console.log(`per seed, mean (min): ${keys.map((k) => `${k} ${mean(k).toFixed(0)} (${min(k)})`).join(', ')}`);
}

await main();
