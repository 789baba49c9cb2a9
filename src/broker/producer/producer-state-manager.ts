// ProducerStateManager: one partition replica's idempotent-producer state (producer-state.ts) with
// its snapshots (producer-snapshot.ts), as Kafka's class of that name. The replica manager owns one
// per partition replica, beside its PartitionLog.
//
// Lifecycle and ordering contracts:
// - load(store, log) before the replica appends or serves: the newest usable snapshot plus the log
//   after it (load.ts says which snapshots are usable).
// - Leader appends: checkLeaderAppend, log append, then commit or abandon (producer-state.ts).
//   Follower appends: onAppended(header) for each batch the log appended, in order.
// - takeSnapshot(logEndOffset) whenever cheap restarts matter; Kafka takes one at each segment roll
//   and at clean shutdown, so that retention always leaves one at the new log start.
// - Truncation goes through truncateTo / truncateFullyAndStartAt here, not on the log directly:
//   snapshots above the new end are deleted before the log is cut, so a crash in between cannot
//   leave a snapshot describing batches the log no longer has, under an offset it will reach again.
// - onLogStartOffsetIncremented after retention or DeleteRecords, to drop snapshots below it.
// None of these may overlap a pending leader append; the caller serialises them per partition.
// Their snapshot-store work runs in call order, so a snapshot requested before a truncation is
// written before the truncation deletes what lies above the cut, never after it.
import assert from 'node:assert/strict';
import { logger as makeLogger, type Logger } from '../../util/log.js';
import type { PartitionLog } from '../log/partition-log.js';
import type { BatchHeader } from '../log/record-batch.js';
import { SerialQueue } from '../log/serial-queue.js';
import { systemClockMs, type ClockMs, type Offset } from '../log/types.js';
import type { ProducerEntry, ProducerId } from './append-rules.js';
import { DEFAULT_PRODUCER_STATE_CONFIG, type ProducerStateConfig } from './limits.js';
import { loadProducerState, type LoadReport } from './load.js';
import { encodeSnapshot, type ProducerSnapshotStore } from './producer-snapshot.js';
import { ProducerStateTable, type AppendVerdict } from './producer-state.js';

export interface ProducerStateOptions {
  readonly config?: ProducerStateConfig;
  /** The broker's clock, for expiry. */
  readonly clockMs?: ClockMs;
  readonly logger?: Logger;
}

export class ProducerStateManager {
  readonly #io = new SerialQueue();

  private constructor(
    private readonly store: ProducerSnapshotStore,
    private readonly config: ProducerStateConfig,
    private readonly clockMs: ClockMs,
    private readonly logger: Logger,
    private table: ProducerStateTable,
    private loadReport: LoadReport,
  ) {}

  /** The state of `log` from `store`'s newest usable snapshot and the log after it. */
  static async load(store: ProducerSnapshotStore, log: PartitionLog, options: ProducerStateOptions = {}): Promise<ProducerStateManager> {
    const config = options.config ?? DEFAULT_PRODUCER_STATE_CONFIG;
    const clockMs = options.clockMs ?? systemClockMs;
    const logger = options.logger ?? makeLogger('producer-state');
    const { table, report } = await loadProducerState({ store, log, config, nowMs: clockMs(), logger });
    return new ProducerStateManager(store, config, clockMs, logger, table, report);
  }

  /** What the last load or truncation rebuilt from, and the snapshots it had to ignore. */
  get lastLoad(): LoadReport {
    return this.loadReport;
  }

  /** The offset after the last batch applied. */
  get endOffset(): Offset {
    return this.table.endOffset;
  }

  entry(producerId: ProducerId): ProducerEntry | undefined {
    return this.table.entry(producerId);
  }

  /** Every producer, least recently appended first. */
  entries(): ProducerEntry[] {
    return this.table.entries();
  }

  /** See ProducerStateTable.checkLeaderAppend; the batches' headers come from batchHeadersOf(buf). */
  checkLeaderAppend(headers: readonly BatchHeader[]): AppendVerdict {
    return this.table.checkLeaderAppend(headers);
  }

  /** A batch the log appended as a follower, at the leader's offsets. */
  onAppended(header: BatchHeader): void {
    this.table.onAppended(header);
  }

  /** Forgets producers idle for producer.id.expiration.ms; Kafka checks every 10 minutes. */
  removeExpired(): number {
    return this.table.removeExpired(this.clockMs());
  }

  /**
   * Persists the state as of `at`, the log end offset: every batch below it must have been applied.
   * The image is taken before the first await, so appends may resume while it is written.
   */
  async takeSnapshot(at: Offset): Promise<void> {
    this.#assertIdle();
    assert.ok(at >= this.table.endOffset, `snapshot at ${at} below the state's end ${this.table.endOffset}`);
    const bytes = encodeSnapshot(at, this.table.entries());
    await this.#io.run(() => this.store.write(at, bytes));
    this.logger.debug({ offset: at, producers: this.table.size, bytes: bytes.length }, 'wrote a producer snapshot');
  }

  /** The log no longer holds offsets below `logStart`: snapshots there are useless. Returns how many went. */
  onLogStartOffsetIncremented(logStart: Offset): Promise<number> {
    return this.#io.run(() => this.#deleteSnapshots((at) => at < logStart));
  }

  /** Truncates `log` to `to` (follower divergence) and rebuilds the state from what remains. */
  truncateTo(log: PartitionLog, to: Offset): Promise<LoadReport> {
    this.#assertIdle();
    return this.#io.run(async () => {
      await this.#deleteSnapshots((at) => at > to);
      await log.truncateTo(to);
      return this.#reload(log);
    });
  }

  /** Empties `log` to restart at `start` (a follower behind the leader's log start), and the state with it. */
  truncateFullyAndStartAt(log: PartitionLog, start: Offset): Promise<void> {
    this.#assertIdle();
    return this.#io.run(async () => {
      await this.#deleteSnapshots(() => true);
      await log.truncateFullyAndStartAt(start);
      this.table = new ProducerStateTable(this.config, start);
    });
  }

  async #deleteSnapshots(doomed: (at: Offset) => boolean): Promise<number> {
    const offsets = (await this.store.list()).filter(doomed);
    for (const at of offsets) await this.store.delete(at);
    return offsets.length;
  }

  /** Rebuilds the state from the snapshots and `log`, as load does. */
  async #reload(log: PartitionLog): Promise<LoadReport> {
    const { table, report } = await loadProducerState({ store: this.store, log, config: this.config, nowMs: this.clockMs(), logger: this.logger });
    this.table = table;
    this.loadReport = report;
    return report;
  }

  #assertIdle(): void {
    assert.ok(!this.table.hasPendingAppend, 'a leader append is pending on this partition');
  }
}
