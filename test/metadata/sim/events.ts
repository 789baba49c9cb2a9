// The events of a metadata simulation run, how they print, and what of them the trace hash mixes
// (never the notes). Raft messages between controllers
// are the raft simulator's 'deliver' events (its Network schedules them); everything else is a
// broker, client, controller-driver or nemesis event of this simulator.
import type { Message } from '../../../src/raft/core/types.js';
import type { AlterPartitionRequest, CreatePartitionsRequest, CreateTopicRequest, HeartbeatRequest, RegisterBrokerRequest } from '../../../src/metadata/controller/index.js';
import { formatMessage } from '../../raft/sim/events.js';
import type { TraceEvents, TraceHash } from '../../support/sim-trace.js';

/** A request to a controller: from a broker (its id) or from the client (CLIENT_ENDPOINT). */
export type Request =
  | { readonly kind: 'register'; readonly req: RegisterBrokerRequest }
  | { readonly kind: 'heartbeat'; readonly req: HeartbeatRequest; readonly metadataOffset: number }
  | { readonly kind: 'alter-partition'; readonly req: AlterPartitionRequest }
  | { readonly kind: 'create-topic'; readonly req: CreateTopicRequest }
  | { readonly kind: 'delete-topic'; readonly name: string }
  | { readonly kind: 'create-partitions'; readonly req: CreatePartitionsRequest };

export interface Rpc {
  /** Broker id, or CLIENT_ENDPOINT. */
  readonly from: number;
  readonly to: number;
  /** The sender's incarnation and request number, echoed in the reply. */
  readonly incarnation: number;
  readonly seq: number;
  readonly request: Request;
}

/** What came back: an error name (NOT_CONTROLLER with a hint, or the response's own) and fields the broker uses. */
export interface Reply {
  readonly to: number;
  readonly from: number;
  readonly incarnation: number;
  readonly seq: number;
  readonly kind: Request['kind'];
  readonly error: string | undefined;
  readonly leaderHint: number;
  readonly brokerEpoch: number;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

export type MetaEvent =
  | { readonly kind: 'tick'; readonly node: number; readonly incarnation: number }
  | { readonly kind: 'deliver'; readonly msg: Message }
  | { readonly kind: 'rpc'; readonly rpc: Rpc }
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'controller-timer'; readonly node: number; readonly generation: number }
  | { readonly kind: 'broker-heartbeat'; readonly broker: number; readonly incarnation: number }
  | { readonly kind: 'broker-fetch'; readonly broker: number; readonly incarnation: number }
  | { readonly kind: 'broker-alter'; readonly broker: number; readonly incarnation: number }
  | { readonly kind: 'rpc-timeout'; readonly broker: number; readonly incarnation: number; readonly seq: number }
  | { readonly kind: 'broker-retry'; readonly broker: number; readonly incarnation: number }
  | { readonly kind: 'client-request' }
  | { readonly kind: 'nemesis' }
  | { readonly kind: 'heal'; readonly fault: number }
  | { readonly kind: 'restart-controller'; readonly node: number }
  | { readonly kind: 'restart-broker'; readonly broker: number }
  | { readonly kind: 'probe' };

export const CLIENT_ENDPOINT = 0;

function formatRequest(r: Request): string {
  switch (r.kind) {
    case 'register':
      return `register broker ${r.req.brokerId} incarnation ${r.req.incarnationId.slice(-6)}`;
    case 'heartbeat':
      return `heartbeat broker ${r.req.brokerId} epoch ${r.req.brokerEpoch} offset ${r.metadataOffset}${r.req.wantShutDown ? ' wantShutDown' : ''}`;
    case 'alter-partition':
      return `alter-partition by ${r.req.brokerId} ${r.req.topicId.slice(-4)}-${r.req.partition} le${r.req.leaderEpoch} pe${r.req.partitionEpoch} isr [${r.req.newIsr.join(',')}]`;
    case 'create-topic':
      return `create-topic ${r.req.name} partitions ${r.req.numPartitions} rf ${r.req.replicationFactor}`;
    case 'delete-topic':
      return `delete-topic ${r.name}`;
    case 'create-partitions':
      return `create-partitions ${r.req.name} to ${r.req.count}`;
  }
}

export function formatMetaEvent(e: MetaEvent): string {
  switch (e.kind) {
    case 'deliver':
      return `deliver ${formatMessage(e.msg)}`;
    case 'rpc':
      return `rpc ${e.rpc.from}->c${e.rpc.to} #${e.rpc.seq} ${formatRequest(e.rpc.request)}`;
    case 'reply': {
      const r = e.reply;
      return `reply c${r.from}->${r.to} #${r.seq} ${r.kind} ${r.error ?? 'ok'}${r.leaderHint > 0 ? ` (leader ${r.leaderHint})` : ''} epoch ${r.brokerEpoch}${r.isFenced ? ' fenced' : ''}${r.shouldShutDown ? ' shouldShutDown' : ''}`;
    }
    case 'tick':
    case 'controller-timer':
    case 'restart-controller':
      return `${e.kind} c${e.node}`;
    case 'broker-heartbeat':
    case 'broker-fetch':
    case 'broker-alter':
    case 'broker-retry':
    case 'restart-broker':
      return `${e.kind} b${e.broker}`;
    case 'rpc-timeout':
      return `rpc-timeout b${e.broker} #${e.seq}`;
    case 'heal':
      return `heal fault#${e.fault}`;
    case 'client-request':
    case 'nemesis':
    case 'probe':
      return e.kind;
  }
}

/** The time, the kind, and the ids the event is about, packed into one number. */
function hashEvent(h: TraceHash, timeMs: number, e: MetaEvent): void {
  h.number(timeMs);
  h.number(e.kind.charCodeAt(0) * 64 + e.kind.length);
  h.number(eventKey(e));
}

function eventKey(e: MetaEvent): number {
  switch (e.kind) {
    case 'deliver':
      return e.msg.from * 64 + e.msg.to + e.msg.term * 4096;
    case 'rpc':
      return e.rpc.from * 64 + e.rpc.to + e.rpc.seq * 4096;
    case 'reply':
      return e.reply.from * 64 + e.reply.to + e.reply.seq * 4096;
    case 'heal':
      return e.fault;
    default:
      return 'node' in e ? e.node : 'broker' in e ? e.broker : 0;
  }
}

export const metaTraceEvents: TraceEvents<MetaEvent> = { format: formatMetaEvent, hash: hashEvent };
