// Rebuilding a partition replica's producer state: the newest usable snapshot, then the log's
// batches from there to its end, as Kafka's LogLoader.rebuildProducerState.
//
// Which snapshots are usable, for a log holding [logStart, logEnd):
// - above logEnd: the log lost or cut the suffix the snapshot describes (an unflushed tail lost in a
//   crash, a truncation); deleted, else a later history reaching past it would load foreign state;
// - below logStart: the batches between it and logStart are gone, so the state it gives misses them
//   and could refuse a producer whose last batch was among them as out of order; deleted. Without a
//   snapshot the state starts empty at logStart, as Kafka's: producers whose batches all left the
//   log are unknown, which KIP-360 accepts at any sequence (one at exactly logStart is usable);
// - corrupt: reported with its name, deleted, and the next older one tried.
import type { Logger } from '../../util/log.js';
import type { PartitionLog } from '../log/partition-log.js';
import type { Offset } from '../log/types.js';
import { lastTimestampOf, type ProducerEntry } from './append-rules.js';
import type { ProducerStateConfig } from './limits.js';
import { CorruptSnapshotError, decodeSnapshot, type ProducerSnapshotStore } from './producer-snapshot.js';
import { ProducerStateTable } from './producer-state.js';
import { replayLog } from './replay.js';

export interface SnapshotProblem {
  /** The snapshot's file (its name in a memory store). */
  readonly file: string;
  readonly reason: string;
}

export interface LoadReport {
  /** The snapshot the state started from; undefined when it started empty at the log start. */
  readonly snapshotOffset: Offset | undefined;
  /** The offset the log was replayed from, and how many batches that applied. */
  readonly replayedFrom: Offset;
  readonly batchesReplayed: number;
  /** Snapshots that failed their checks, each deleted after being reported. */
  readonly corruptSnapshots: readonly SnapshotProblem[];
  /** Snapshots deleted as outside [logStart, logEnd]. */
  readonly outOfRangeSnapshots: readonly Offset[];
}

export interface LoadContext {
  readonly store: ProducerSnapshotStore;
  readonly log: PartitionLog;
  readonly config: ProducerStateConfig;
  readonly nowMs: number;
  readonly logger: Logger;
}

/** The state of `log` as it now is. The log must not change until the promise resolves. */
export async function loadProducerState(ctx: LoadContext): Promise<{ table: ProducerStateTable; report: LoadReport }> {
  const { log, store } = ctx;
  const [start, end] = [log.logStartOffset, log.logEndOffset];
  const offsets = await store.list();
  const outOfRange = offsets.filter((at) => at < start || at > end);
  for (const at of outOfRange) await store.delete(at);
  const corrupt: SnapshotProblem[] = [];
  const base = await newestUsable(ctx, offsets.filter((at) => at >= start && at <= end).reverse(), corrupt);
  const entries = (base?.entries ?? []).filter((e) => !isExpired(ctx, e));
  const table = new ProducerStateTable(ctx.config, base?.at ?? start, entries);
  const replayedFrom = table.endOffset;
  const batchesReplayed = await replayLog(table, log, replayedFrom);
  table.removeExpired(ctx.nowMs);
  const report: LoadReport = { snapshotOffset: base?.at, replayedFrom, batchesReplayed, corruptSnapshots: corrupt, outOfRangeSnapshots: outOfRange };
  ctx.logger.info({ ...report, producers: table.size }, 'loaded producer state');
  return { table, report };
}

async function newestUsable(ctx: LoadContext, newestFirst: readonly Offset[], corrupt: SnapshotProblem[]): Promise<{ at: Offset; entries: ProducerEntry[] } | undefined> {
  for (const at of newestFirst) {
    const file = ctx.store.nameOf(at);
    try {
      return { at, entries: decodeSnapshot(await ctx.store.read(at), at, file) };
    } catch (e) {
      if (!(e instanceof CorruptSnapshotError)) throw e;
      ctx.logger.warn({ file: e.file, reason: e.reason }, 'ignoring a corrupt producer snapshot');
      corrupt.push({ file: e.file, reason: e.reason });
      await ctx.store.delete(at);
    }
  }
  return undefined;
}

function isExpired(ctx: LoadContext, e: ProducerEntry): boolean {
  return ctx.nowMs - lastTimestampOf(e) >= ctx.config.producerIdExpirationMs;
}
