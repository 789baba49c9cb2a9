// The events of a run, how they print, and what of them the trace hash mixes. Everything that
// happens in a simulation is one of these, popped from the event queue in (time, sequence) order.
import type { Message } from '../../../src/raft/core/types.js';
import type { TraceEvents, TraceHash } from '../../support/sim-trace.js';

export type SimEvent =
  | { readonly kind: 'tick'; readonly node: number; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly msg: Message }
  | { readonly kind: 'disk'; readonly node: number; readonly incarnation: number }
  | { readonly kind: 'nemesis' }
  | { readonly kind: 'hunt'; readonly node: number; readonly term: number }
  | { readonly kind: 'heal'; readonly fault: number }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'client'; readonly client: number; readonly op: number }
  | { readonly kind: 'timeout'; readonly client: number; readonly op: number }
  | { readonly kind: 'probe' };

export function formatMessage(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'prevote':
    case 'vote':
      return `${head} last=${m.lastIndex}/t${m.lastTerm}${m.transfer ? ' transfer' : ''}`;
    case 'prevote-resp':
    case 'vote-resp':
      return `${head}${m.reject ? ' reject' : ' grant'}`;
    case 'append': {
      const first = m.entries[0];
      const last = m.entries.at(-1);
      const span = first === undefined || last === undefined ? '[]' : `[${first.index}/t${first.term}..${last.index}/t${last.term}]`;
      return `${head} prev=${m.prevIndex}/t${m.prevTerm} entries=${span} commit=${m.commit}`;
    }
    case 'append-resp':
      return `${head} index=${m.index}${m.reject ? ` reject hint=${m.hintIndex}/t${m.hintTerm}` : ''}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} round=${m.readRound}`;
    case 'heartbeat-resp':
      return `${head} round=${m.readRound}`;
    case 'snapshot':
      return `${head} at=${m.meta.index}/t${m.meta.term} offset=${m.offset}/${m.totalBytes}${m.done ? ' done' : ''}`;
    case 'snapshot-resp':
      return `${head} index=${m.index} next=${m.nextOffset}${m.done ? ' done' : ''}`;
    case 'timeout-now':
      return head;
  }
}

export function formatEvent(e: SimEvent): string {
  switch (e.kind) {
    case 'tick':
      return `tick ${e.node}`;
    case 'deliver':
      return `deliver ${formatMessage(e.msg)}`;
    case 'disk':
      return `disk write done ${e.node}`;
    case 'nemesis':
      return 'nemesis';
    case 'hunt':
      return `nemesis hunts leader ${e.node} of term ${e.term}`;
    case 'heal':
      return `heal fault#${e.fault}`;
    case 'restart':
      return `restart ${e.node}`;
    case 'client':
      return `client ${e.client} op#${e.op}`;
    case 'timeout':
      return `client ${e.client} op#${e.op} timeout`;
    case 'probe':
      return 'liveness probe';
  }
}

/** The time, the kind, and the ids the event is about; a message by its ends, type and term. */
function hashEvent(h: TraceHash, timeMs: number, e: SimEvent): void {
  h.number(timeMs);
  h.number(e.kind.charCodeAt(0) + e.kind.length);
  if (e.kind === 'deliver') {
    const m = e.msg;
    h.number(m.from * 64 + m.to);
    h.number(m.type.charCodeAt(0) + m.type.length * 7);
    h.number(m.term);
  } else if (e.kind === 'tick' || e.kind === 'restart' || e.kind === 'disk' || e.kind === 'hunt') {
    h.number(e.node);
  } else if (e.kind === 'client' || e.kind === 'timeout') {
    h.number(e.client * 1024 + e.op);
  }
}

export const simTraceEvents: TraceEvents<SimEvent> = { format: formatEvent, hash: hashEvent };
