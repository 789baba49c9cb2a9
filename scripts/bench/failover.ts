// Leader failover as a producer sees it: one record at a time with acks=all to one partition, kill -9
// of that partition's leader, and the time from the kill until the first acknowledgement of a
// request sent after it. The producer behaves like a Kafka client: on NOT_LEADER_OR_FOLLOWER, a
// timeout or a broken connection it backs off `retryBackoffMs`, refreshes metadata from any broker
// that answers and retries at the leader it names.
//
// The partition chosen is one whose leader is not the active controller, so a round measures the
// data plane's failover (fencing of the dead broker, a new leader, the ISR without it), not a raft
// election as well; each round says whom it killed and whether that was the controller.
import type { LocalCluster } from '../../src/server/local-cluster.js';
import { nodeId } from '../../src/raft/core/types.js';
import { produceBody, requestProduce } from '../../test/support/kafka-requests.js';
import { KafkaWireError, type KafkaConnection } from '../../test/support/kafka-wire.js';
import { connectTo, errorName, fetchMetadata, layoutOf, sleep, waitForLayout, type TopicLayout } from './client.js';
import { buildBatch } from './records.js';
import { median, round1 } from './stats.js';

export interface FailoverOptions {
  readonly cluster: LocalCluster;
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly rounds: number;
  readonly retryBackoffMs: number;
  readonly requestTimeoutMs: number;
}

export interface FailoverRound {
  readonly partition: number;
  readonly killed: number;
  readonly killedWasController: boolean;
  readonly newLeader: number;
  readonly failoverMs: number;
  /** What the producer met between the kill and the first acknowledgement, with counts. */
  readonly errorsSeen: Readonly<Record<string, number>>;
}

export interface FailoverResult {
  readonly rounds: readonly FailoverRound[];
  readonly medianMs: number;
  readonly maxMs: number;
}

const SUCCESSES_BEFORE_KILL = 20;
const FAILOVER_MS_MAX = 120_000;
const FULL_ISR_WAIT_MS = 60_000;

export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const rounds: FailoverRound[] = [];
  for (let i = 0; i < o.rounds; i++) {
    const layout = await waitForLayout(o.bootstrap, o.topic, (l) => l.partitions.every((p) => p.isr.length === p.replicas.length), FULL_ISR_WAIT_MS);
    const target = layout.partitions.find((p) => p.leader !== layout.controllerId) ?? layout.partitions[0]!;
    const producer = new OneAtATimeProducer(o, target.partition);
    const running = producer.run();
    try {
      await producer.successes(SUCCESSES_BEFORE_KILL, FAILOVER_MS_MAX);
      const killedAt = performance.now();
      producer.markKill(killedAt);
      await o.cluster.kill(nodeId(target.leader));
      const ack = await producer.firstAckSentAfter(killedAt, FAILOVER_MS_MAX);
      rounds.push({
        partition: target.partition,
        killed: target.leader,
        killedWasController: target.leader === layout.controllerId,
        newLeader: ack.leader,
        failoverMs: round1(ack.ackedMs - killedAt),
        errorsSeen: producer.errorsSinceKill,
      });
    } finally {
      producer.stop();
      await running;
    }
    await o.cluster.restart(nodeId(target.leader));
    await o.cluster.waitBrokersUnfenced();
  }
  const samples = rounds.map((r) => r.failoverMs);
  return { rounds, medianMs: round1(median(samples)), maxMs: Math.max(...samples) };
}

interface Ack {
  readonly sentMs: number;
  readonly ackedMs: number;
  readonly leader: number;
}

class OneAtATimeProducer {
  private stopped = false;
  private wire: KafkaConnection | undefined;
  private leader = -1;
  private acks: Ack[] = [];
  private killedAt = Infinity;
  readonly errorsSinceKill: Record<string, number> = {};
  private readonly waiters = new Set<() => void>();

  constructor(private readonly o: FailoverOptions, private readonly partition: number) {}

  stop(): void {
    this.stopped = true;
    this.wire?.close();
  }

  markKill(atMs: number): void {
    this.killedAt = atMs;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.produceOne();
      } catch (error) {
        if (this.stopped) return;
        this.noteError(error instanceof KafkaWireError ? 'CONNECTION' : error instanceof Error ? error.message : String(error));
        this.wire?.close();
        this.wire = undefined;
        await sleep(this.o.retryBackoffMs);
      }
    }
  }

  private async produceOne(): Promise<void> {
    if (this.wire === undefined || !this.wire.isOpen) await this.connectToLeader();
    const wire = this.wire!;
    const body = produceBody(this.o.topic, -1, this.o.requestTimeoutMs, new Map([[this.partition, buildBatch([Buffer.alloc(100, 0x61)], Date.now())]]));
    const sentMs = performance.now();
    const response = await requestProduce(wire, body);
    const ackedMs = performance.now();
    const code = response.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
    if (code !== 0) throw new Error(errorName(code));
    this.acks.push({ sentMs, ackedMs, leader: this.leader });
    if (this.acks.length > 1000) this.acks = this.acks.slice(-100);
    for (const wake of this.waiters) wake();
  }

  private async connectToLeader(): Promise<void> {
    const layout: TopicLayout | undefined = layoutOf(await fetchMetadata(this.o.bootstrap, [this.o.topic]), this.o.topic);
    const p = layout?.partitions.find((x) => x.partition === this.partition);
    const address = p === undefined ? undefined : layout!.brokers.get(p.leader);
    if (p === undefined || address === undefined) throw new Error('LEADER_NOT_AVAILABLE');
    this.wire = await connectTo(address);
    this.leader = p.leader;
  }

  private noteError(name: string): void {
    if (performance.now() >= this.killedAt) this.errorsSinceKill[name] = (this.errorsSinceKill[name] ?? 0) + 1;
  }

  private waitFor<T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`failover: no ${what} within ${timeoutMs} ms (errors: ${JSON.stringify(this.errorsSinceKill)})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  successes(n: number, timeoutMs: number): Promise<true> {
    return this.waitFor(() => (this.acks.length >= n ? true : undefined), timeoutMs, `${n} acknowledgements before the kill`);
  }

  firstAckSentAfter(atMs: number, timeoutMs: number): Promise<Ack> {
    return this.waitFor(() => this.acks.find((a) => a.sentMs >= atMs), timeoutMs, 'acknowledgement after the kill');
  }
}
