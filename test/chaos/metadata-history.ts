// A history of what a chaos test observed of the metadata quorum, and the invariants every
// observation must keep, checked as each one arrives and against all earlier ones:
//   - every partition's leader is in its ISR (or there is none);
//   - per partition, the leader epoch and the partition epoch never decrease;
//   - a fenced broker leads nothing;
//   - no topic once seen disappears (the tests delete none): no committed record is lost;
//   - the metadata offset of linearizable reads never goes back (one client, one after another).
// Faults and other operations go into the history too, so a failure prints the whole story.
import type { ResponseOf } from '../../src/metadata/controller-service.js';
import { waitUntil } from '../support/wait.js';

export type DescribeCluster = ResponseOf<'describeCluster'>;

export interface HistoryEntry {
  /** ms since the history began. */
  readonly time: number;
  readonly type: 'fault' | 'ok' | 'fail' | 'check';
  readonly op: string;
  readonly value: string;
}

interface Epochs {
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

const NO_LEADER = -1;

export class MetadataHistory {
  readonly entries: HistoryEntry[] = [];
  private readonly startedAt = Date.now();
  private readonly epochs = new Map<string, Epochs>();
  private readonly topicsSeen = new Map<string, string>(); // name -> id
  private offsetMax = 0;
  observations = 0;

  record(type: HistoryEntry['type'], op: string, value: string): void {
    this.entries.push({ time: Date.now() - this.startedAt, type, op, value });
  }

  /** Records a describeCluster answer and throws if it breaks an invariant. */
  observe(d: DescribeCluster): void {
    const problems = this.violations(d);
    this.observations++;
    this.record(problems.length === 0 ? 'ok' : 'fail', 'describeCluster', summarize(d) + (problems.length === 0 ? '' : ` VIOLATIONS: ${problems.join('; ')}`));
    if (problems.length > 0) throw new InvariantError(problems);
  }

  private violations(d: DescribeCluster): string[] {
    const problems: string[] = [];
    const offset = Number(d.metadataOffset ?? 0);
    if (offset < this.offsetMax) problems.push(`metadata offset went back from ${this.offsetMax} to ${offset} (controller ${d.controllerId})`);
    this.offsetMax = Math.max(this.offsetMax, offset);
    const fenced = new Set((d.brokers ?? []).filter((b) => b.fenced).map((b) => b.id));
    const names = new Set<string>();
    for (const t of d.topics ?? []) {
      names.add(t.name ?? '');
      const seenId = this.topicsSeen.get(t.name ?? '');
      if (seenId !== undefined && seenId !== t.topicId) problems.push(`topic ${t.name} changed id from ${seenId} to ${t.topicId}`);
      this.topicsSeen.set(t.name ?? '', t.topicId ?? '');
      for (const p of t.partitions ?? []) {
        const where = `${t.name}-${p.partition}`;
        const leader = p.leader ?? NO_LEADER;
        const isr = p.isr ?? [];
        if (leader !== NO_LEADER && !isr.includes(leader)) problems.push(`${where}: leader ${leader} is not in the ISR [${isr.join(',')}]`);
        if (leader !== NO_LEADER && fenced.has(leader)) problems.push(`${where}: fenced broker ${leader} leads it`);
        const now = { leaderEpoch: Number(p.leaderEpoch ?? 0), partitionEpoch: Number(p.partitionEpoch ?? 0) };
        const before = this.epochs.get(`${t.topicId}/${p.partition}`);
        if (before && now.leaderEpoch < before.leaderEpoch) problems.push(`${where}: leader epoch went back from ${before.leaderEpoch} to ${now.leaderEpoch}`);
        if (before && now.partitionEpoch < before.partitionEpoch) problems.push(`${where}: partition epoch went back from ${before.partitionEpoch} to ${now.partitionEpoch}`);
        this.epochs.set(`${t.topicId}/${p.partition}`, {
          leaderEpoch: Math.max(now.leaderEpoch, before?.leaderEpoch ?? 0),
          partitionEpoch: Math.max(now.partitionEpoch, before?.partitionEpoch ?? 0),
        });
      }
    }
    const lost = [...this.topicsSeen.keys()].filter((name) => !names.has(name));
    if (lost.length > 0) problems.push(`topics seen before are gone: ${lost.join(', ')}`);
    return problems;
  }

  /** The last `count` lines, one per entry, a run of equal observations (polling) as one line. */
  tail(count = 80): string {
    const lines: string[] = [];
    let previous: HistoryEntry | undefined;
    let repeats = 0;
    const flush = () => {
      if (repeats > 0) lines.push(`${''.padStart(8)} ${''.padEnd(5)} (the same ${repeats} more time${repeats === 1 ? '' : 's'}, until ${((previous?.time ?? 0) / 1000).toFixed(2)}s)`);
      repeats = 0;
    };
    for (const e of this.entries) {
      if (previous && e.type === previous.type && e.op === previous.op && e.value === previous.value) {
        repeats++;
        previous = e;
        continue;
      }
      flush();
      lines.push(`${(e.time / 1000).toFixed(2).padStart(7)}s ${e.type.padEnd(5)} ${e.op}: ${e.value}`);
      previous = e;
    }
    flush();
    return lines.slice(-count).join('\n');
  }
}

export class InvariantError extends Error {
  override readonly name = 'InvariantError';
  constructor(readonly problems: readonly string[]) {
    super(`metadata invariants broken:\n  ${problems.join('\n  ')}`);
  }
}

/** One line: controller, offset, brokers (f = fenced), and per topic each partition's leader/epoch. */
export function summarize(d: DescribeCluster): string {
  const brokers = (d.brokers ?? []).map((b) => `${b.id}${b.fenced ? 'f' : ''}`).join(',');
  const topics = (d.topics ?? []).map((t) => `${t.name}[${(t.partitions ?? []).map((p) => `${p.leader}@${p.leaderEpoch}`).join(' ')}]`).join(' ');
  return `controller ${d.controllerId} offset ${d.metadataOffset} brokers ${brokers} ${topics}`;
}

/**
 * waitUntil, except that a broken invariant (an InvariantError from the condition, e.g. through
 * MetadataHistory.observe) fails at once instead of counting as "not yet".
 */
export async function untilUnbroken(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, pollMs: number): Promise<void> {
  let broken: InvariantError | undefined;
  await waitUntil(what, async () => {
    try {
      return await condition();
    } catch (error) {
      if (!(error instanceof InvariantError)) throw error;
      broken = error;
      return true;
    }
  }, timeoutMs, pollMs);
  if (broken) throw broken;
}

/** The active controller's image (a linearizable read), checked against `history`. */
export async function observedImage(c: { call(method: 'describeCluster', request: object): Promise<DescribeCluster> }, history: MetadataHistory): Promise<DescribeCluster> {
  const d = await c.call('describeCluster', {});
  if (d.error?.code) throw new Error(`describeCluster: ${d.error.code}: ${d.error.message}`);
  history.observe(d);
  return d;
}
