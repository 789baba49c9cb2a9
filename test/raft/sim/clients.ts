// The client workload, and the linearizability check of its reads.
//
// Each client runs one operation at a time against the node it believes leads: a write of a fresh
// unique value, or a linearizable read through ReadIndex. A refusal names the leader to try next; a
// crashed node sends the client elsewhere; an operation that gets no answer times out and its
// outcome is unknown. A write is acknowledged when the node that accepted it applies it. A read
// invoked after a write was acknowledged, or after another read returned, must see at least as
// much: since the state is an append-only list whose orders agree everywhere (checked separately),
// that is one number, the list length the read must reach.
import type { Refusal } from '../../../src/raft/core/types.js';
import type { PendingRead, SimNode } from './sim-node.js';
import { encodeValue } from './values.js';
import { type World, nodeById, randomNode } from './world.js';

const OP_TIMEOUT_MS = 400;
const RETRY_MS_MIN = 2;
const RETRY_MS_SPREAD = 8;

interface Op {
  readonly id: number;
  readonly kind: 'write' | 'read';
  readonly value: number;
  readonly required: number;
  attempt: number;
  /** Accepted by a node: now the client only waits for the answer or the timeout. */
  accepted: boolean;
}

interface Client {
  readonly id: number;
  target: number;
  op: Op | undefined;
  opSeq: number;
}

export class Clients {
  private readonly clients: Client[];
  /** The state machine length that covers every acknowledged write. */
  private ackedPrefix = 0;
  /** The longest state machine any completed read returned. */
  private observedPrefix = 0;
  private nextValue = 1;
  running = true;
  writesAcked = 0;
  readsOk = 0;
  timeouts = 0;

  constructor(private readonly world: World) {
    this.clients = Array.from({ length: world.params.clients }, (_, i) => ({ id: i, target: randomNode(world).id, op: undefined, opSeq: 0 }));
  }

  start(): void {
    for (const c of this.clients) this.world.schedule(1 + this.world.random.int(20), { kind: 'client', client: c.id, op: 1 });
  }

  /** A fresh value no client has ever proposed; the liveness phase draws from the same supply. */
  freshValue(): number {
    return this.nextValue++;
  }

  onClientEvent(clientId: number, opId: number): void {
    const c = this.clients[clientId] as Client;
    if (c.op === undefined && opId === c.opSeq + 1 && this.running) this.begin(c, opId);
    else if (c.op?.id === opId && !c.op.accepted) this.attempt(c, c.op);
  }

  onTimeout(clientId: number, opId: number): void {
    const c = this.clients[clientId] as Client;
    if (c.op?.id !== opId) return;
    this.world.note(`client ${c.id} gives up on op#${opId} (${c.op.kind} ${c.op.kind === 'write' ? c.op.value : ''}); outcome unknown`);
    this.timeouts++;
    c.target = randomNode(this.world).id;
    this.finish(c);
  }

  private begin(c: Client, opId: number): void {
    const kind = this.world.random.chance(this.world.params.readRatio) ? 'read' : 'write';
    const value = kind === 'write' ? this.freshValue() : 0;
    const op: Op = { id: opId, kind, value, required: Math.max(this.ackedPrefix, this.observedPrefix), attempt: 0, accepted: false };
    c.op = op;
    c.opSeq = opId;
    this.world.schedule(OP_TIMEOUT_MS, { kind: 'timeout', client: c.id, op: opId });
    this.attempt(c, op);
  }

  private attempt(c: Client, op: Op): void {
    op.attempt++;
    const node = nodeById(this.world, c.target) as SimNode;
    const raw = node.raw;
    if (raw === undefined) return this.retryElsewhere(c, op, `node ${node.id} is down`);
    const result = op.kind === 'write' ? raw.propose([encodeValue(op.value)]) : raw.readIndex(readCtx(c, op));
    if (!result.ok) {
      this.world.settle(node);
      return this.refused(c, op, node, result.refusal);
    }
    op.accepted = true;
    if (op.kind === 'write') node.pendingWrites.set(op.value, { client: c.id, op: op.id });
    else node.pendingReads.set(readCtx(c, op), { client: c.id, op: op.id, ctx: readCtx(c, op), invokedMs: this.world.nowMs, required: op.required, index: undefined });
    this.world.note(`client ${c.id} ${describe(op)} accepted by node ${node.id}`);
    this.world.settle(node);
  }

  private refused(c: Client, op: Op, node: SimNode, refusal: Refusal): void {
    const leader = 'leader' in refusal ? refusal.leader : 0;
    if (leader !== 0 && leader !== node.id) c.target = leader;
    else if (refusal.code === 'not-leader') c.target = randomNode(this.world).id;
    this.world.note(`client ${c.id} ${describe(op)} refused by node ${node.id}: ${refusal.code}${leader !== 0 ? ` (leader ${leader})` : ''}`);
    // Straight to a named leader; otherwise back off a little, as an election takes a while.
    const backoffMs = leader !== 0 ? 0 : RETRY_MS_SPREAD;
    this.world.schedule(RETRY_MS_MIN + backoffMs + this.world.random.int(RETRY_MS_SPREAD), { kind: 'client', client: c.id, op: op.id });
  }

  private retryElsewhere(c: Client, op: Op, why: string): void {
    c.target = randomNode(this.world).id;
    this.world.note(`client ${c.id} ${describe(op)}: ${why}`);
    this.world.schedule(RETRY_MS_MIN + this.world.random.int(RETRY_MS_SPREAD), { kind: 'client', client: c.id, op: op.id });
  }

  /** The node that accepted a write applied it: acknowledged. */
  writeApplied(node: SimNode, value: number, pos: number): void {
    const pending = node.pendingWrites.get(value);
    if (pending === undefined) return;
    node.pendingWrites.delete(value);
    const c = this.clients[pending.client] as Client;
    if (c.op?.id !== pending.op) return;
    this.ackedPrefix = Math.max(this.ackedPrefix, pos + 1);
    this.writesAcked++;
    this.world.note(`client ${c.id} write ${value} acknowledged by node ${node.id} at position ${pos}`);
    this.finish(c);
  }

  /** A confirmed read at `read.index` that the node has now applied: its answer is the whole list. */
  readDone(node: SimNode, read: PendingRead): void {
    const seen = node.values.length;
    if (seen < read.required) {
      this.world.checker.fail('linearizable-read', `read ${read.ctx} invoked at ${read.invokedMs}ms on node ${node.id} returned ${seen} values (read index ${read.index}, applied ${node.applied}) but ${read.required} were acknowledged or read before it was invoked; missing value ${this.world.checker.canon[seen]}`);
    }
    this.observedPrefix = Math.max(this.observedPrefix, seen);
    this.readsOk++;
    const c = this.clients[read.client] as Client;
    this.world.note(`client ${c.id} read ${read.ctx} on node ${node.id} returned ${seen} values (index ${read.index})`);
    if (c.op?.id === read.op) this.finish(c);
  }

  private finish(c: Client): void {
    c.op = undefined;
    this.world.schedule(this.world.params.thinkMs, { kind: 'client', client: c.id, op: c.opSeq + 1 });
  }
}

const readCtx = (c: Client, op: Op): string => `c${c.id}.${op.id}.${op.attempt}`;

const describe = (op: Op): string => (op.kind === 'write' ? `write ${op.value}` : `read op#${op.id}`);
