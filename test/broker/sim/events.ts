// The events of a replication simulation, each at a virtual instant. A broker's timers carry its
// incarnation (`gen`): one scheduled before a crash finds a newer incarnation and does nothing.
// Messages between nodes are events too (a follower's fetch arriving at its leader, the answer
// arriving back, an AlterPartition at the controller), so loss, delay and partitions fall out.
import type { LeaderEpoch } from '../../../src/metadata/types.js';
import type { MetadataImage } from '../../../src/metadata/image.js';
import type { AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import type { replicapb } from '../../../src/broker/replica/replica-service.js';
import { type TraceEvents, traceLine } from '../../support/sim-trace.js';

/** A follower's fetch from one leader, from request to answer (or timeout). */
export interface FetchInFlight {
  readonly seq: number;
  readonly follower: number;
  readonly followerGen: number;
  readonly leader: number;
  readonly request: replicapb.IFetchRequest;
  /** The leader epoch each partition was fetched at (the fetcher's own record, follower-fetcher.ts). */
  readonly epochs: ReadonlyMap<number, LeaderEpoch>;
}

type AlterRequest = Parameters<AlterPartitionSender>[0];
type AlterAnswer = Awaited<ReturnType<AlterPartitionSender>>;

/** An AlterPartition a leader sent, with the promise ReplicaManager.checkIsrs is waiting on. */
export interface AlterInFlight {
  readonly seq: number;
  readonly broker: number;
  readonly gen: number;
  readonly request: AlterRequest;
  readonly resolve: (answer: AlterAnswer) => void;
  readonly reject: (error: Error) => void;
  /** Answered or given up on: a late answer finds it settled and does nothing. */
  settled: boolean;
}

export type ReplEvent =
  | { readonly kind: 'produce' }
  | { readonly kind: 'fetch-tick'; readonly broker: number; readonly gen: number }
  | { readonly kind: 'fetch-arrive'; readonly fetch: FetchInFlight }
  | { readonly kind: 'fetch-reply'; readonly fetch: FetchInFlight; readonly response: replicapb.IFetchResponse }
  | { readonly kind: 'fetch-timeout'; readonly fetch: FetchInFlight }
  | { readonly kind: 'isr-check'; readonly broker: number; readonly gen: number }
  | { readonly kind: 'hw-checkpoint'; readonly broker: number; readonly gen: number }
  | { readonly kind: 'heartbeat'; readonly broker: number; readonly gen: number }
  | { readonly kind: 'session-check' }
  | { readonly kind: 'metadata-fetch'; readonly broker: number; readonly gen: number }
  | { readonly kind: 'image-arrive'; readonly broker: number; readonly gen: number; readonly image: MetadataImage }
  | { readonly kind: 'alter-arrive'; readonly alter: AlterInFlight }
  | { readonly kind: 'alter-reply'; readonly alter: AlterInFlight; readonly answer: AlterAnswer }
  | { readonly kind: 'alter-timeout'; readonly alter: AlterInFlight }
  | { readonly kind: 'nemesis' }
  | { readonly kind: 'restart'; readonly broker: number }
  | { readonly kind: 'heal'; readonly cuts: readonly string[] }
  | { readonly kind: 'probe' };

export function formatEvent(e: ReplEvent): string {
  switch (e.kind) {
    case 'fetch-arrive':
      return `fetch #${e.fetch.seq} b${e.fetch.follower}->b${e.fetch.leader} ${formatFetchRequest(e.fetch.request)}`;
    case 'fetch-reply':
      return `fetch-reply #${e.fetch.seq} b${e.fetch.leader}->b${e.fetch.follower} ${formatFetchResponse(e.response)}`;
    case 'fetch-timeout':
      return `fetch-timeout #${e.fetch.seq} b${e.fetch.follower}->b${e.fetch.leader}`;
    case 'image-arrive':
      return `image-arrive b${e.broker} offset ${e.image.offset}`;
    case 'alter-arrive':
    case 'alter-timeout':
      return `${e.kind} #${e.alter.seq} b${e.alter.broker} p${e.alter.request.partition} e${e.alter.request.leaderEpoch} isr [${e.alter.request.newIsr.join(',')}]`;
    case 'alter-reply':
      return `alter-reply #${e.alter.seq} b${e.alter.broker} ${e.answer.error ?? `isr [${e.answer.committed?.isr.join(',')}]`}`;
    case 'heal':
      return `heal ${e.cuts.join(' ')}`;
    case 'produce':
    case 'session-check':
    case 'nemesis':
    case 'probe':
      return e.kind;
    case 'restart':
      return `restart b${e.broker}`;
    default:
      return `${e.kind} b${e.broker}`;
  }
}

/**
 * The trace holds each event as the line it printed when it began (a fetch shows its request and
 * response as they were then), and the hash mixes that whole line, time included.
 */
export const replTraceLines: TraceEvents<string> = { format: (text) => text, hash: (h, timeMs, text) => h.text(traceLine(timeMs, text)) };

function formatFetchRequest(r: replicapb.IFetchRequest): string {
  const parts = (r.partitions ?? []).map((p) => `p${p.partition}@${p.fetchOffset} last e${p.lastFetchedEpoch} cur e${p.currentLeaderEpoch}`);
  return `[${parts.join(', ')}]`;
}

function formatFetchResponse(r: replicapb.IFetchResponse): string {
  if ((r.error ?? '') !== '') return r.error ?? '';
  const parts = (r.partitions ?? []).map((d) => {
    if ((d.error ?? '') !== '') return `p${d.partition} ${d.error}`;
    if (d.divergingEpoch != null) return `p${d.partition} diverging e${d.divergingEpoch.epoch}@${d.divergingEpoch.endOffset}`;
    return `p${d.partition} ${d.records?.length ?? 0}B hw ${d.highWatermark} end ${d.logEndOffset}`;
  });
  return `[${parts.join(', ')}]`;
}
