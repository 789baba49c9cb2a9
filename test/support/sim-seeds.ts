// What the simulator tests share: ranges of seeds, a failed seed described with its replay command,
// and the hunt for a planted bug (seeds run in batches until one breaks an invariant the bug should).
import assert from 'node:assert/strict';
import type { SimRunResult } from './sim-run.js';

type SeedRun<Name extends string> = SimRunResult<Name, unknown>;

export interface BugHunt<Bug extends string, Name extends string> {
  readonly bug: Bug;
  readonly withinSeeds: number;
  /** What the bug breaks first: any one of these is a catch. */
  readonly invariants: readonly Name[];
}

export const seedRange = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** The violation, how to replay the seed, and its last 15 events. */
export function describeFailure(r: SeedRun<string>, replay: string): string {
  return `seed ${r.seed}: ${r.violation?.invariant}: ${r.violation?.detail}\n  replay: ${replay}\n  ${r.lastEvents.slice(-15).join('\n  ')}`;
}

/**
 * Runs seeds 1..withinSeeds, `batch` at a time, and returns at the first batch in which a seed
 * breaks one of the hunt's invariants; fails, naming the other failures seen, if none does.
 */
export async function huntBug<Bug extends string, Name extends string>(hunt: BugHunt<Bug, Name>, batch: number, run: (seeds: number[]) => Promise<readonly SeedRun<Name>[]>): Promise<void> {
  const other: SeedRun<Name>[] = [];
  for (let from = 1; from <= hunt.withinSeeds; from += batch) {
    const results = await run(seedRange(from, Math.min(batch, hunt.withinSeeds - from + 1)));
    if (results.some((r) => r.violation !== undefined && hunt.invariants.includes(r.violation.invariant))) return;
    other.push(...results.filter((r) => !r.ok));
  }
  assert.fail(`${hunt.bug} not caught in seeds 1..${hunt.withinSeeds}; other failures: ${other.map((r) => `${r.seed}:${r.violation?.invariant}`).join(' ') || 'none'}`);
}
