// The producing client and its history. Each produce is a real produceToPartition with acks=all and
// a deadline already past, so it runs every check and the append but never arms a timer: it answers
// at once (NONE if the HW already passed the batch, else REQUEST_TIMED_OUT with the batch in the
// log). From then on the simulator applies produce.ts's own completion rule on the same partition
// events its purgatory waits for ('hw' and 'role'):
//
//   const stillLeading = () => p.isActiveLeader && p.leaderEpoch === appended.epoch;
//   const settled = () => !stillLeading() || p.highWatermark > appended.lastOffset;
//   ... if (!stillLeading()) return failed('NOT_LEADER_OR_FOLLOWER', ...)
//
// so a batch is acknowledged at the first such event where the HW has passed its last offset while
// the partition still leads, unfenced, in the epoch it was appended in. Every operation goes into a
// history of {process, type, op, value, time} (STYLE.md point 15), checked whole at the end.
import { produceToPartition } from '../../../src/broker/replica/produce.js';
import type { Partition } from '../../../src/broker/replica/partition.js';
import { readBatchHeader } from '../../../src/broker/log/record-batch.js';
import { encodeBatch } from '../../../src/broker/log/records.js';
import type { TopicId } from '../../../src/metadata/types.js';
import type { SimBroker } from './broker.js';
import type { ReplPlantedBug } from './params.js';
import { formatBatch, type BatchId } from './tracked-log.js';

export interface HistoryOp {
  readonly process: string;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly op: 'produce';
  readonly value: { readonly partition: number; readonly batch?: BatchId; readonly error?: string };
  readonly timeMs: number;
}

export interface AckedBatch {
  readonly partition: number;
  readonly batch: BatchId;
}

interface Pending {
  readonly broker: number;
  readonly partition: number;
  readonly batch: BatchId;
  readonly unwatch: () => void;
}

export class Producer {
  readonly history: HistoryOp[] = [];
  /** Acknowledged batches per partition, by offset (acks come mostly in offset order: cheap inserts). */
  readonly acked = new Map<number, BatchId[]>();
  /** Acknowledged since the checker last took them. */
  private fresh: AckedBatch[] = [];
  private readonly pending = new Set<Pending>();
  private nextValue = 0;
  produced = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly bugs: ReadonlySet<ReplPlantedBug>,
    private readonly note: (text: string) => void,
  ) {}

  /** Produces one batch of `records` records to partition `index` through `broker`; returns what happened. */
  async produce(broker: SimBroker, topic: string, topicId: TopicId, index: number, records: number): Promise<string> {
    const p = broker.partition(topicId, index);
    if (broker.manager === undefined || p === undefined) return `b${broker.id} hosts no p${index}`;
    const batch = encodeBatch({ records: Array.from({ length: records }, (_, i) => ({ key: null, value: Buffer.from(`v${this.nextValue}.${i}`), timestamp: this.nowMs() })) });
    this.nextValue++;
    const crc = readBatchHeader(batch, 0).crc;
    const before = p.log.logEndOffset;
    const epoch = p.leaderEpoch;
    const process = `b${broker.id}`;
    this.record(process, 'invoke', { partition: index });
    const result = await produceToPartition(broker.manager, topic, index, batch, -1, 0);
    if (p.log.logEndOffset === before || epoch === -1) {
      this.record(process, 'fail', { partition: index, error: result.error });
      return `b${broker.id} p${index}: ${result.error}`;
    }
    this.produced++;
    const id: BatchId = { base: before, last: p.log.logEndOffset - 1, epoch, crc };
    if (result.error === 'NONE') {
      this.ack(process, index, id);
      return `b${broker.id} p${index} ${formatBatch(id)} acked at once`;
    }
    this.await(broker.id, p, index, id);
    return `b${broker.id} p${index} ${formatBatch(id)} waits for the HW`;
  }

  private await(brokerId: number, p: Partition, index: number, id: BatchId): void {
    const process = `b${brokerId}`;
    const entry: Pending = {
      broker: brokerId,
      partition: index,
      batch: id,
      unwatch: p.watch((event) => {
        if (event !== 'hw' && event !== 'role') return;
        const stillLeading = p.isActiveLeader && p.leaderEpoch === id.epoch;
        const passed = p.highWatermark > id.last;
        if (passed && (stillLeading || this.bugs.has('ack-after-leadership'))) this.finish(entry, () => this.ack(process, index, id));
        else if (!stillLeading && !this.bugs.has('ack-after-leadership')) this.finish(entry, () => this.record(process, 'fail', { partition: index, batch: id, error: 'NOT_LEADER_OR_FOLLOWER' }));
      }),
    };
    this.pending.add(entry);
  }

  private finish(entry: Pending, then: () => void): void {
    entry.unwatch();
    this.pending.delete(entry);
    then();
  }

  private ack(process: string, partition: number, batch: BatchId): void {
    this.note(`ack p${partition} ${formatBatch(batch)}`);
    this.record(process, 'ok', { partition, batch });
    const list = this.acked.get(partition) ?? [];
    let at = list.length;
    while (at > 0 && list[at - 1]!.base > batch.base) at--;
    list.splice(at, 0, batch);
    this.acked.set(partition, list);
    this.fresh.push({ partition, batch });
  }

  /** The broker crashed: its waiting produces end with it, their outcome unknown to the client. */
  dropBroker(brokerId: number): void {
    for (const e of [...this.pending]) if (e.broker === brokerId) this.finish(e, () => this.record(`b${brokerId}`, 'info', { partition: e.partition, batch: e.batch, error: 'broker crashed' }));
  }

  /** The batches acknowledged since the last call. */
  takeFresh(): AckedBatch[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  private record(process: string, type: HistoryOp['type'], value: HistoryOp['value']): void {
    this.history.push({ process, type, op: 'produce', value, timeMs: this.nowMs() });
  }
}
