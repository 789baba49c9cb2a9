// What one run of a simulator takes and what it reports, the same for the raft, metadata and
// replication simulators (each adds its own stats, and the raft one its drawn parameters).
import type { ViolationReport } from './sim-violation.js';

export interface SimRunOptions<Bug extends string> {
  readonly seed: number;
  /** Events in the fault phase. */
  readonly events?: number;
  readonly bugs?: readonly Bug[];
  /** Receives every event as a line (--verbose). */
  readonly verbose?: (line: string) => void;
  /** Events kept for the report of a failed run. */
  readonly traceLines?: number;
}

/** How a batch of seeds runs (each seed fills in the rest of its SimRunOptions). */
export interface SimRunSpec<Bug extends string> {
  readonly events: number;
  readonly bugs: readonly Bug[];
}

export interface SimRunResult<Name extends string, Stats> {
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: ViolationReport<Name> | undefined;
  /** The trace's last events, when the run failed. */
  readonly lastEvents: readonly string[];
  readonly stats: Stats;
  readonly traceHash: number;
}

/** The command-line arguments that replay `seed` as it ran under `spec`: --seed, then any --bug and --events. */
export function replayArgs<Bug extends string>(seed: number, spec: SimRunSpec<Bug>, eventsDefault: number): string {
  const bugs = spec.bugs.map((b) => ` --bug ${b}`).join('');
  const events = spec.events === eventsDefault ? '' : ` --events ${spec.events}`;
  return `--seed ${seed}${bugs}${events}`;
}
