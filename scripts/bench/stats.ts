// Figures for the bench: latency samples and their percentiles, and CPU time from /proc, of the
// broker processes (utime + stime of every thread, /proc/<pid>/stat fields 14 and 15), of this
// process (process.cpuUsage) and of the whole machine (/proc/stat), so that a table can say who
// used the cores during a phase, other work on the machine included.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Latency samples in ms, in a growable Float64Array (millions of samples without boxing). */
export class Samples {
  private values = new Float64Array(1024);
  private length = 0;

  add(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
  }

  get count(): number {
    return this.length;
  }

  /** The samples, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/**
 * The q-quantile (0 <= q <= 1) of ascending `sorted` by the nearest-rank method: the smallest
 * sample with at least q of all samples at or below it. NaN when there are none.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  if (q <= 0) return sorted[0]!;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export function summarize(samples: Samples): LatencySummary {
  const s = samples.sorted();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return {
    count: s.length,
    p50Ms: round3(quantile(s, 0.5)),
    p99Ms: round3(quantile(s, 0.99)),
    p999Ms: round3(quantile(s, 0.999)),
    maxMs: round3(s.length === 0 ? NaN : s[s.length - 1]!),
    meanMs: round3(s.length === 0 ? NaN : sum / s.length),
  };
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;
export const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
}

let clockTicksPerSecond: number | undefined;

/** CLK_TCK, the unit of /proc/<pid>/stat times (100 on every Linux we know; asked once). */
function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/**
 * CPU seconds (user + system) of process `pid` so far, all threads, or with `mainThread` only its
 * main thread (the one running JavaScript; the rest are GC, libuv's pool and the like). NaN if gone.
 */
export function processCpuSeconds(pid: number, mainThread = false): number {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields are counted after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** CPU seconds of every process on the machine so far, by pid, with its command name. */
function allProcessesCpuSeconds(): Map<number, { name: string; seconds: number }> {
  const out = new Map<number, { name: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), { name, seconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond() });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat, all cores), and the interrupt share of busy. */
function machineCpuSeconds(): { busy: number; total: number; interrupts: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const interrupts = (v[5] ?? 0) + (v[6] ?? 0);
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond(), interrupts: interrupts / ticksPerSecond() };
}

/** CPU use over one phase, as % of one core (so 200% is both cores of a 2-core machine). */
export interface CpuReport {
  /** Broker node id -> % of a core, all threads of the process. */
  readonly brokersPct: Readonly<Record<string, number>>;
  /** Broker node id -> % of a core used by its main (JavaScript) thread: near 100, that broker's event loop is the limit. */
  readonly brokersMainThreadPct: Readonly<Record<string, number>>;
  readonly brokersTotalPct: number;
  /** The bench client (this process, every thread). */
  readonly clientPct: number;
  /** Every process on the machine. */
  readonly machinePct: number;
  /**
   * machinePct minus brokers and client: other work on the machine (other agents' tests, say), but
   * also kernel work no process is charged for, such as the softirqs of loopback TCP (interruptsPct).
   */
  readonly othersPct: number;
  /** Hard and soft interrupt time of the machine (/proc/stat irq + softirq), part of othersPct. */
  readonly interruptsPct: number;
  /** The busiest other processes ("name pid": % of a core), a hint of who else used the machine. */
  readonly othersTop: Readonly<Record<string, number>>;
  readonly cores: number;
}

/** Starts measuring; call the returned function at the end of the phase. */
export function cpuMeter(brokerPids: ReadonlyMap<number, number>): () => CpuReport {
  const startedMs = performance.now();
  const brokers = new Map([...brokerPids].map(([id, pid]) => [id, processCpuSeconds(pid)]));
  const mains = new Map([...brokerPids].map(([id, pid]) => [id, processCpuSeconds(pid, true)]));
  const client = process.cpuUsage();
  const machine = machineCpuSeconds();
  const everyone = allProcessesCpuSeconds();
  return () => {
    const seconds = (performance.now() - startedMs) / 1000;
    const pct = (cpuSeconds: number) => round1((cpuSeconds / seconds) * 100);
    const brokersPct: Record<string, number> = {};
    const brokersMainThreadPct: Record<string, number> = {};
    let brokersTotal = 0;
    for (const [id, pid] of brokerPids) {
      const used = processCpuSeconds(pid) - brokers.get(id)!;
      brokersPct[id] = pct(used);
      brokersMainThreadPct[id] = pct(processCpuSeconds(pid, true) - mains.get(id)!);
      if (Number.isFinite(used)) brokersTotal += used;
    }
    const c = process.cpuUsage(client);
    const clientSeconds = (c.user + c.system) / 1e6;
    const m = machineCpuSeconds();
    const cores = availableParallelism();
    // /proc/stat's total grows by cores x elapsed; scale busy to "% of one core" like the rest.
    const machinePct = round1(((m.busy - machine.busy) / Math.max(1e-9, m.total - machine.total)) * cores * 100);
    const interruptsPct = round1(((m.interrupts - machine.interrupts) / Math.max(1e-9, m.total - machine.total)) * cores * 100);
    return {
      brokersPct,
      brokersMainThreadPct,
      brokersTotalPct: pct(brokersTotal),
      clientPct: pct(clientSeconds),
      machinePct,
      othersPct: round1(Math.max(0, machinePct - pct(brokersTotal) - pct(clientSeconds))),
      interruptsPct,
      othersTop: busiestOthers(everyone, new Set([...brokerPids.values(), process.pid]), seconds),
      cores,
    };
  };
}

/** The processes but `ours` that used the most CPU since `before`, as % of a core (at most 3, at least 1% each). */
function busiestOthers(before: ReadonlyMap<number, { name: string; seconds: number }>, ours: ReadonlySet<number>, seconds: number): Record<string, number> {
  const used: [string, number][] = [];
  for (const [pid, now] of allProcessesCpuSeconds()) {
    if (ours.has(pid)) continue;
    const delta = now.seconds - (before.get(pid)?.seconds ?? 0);
    if (delta > 0) used.push([`${now.name} ${pid}`, round1((delta / seconds) * 100)]);
  }
  return Object.fromEntries(used.sort((a, b) => b[1] - a[1]).slice(0, 3).filter(([, pct]) => pct >= 1));
}

const QUIET_WINDOW_MS = 1_000;

/**
 * Waits, at most `secondsMax`, for a one-second window in which the rest of the machine (all but
 * the brokers and this process) uses under `othersBelowPct` % of a core: other work on a shared
 * machine would otherwise take the cores a phase is measuring. Returns the last window's figure.
 */
export async function waitForQuiet(brokerPids: ReadonlyMap<number, number>, secondsMax: number, othersBelowPct: number): Promise<{ othersPct: number; waitedSeconds: number }> {
  const started = performance.now();
  for (;;) {
    const stop = cpuMeter(brokerPids);
    await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
    const { othersPct } = stop();
    const waitedSeconds = round1((performance.now() - started) / 1000);
    if (othersPct < othersBelowPct || waitedSeconds >= secondsMax) return { othersPct, waitedSeconds };
  }
}

/** Broker CPU milliseconds (all brokers, all threads) per MB of payload moved: the cost, less sensitive to other work on the machine than the rate. */
export function brokerCpuMsPerMB(cpu: CpuReport, payloadMBPerSecond: number): number {
  return payloadMBPerSecond > 0 ? round1((cpu.brokersTotalPct / 100) * 1000 / payloadMBPerSecond) : NaN;
}
