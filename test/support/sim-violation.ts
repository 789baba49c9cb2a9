// A broken invariant of a simulation, the base of each simulator's own (SimViolation,
// MetaViolation, ReplViolation, kept apart so one simulator can tell another's from its own).
// `invariant` is a stable name (tests match on it); `detail` says exactly which nodes, offsets,
// terms or epochs disagree.

/** What a run reports of the violation that ended it. */
export interface ViolationReport<Name extends string> {
  readonly invariant: Name;
  readonly detail: string;
}

export abstract class Violation<Name extends string> extends Error {
  constructor(readonly invariant: Name, readonly detail: string) {
    super(`${invariant}: ${detail}`);
  }

  get report(): ViolationReport<Name> {
    return { invariant: this.invariant, detail: this.detail };
  }
}

/** Something thrown that is not an invariant check, in one line: its name, message and first frames. */
export function describeThrown(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const frames = (e.stack ?? '').split('\n').slice(1, 5).map((l) => l.trim()).join(' < ');
  return `${e.name}: ${e.message} at ${frames}`;
}
