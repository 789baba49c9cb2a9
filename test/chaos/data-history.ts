// The history of one data-plane chaos run (STYLE.md point 15): every event the producer agent
// printed (data-producer-agent.ts: invoke, ok, retry, fail, info, ...) and every fault the test
// injected, with times, and the check of the whole history against the partition as read back up to
// its high-water mark (data-read-agent.ts). One producer, sends in order, value = send order:
//   - no phantom: every value in the log was invoked, and is a value at all;
//   - no duplicate: no value is in the log twice;
//   - no lost write: every acknowledged value is in the log, at the offset it was acknowledged
//     with (and every attempt acknowledged it with that one offset);
//   - no failed write present: a value given up as surely not written is not in the log;
//   - order: the log holds values in send order (so acknowledged values in acknowledgement order);
//   - offsets: strictly increasing in the log, so no offset holds two values;
//   - every operation invoked was completed (ok, fail or info) once the producer was done.

export type ProducerEvent =
  | { readonly type: 'invoke'; readonly value: number; readonly time: number }
  | { readonly type: 'ok'; readonly value: number; readonly offset: number; readonly node: number; readonly epoch: number; readonly attempts: number; readonly offsets: readonly number[]; readonly time: number }
  | { readonly type: 'fail' | 'info'; readonly value: number; readonly error: string; readonly attempts: number; readonly offsets: readonly number[]; readonly time: number }
  | { readonly type: 'retry'; readonly value: number; readonly node: number; readonly error: string; readonly time: number }
  | { readonly type: 'producer'; readonly producerId: number; readonly producerEpoch: number; readonly from: string; readonly time: number }
  | { readonly type: 'leader'; readonly node: number; readonly epoch: number; readonly from: string; readonly time: number }
  | { readonly type: 'done'; readonly time: number }
  | { readonly type: 'crash'; readonly error: string; readonly time: number };

/** What the test itself did or saw: faults, heals, metadata it waited for. */
export interface TestEvent {
  readonly type: 'fault' | 'check';
  readonly op: string;
  readonly value: string;
  readonly time: number;
}

export type HistoryEvent = ProducerEvent | TestEvent;

/** One record as read back from the partition. */
export interface LogRecord {
  readonly offset: number;
  readonly value: string | null;
  readonly leaderEpoch: number;
  readonly producerId: number;
  readonly sequence: number;
}

export interface DataCheck {
  readonly violations: readonly string[];
  readonly invoked: number;
  readonly ok: number;
  readonly failed: number;
  /** Indeterminate: given up, but some attempt may have appended it. */
  readonly info: number;
  /** Info operations whose value is in the log after all. */
  readonly infoPresent: number;
  readonly logRecords: number;
  /** Failed attempts of the oldest outstanding operation, by error (first word). */
  readonly retries: ReadonlyMap<string, number>;
  /** Operations acknowledged after more than one attempt (retries the broker deduplicated or appended). */
  readonly okAfterRetry: number;
  /**
   * Retried operations acknowledged by a leader whose epoch is newer than the batch's in the log:
   * an earlier leader had appended them, and the new one answered the retry as a duplicate.
   */
  readonly okAsDuplicate: number;
}

const VIOLATIONS_SHOWN_MAX = 20;

export class DataHistory {
  readonly events: HistoryEvent[] = [];
  private readonly acks: Array<{ readonly time: number; readonly node: number }> = [];
  readonly startedAt = Date.now();
  private okCount = 0;
  private doneSeen = false;
  private crashSeen: string | undefined;

  /** Takes one line the producer agent printed; lines that are not JSON events are kept as checks. */
  add(line: string): void {
    let event: ProducerEvent;
    try {
      event = JSON.parse(line) as ProducerEvent;
    } catch {
      this.record('check', 'producer said', line);
      return;
    }
    this.events.push(event);
    if (event.type === 'ok') {
      this.okCount++;
      this.acks.push({ time: event.time, node: event.node });
    } else if (event.type === 'done') {
      this.doneSeen = true;
    } else if (event.type === 'crash') {
      this.crashSeen = event.error;
    }
  }

  record(type: TestEvent['type'], op: string, value: string): number {
    const time = Date.now();
    this.events.push({ type, op, value, time });
    return time;
  }

  get oks(): number {
    return this.okCount;
  }

  get done(): boolean {
    return this.doneSeen;
  }

  get crash(): string | undefined {
    return this.crashSeen;
  }

  /** Acknowledgements at or after `time`. */
  oksSince(time: number): number {
    let n = 0;
    for (let i = this.acks.length - 1; i >= 0 && this.acks[i]!.time >= time; i--) n++;
    return n;
  }

  /** ms from `time` to the first acknowledgement after it (by a node other than `notBy`), or undefined if none. */
  gapAfter(time: number, notBy?: number): number | undefined {
    const next = this.acks.find((a) => a.time >= time && a.node !== notBy);
    return next === undefined ? undefined : next.time - time;
  }

  /** The longest stretch between consecutive acknowledgements, and when it began. */
  longestAckGap(): { readonly ms: number; readonly from: number } {
    let best = { ms: 0, from: this.startedAt };
    for (let i = 1; i < this.acks.length; i++) {
      const ms = this.acks[i]!.time - this.acks[i - 1]!.time;
      if (ms > best.ms) best = { ms, from: this.acks[i - 1]!.time };
    }
    return best;
  }

  check(log: readonly LogRecord[]): DataCheck {
    return checkHistory(this.events, log);
  }

  /**
   * The history for a failure message: runs of invokes and acknowledgements folded into one line
   * each, everything else (faults, retries, leaders, give-ups) as it happened; the last `count` lines.
   */
  render(count = 120): string {
    const lines: string[] = [];
    let run: { first: number; last: number; oks: number; invokes: number; from: number; to: number } | undefined;
    const at = (time: number) => `${((time - this.startedAt) / 1000).toFixed(3).padStart(8)}s`;
    const flush = () => {
      if (run) lines.push(`${at(run.from)} ${'ops'.padEnd(8)} values ${run.first}..${run.last}: ${run.invokes} invoked, ${run.oks} ok (until ${at(run.to).trim()})`);
      run = undefined;
    };
    for (const e of this.events) {
      if (e.type === 'invoke' || e.type === 'ok') {
        run ??= { first: e.value, last: e.value, oks: 0, invokes: 0, from: e.time, to: e.time };
        run.first = Math.min(run.first, e.value);
        run.last = Math.max(run.last, e.value);
        run.to = e.time;
        if (e.type === 'ok') run.oks++;
        else run.invokes++;
        continue;
      }
      flush();
      const { type, time, ...rest } = e;
      lines.push(`${at(time)} ${type.padEnd(8)} ${JSON.stringify(rest)}`);
    }
    flush();
    return lines.slice(-count).join('\n');
  }
}

/** Checks a whole history against the log read back; see the file header for the rules. */
export function checkHistory(events: readonly HistoryEvent[], log: readonly LogRecord[]): DataCheck {
  const violations: string[] = [];
  const invoked = new Set<number>();
  const outcome = new Map<number, Extract<ProducerEvent, { type: 'ok' | 'fail' | 'info' }>>();
  const retries = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'invoke') invoked.add(e.value);
    else if (e.type === 'ok' || e.type === 'fail' || e.type === 'info') {
      if (outcome.has(e.value)) violations.push(`value ${e.value} completed twice (${outcome.get(e.value)!.type}, then ${e.type})`);
      outcome.set(e.value, e);
    } else if (e.type === 'retry') {
      const kind = e.error.split(/[:\s]/)[0] ?? e.error;
      retries.set(kind, (retries.get(kind) ?? 0) + 1);
    } else if (e.type === 'crash') violations.push(`the producer crashed: ${e.error}`);
  }
  const open = [...invoked].filter((v) => !outcome.has(v));
  if (open.length > 0) violations.push(`${open.length} operations never completed (the producer's fault, not the broker's): ${open.slice(0, 10).join(', ')}`);

  const offsetOf = new Map<number, number>();
  const epochOf = new Map<number, number>();
  let previous: LogRecord | undefined;
  let previousValue = -1;
  for (const r of log) {
    if (previous !== undefined && r.offset <= previous.offset) violations.push(`offset ${r.offset} follows offset ${previous.offset} in the log: two values at one offset, or out of order`);
    previous = r;
    const value = r.value !== null && /^\d+$/.test(r.value) ? Number(r.value) : undefined;
    if (value === undefined) {
      violations.push(`offset ${r.offset} holds ${JSON.stringify(r.value)}, which no one wrote`);
      continue;
    }
    if (!invoked.has(value)) violations.push(`phantom: value ${value} at offset ${r.offset} was never invoked`);
    const seen = offsetOf.get(value);
    if (seen !== undefined) violations.push(`duplicate: value ${value} at offsets ${seen} and ${r.offset}`);
    else {
      offsetOf.set(value, r.offset);
      epochOf.set(value, r.leaderEpoch);
    }
    if (value <= previousValue) violations.push(`order: value ${value} at offset ${r.offset} after value ${previousValue}; sends were in value order`);
    previousValue = Math.max(previousValue, value);
    if (outcome.get(value)?.type === 'fail') violations.push(`value ${value} was given up as never written, yet it is at offset ${r.offset}`);
  }

  let ok = 0;
  let failed = 0;
  let info = 0;
  let infoPresent = 0;
  let okAfterRetry = 0;
  let okAsDuplicate = 0;
  for (const [value, e] of outcome) {
    if (e.type === 'fail') failed++;
    if (e.type === 'info') {
      info++;
      if (offsetOf.has(value)) infoPresent++;
    }
    if (e.type !== 'ok') continue;
    ok++;
    if (e.attempts > 1) okAfterRetry++;
    if (e.attempts > 1 && (epochOf.get(value) ?? e.epoch) < e.epoch) okAsDuplicate++;
    const at = offsetOf.get(value);
    if (at === undefined) violations.push(`lost: value ${value}, acknowledged at offset ${e.offset} by node ${e.node}, is not in the log`);
    else if (at !== e.offset) violations.push(`value ${value} was acknowledged at offset ${e.offset} but is at offset ${at}`);
    if (new Set(e.offsets).size > 1) violations.push(`value ${value} was acknowledged at different offsets by different attempts: ${e.offsets.join(', ')}`);
  }
  const shown = violations.length > VIOLATIONS_SHOWN_MAX ? [...violations.slice(0, VIOLATIONS_SHOWN_MAX), `... and ${violations.length - VIOLATIONS_SHOWN_MAX} more`] : violations;
  return { violations: shown, invoked: invoked.size, ok, failed, info, infoPresent, logRecords: log.length, retries, okAfterRetry, okAsDuplicate };
}

/** One line of counts for the test's report. */
export function summarizeCheck(c: DataCheck): string {
  const retries = [...c.retries].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return `${c.invoked} invoked: ${c.ok} ok (${c.okAfterRetry} after a retry, ${c.okAsDuplicate} of them answered as duplicates of an earlier leader's append), ${c.failed} failed, ${c.info} indeterminate (${c.infoPresent} of them in the log); ${c.logRecords} records in the log; failed attempts of the oldest op: ${retries}`;
}
