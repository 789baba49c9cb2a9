// The bench's table: one row per phase with its figures, the CPU of brokers, client and the rest of
// the machine, and what most likely limited the figure, read off the CPU use (a reading, not a proof).
import type { ConsumeResult } from './consume.js';
import type { FailoverResult } from './failover.js';
import type { KafkaJsResult } from './kafkajs.js';
import type { LatencyResult } from './latency.js';
import type { ProduceResult } from './produce.js';
import type { CpuReport } from './stats.js';

export interface BenchResults {
  produce: ProduceResult[];
  consume: ConsumeResult[];
  latency: LatencyResult[];
  failover: FailoverResult | undefined;
  kafkajs: KafkaJsResult[];
  /** Before each phase: the rest of the machine's CPU (% of a core) in the last second waited, and how long the bench waited for it to calm down. */
  quietBefore: { phase: string; othersPct: number; waitedSeconds: number }[];
}

/** A single JavaScript thread this busy is taken as saturated. */
const SATURATED_PCT = 90;
/** The machine this busy makes every hop wait for a core now and then. */
const BUSY_PCT = 70;

/** What the CPU figures say limited a phase. */
export function limitOf(cpu: CpuReport): string {
  const limits: string[] = [];
  if (cpu.clientPct >= SATURATED_PCT) limits.push(`client at ${cpu.clientPct}% of a core`);
  const hot = Object.entries(cpu.brokersMainThreadPct).filter(([, pct]) => pct >= SATURATED_PCT);
  for (const [id, pct] of hot) limits.push(`broker ${id} main thread ${pct}%`);
  const machineShare = cpu.machinePct / (cpu.cores * 100);
  if (machineShare >= SATURATED_PCT / 100) limits.push(`machine CPU ${cpu.machinePct}/${cpu.cores * 100}%`);
  else if (machineShare >= BUSY_PCT / 100) limits.push(`machine CPU high (${cpu.machinePct}/${cpu.cores * 100}%): queueing for the cores`);
  return limits.length === 0 ? 'no CPU saturated (waits: replication round trips, in-flight limit)' : limits.join('; ');
}

function cpuCells(cpu: CpuReport, msPerMB?: number): string[] {
  const brokers = Object.entries(cpu.brokersPct).map(([id, pct]) => `${id}:${Math.round(pct)}`).join(' ');
  return [brokers, msPerMB === undefined ? '' : String(msPerMB), String(Math.round(cpu.clientPct)), String(Math.round(cpu.othersPct))];
}

const num = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-');

export function table(r: BenchResults): string {
  const header = ['phase', 'records/s', 'MB/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'samples', 'broker CPU % (id:%)', 'broker CPU ms/MB', 'client %', 'others %', 'limit'];
  const rows: string[][] = [];
  for (const p of r.produce) {
    const errors = Object.keys(p.errors).length > 0 ? ` errors ${JSON.stringify(p.errors)}` : '';
    rows.push([`produce ${p.valueBytes} B acks=all`, num(p.recordsPerSecond), String(p.payloadMBPerSecond), ms(p.requestLatency.p50Ms), ms(p.requestLatency.p99Ms), ms(p.requestLatency.p999Ms), num(p.requestLatency.count), ...cpuCells(p.cpu, p.brokerCpuMsPerMB), limitOf(p.cpu) + errors]);
  }
  for (const c of r.consume) {
    rows.push([`consume ${c.valueBytes} B${c.complete ? '' : ' (incomplete)'}`, num(c.recordsPerSecond), `${c.payloadMBPerSecond} (batches ${c.batchMBPerSecond})`, '', '', '', '', ...cpuCells(c.cpu, c.brokerCpuMsPerMB), limitOf(c.cpu)]);
  }
  for (const l of r.latency) {
    const errors = Object.keys(l.errors).length > 0 ? ` errors ${JSON.stringify(l.errors)}` : '';
    const missing = l.missing > 0 ? ` missing ${l.missing}` : '';
    rows.push([
      `e2e latency ${l.valueBytes} B @ ${num(l.targetRecordsPerSecond)}/s`,
      num(l.achievedRecordsPerSecond),
      String(Math.round((l.achievedRecordsPerSecond * l.valueBytes) / 1e5) / 10),
      ms(l.latency.p50Ms),
      ms(l.latency.p99Ms),
      ms(l.latency.p999Ms),
      num(l.latency.count),
      ...cpuCells(l.cpu),
      limitOf(l.cpu) + errors + missing,
    ]);
  }
  for (const k of r.kafkajs) {
    const errors = k.errors > 0 ? ` errors ${k.errors}` : '';
    rows.push([`KafkaJS produce ${k.valueBytes} B acks=all`, num(k.recordsPerSecond), String(k.payloadMBPerSecond), '', '', '', '', ...cpuCells(k.cpu, k.brokerCpuMsPerMB), limitOf(k.cpu) + errors]);
  }
  if (r.failover !== undefined) {
    const each = r.failover.rounds.map((x) => `${x.failoverMs} ms (killed ${x.killed}${x.killedWasController ? ', controller' : ''} -> ${x.newLeader})`).join(', ');
    rows.push(['leader failover (kill -9 to next ack)', '', '', `median ${ms(r.failover.medianMs)}`, `max ${ms(r.failover.maxMs)}`, '', String(r.failover.rounds.length), '', '', '', '', each]);
  }
  return render([header, ...rows]);
}

function render(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join(' | ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.slice(1).map(line)].join('\n');
}
