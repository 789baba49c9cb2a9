// How Raft messages travel between nodes. Implementations: GrpcTransport (grpc-transport.ts) and
// InMemoryTransport (memory-transport.ts). Delivery is best effort: Raft tolerates loss, duplication
// and reordering, so a transport drops rather than blocks. Each peer has its own bounded queue; a
// slow or dead peer never delays messages to the others.
import type { Message, NodeId } from './core/types.js';

export type MessageHandler = (message: Message) => void;

export interface Transport {
  /** Starts receiving; every well-formed message addressed to this node is passed to `handler`. */
  start(handler: MessageHandler): Promise<void>;
  /** Queues messages for their addressees and returns at once. Never throws for an unreachable peer. */
  send(messages: readonly Message[]): void;
  /** Adds or replaces the address of a peer (membership changes add peers at run time). */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}

export interface TransportStats {
  readonly sent: number;
  /** Dropped because a peer's queue was full. */
  readonly droppedQueueFull: number;
  /** Received but malformed or oversized, dropped and logged. */
  readonly droppedMalformed: number;
}
