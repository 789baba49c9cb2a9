// An idempotent acks=all producer in a process of its own, run inside a chaos net's namespace (the
// test process has no route into the net), writing to one partition and printing its history: one
// JSON line per event on stdout (data-history.ts reads them).
//
//   {"type":"producer","producerId":7000,"producerEpoch":0,"time":...}   a session (InitProducerId)
//   {"type":"invoke","value":12,"time":...}                             value = send order, from 0
//   {"type":"ok","value":12,"offset":34,"node":2,"epoch":1,"attempts":1,"offsets":[34],"time":...}
//   {"type":"retry","value":12,"node":1,"error":"NOT_LEADER_OR_FOLLOWER","time":...}   a failed attempt
//   {"type":"fail"|"info","value":12,"error":"...","time":...}          given up: surely not / maybe written
//   {"type":"leader","node":2,"epoch":5,"from":"10.77.3.1:9092","time":...}   the leader it now writes to
//   {"type":"done","time":...}                                          after "stop" on stdin, all ops settled
//
// Each record is one batch whose value is the decimal value; the batch carries the session's
// producer id, epoch and sequence. Up to `window` produce requests are in flight on one connection
// to the leader (max.in.flight.requests.per.connection), in order. The first failed answer closes
// the connection and every unacknowledged batch is sent again, in order, to the leader the freshest
// metadata names: an idempotent producer's retries keep their sequence, so the broker answers a
// retry of a batch it holds with the original offset. `offsets` lists every offset any attempt was
// acknowledged with (a duplicate answered with another offset than the first would show there).
// An operation still unacknowledged after `opDeadlineMs` (delivery.timeout.ms) is given up together
// with every one behind it (they share the sequence), as `info` if some attempt may have appended
// it and `fail` if none can have; the producer then starts a new session.
//
// Usage: node data-producer-agent.js HOST:PORT,... TOPIC PARTITION '{"window":5,...}'
import { setTimeout as delay } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { errorNameForCode } from '../../src/metadata/errors.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { produceBody, requestInitProducerId, requestProduce } from '../support/kafka-requests.js';
import { KafkaConnection, KafkaWireError, label, parseBootstrap, withConnection, type BrokerAddress } from '../support/kafka-wire.js';
import { CLIENT_ID, exitAfterOutput, findLeader, type PartitionLeader } from './data-kafka-client.js';

export interface ProducerOptions {
  /** Produce requests in flight at once (1..5: the broker deduplicates over the last 5 batches). */
  readonly window: number;
  /**
   * A cap on invocations per second (the cluster shares a small machine with other tests). The
   * budget accrues up to `window` operations, so a full window goes out at once and the pipeline
   * is used even when the broker answers faster than the cap.
   */
  readonly opsPerSecondMax: number;
  /** delivery.timeout.ms: an operation unacknowledged for this long is given up. */
  readonly opDeadlineMs: number;
  /** The produce request's timeout_ms: how long the leader may wait for the HW. */
  readonly produceTimeoutMs: number;
  /** A bound on the whole run's operations. */
  readonly opsMax: number;
}

const RETRY_BACKOFF_MS = 100;
const CONNECT_TIMEOUT_MS = 2_000;
const METADATA_TIMEOUT_MS = 2_000;
/** The client waits this much longer than the broker may take before calling a request lost. */
const REQUEST_SLACK_MS = 2_000;
/** How long the producer tries to get a producer id before it gives up altogether. */
const SESSION_DEADLINE_MS = 60_000;

/** Errors a broker answers without having appended the batch. Any other answer may follow an append. */
const NOT_APPENDED = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_ENOUGH_REPLICAS', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID', 'CORRUPT_MESSAGE', 'MESSAGE_TOO_LARGE', 'INVALID_RECORD',
]);
/**
 * Errors that no retry of the oldest batch can cure: its predecessor was acknowledged, so a broker
 * that does not accept its sequence has lost track of the producer. The session ends.
 */
const SESSION_FATAL = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'UNKNOWN_PRODUCER_ID']);

type Attempt =
  | { readonly kind: 'ok'; readonly offset: number; readonly node: number; readonly epoch: number }
  | { readonly kind: 'error'; readonly error: string; readonly maybeAppended: boolean; readonly node: number };

interface Op {
  readonly value: number;
  readonly batch: Buffer;
  readonly deadline: number;
  attempts: number;
  maybeAppended: boolean;
  lastError: string;
  readonly offsets: number[];
  sentOn: KafkaConnection | undefined;
  result: Promise<Attempt> | undefined;
}

interface Session {
  readonly producerId: number;
  readonly producerEpoch: number;
  nextSequence: number;
}

/** Takes in the outcome of `op`'s attempt on a connection that is closed now. */
async function fold(op: Op): Promise<void> {
  const a = await op.result!;
  if (a.kind === 'ok') {
    op.offsets.push(a.offset);
    op.maybeAppended = true;
  } else {
    op.maybeAppended ||= a.maybeAppended;
    op.lastError = a.error;
  }
  op.sentOn = undefined;
  op.result = undefined;
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...event, time: Date.now() })}\n`);
}

class Producer {
  private readonly outstanding: Op[] = [];
  private session: Session | undefined;
  private leader: PartitionLeader | undefined;
  private newestEpoch = -1;
  private conn: KafkaConnection | undefined;
  private nextValue = 0;
  /** Invocations the rate cap allows now (a token bucket of `window` tokens). */
  private budget = 0;
  private budgetAt = Date.now();
  private stopping = false;

  constructor(
    private readonly brokers: readonly BrokerAddress[],
    private readonly topic: string,
    private readonly partition: number,
    private readonly options: ProducerOptions,
  ) {}

  stop(): void {
    this.stopping = true;
  }

  /**
   * The operations in flight are always a prefix of `outstanding`, all on one connection, so the
   * broker sees them in send order; the rest join that connection as the window opens.
   */
  async run(): Promise<void> {
    await this.newSession();
    for (;;) {
      const first = this.outstanding[0];
      if (first !== undefined && Date.now() > first.deadline) {
        await this.giveUp(`unacknowledged after ${this.options.opDeadlineMs} ms`);
        continue;
      }
      this.fillWindow();
      const oldest = this.outstanding[0];
      if (oldest === undefined) {
        if (this.stopping || this.nextValue >= this.options.opsMax) return;
        await delay(Math.max(1, Math.ceil((1 - this.budget) * 1000 / this.options.opsPerSecondMax)));
        continue;
      }
      const conn = oldest.sentOn ?? (await this.leaderConnection());
      if (conn === undefined) continue;
      for (const op of this.outstanding) if (op.sentOn === undefined) this.send(op, conn);
      await this.settleOldest(conn);
    }
  }

  private fillWindow(): void {
    const now = Date.now();
    this.budget = Math.min(this.options.window, this.budget + ((now - this.budgetAt) * this.options.opsPerSecondMax) / 1000);
    this.budgetAt = now;
    while (this.outstanding.length < this.options.window && !this.stopping && this.nextValue < this.options.opsMax && this.budget >= 1) {
      this.budget--;
      const s = this.session!;
      const value = this.nextValue++;
      const batch = encodeBatch({
        records: [{ value: Buffer.from(String(value)) }],
        baseTimestamp: Date.now(),
        producerId: s.producerId, producerEpoch: s.producerEpoch, baseSequence: s.nextSequence++,
      });
      emit({ type: 'invoke', value });
      this.outstanding.push({ value, batch, deadline: Date.now() + this.options.opDeadlineMs, attempts: 0, maybeAppended: false, lastError: '', offsets: [], sentOn: undefined, result: undefined });
    }
  }

  /** A connection to the leader the freshest metadata names; undefined (after a backoff) if none. */
  private async leaderConnection(): Promise<KafkaConnection | undefined> {
    if (this.conn !== undefined && this.conn.isOpen) return this.conn;
    this.conn = undefined;
    const found = await findLeader(this.brokers, this.topic, this.partition, METADATA_TIMEOUT_MS);
    // Never back to an older epoch than one seen (a cut-off broker still names itself leader).
    if (found === undefined || found.leaderEpoch < this.newestEpoch) {
      await delay(RETRY_BACKOFF_MS);
      return undefined;
    }
    if (this.leader?.leaderId !== found.leaderId || this.leader.leaderEpoch !== found.leaderEpoch) {
      emit({ type: 'leader', node: found.leaderId, epoch: found.leaderEpoch, from: found.from });
    }
    this.leader = found;
    this.newestEpoch = found.leaderEpoch;
    try {
      this.conn = await KafkaConnection.connect(found.address, { connectTimeoutMs: CONNECT_TIMEOUT_MS, clientId: CLIENT_ID });
      return this.conn;
    } catch (error) {
      if (!(error instanceof KafkaWireError)) throw error;
      await delay(RETRY_BACKOFF_MS);
      return undefined;
    }
  }

  private send(op: Op, conn: KafkaConnection): void {
    op.attempts++;
    op.sentOn = conn;
    const node = this.leader?.leaderId ?? -1;
    const epoch = this.leader?.leaderEpoch ?? -1;
    const body = produceBody(this.topic, -1, this.options.produceTimeoutMs, new Map([[this.partition, op.batch]]));
    op.result = requestProduce(conn, body, this.options.produceTimeoutMs + REQUEST_SLACK_MS).then(
      (response): Attempt => {
        const p = response.responses[0]?.partitionResponses[0];
        if (p === undefined) return { kind: 'error', error: 'a produce response without the partition', maybeAppended: true, node };
        if (p.errorCode === 0) return { kind: 'ok', offset: p.baseOffset, node, epoch };
        const error = errorNameForCode(p.errorCode);
        return { kind: 'error', error: p.errorMessage ? `${error}: ${p.errorMessage}` : error, maybeAppended: !NOT_APPENDED.has(error), node };
      },
      (error: unknown): Attempt => {
        if (!(error instanceof KafkaWireError)) throw error;
        return { kind: 'error', error: `${error.code}: ${error.message}`, maybeAppended: error.sent, node };
      },
    );
  }

  /** Waits for the oldest operation's answer on `conn`; on an error, ends this round of sends. */
  private async settleOldest(conn: KafkaConnection): Promise<void> {
    const oldest = this.outstanding[0]!;
    const attempt = await oldest.result!;
    if (attempt.kind === 'ok') {
      oldest.offsets.push(attempt.offset);
      this.outstanding.shift();
      emit({ type: 'ok', value: oldest.value, offset: attempt.offset, node: attempt.node, epoch: attempt.epoch, attempts: oldest.attempts, offsets: oldest.offsets });
      return;
    }
    emit({ type: 'retry', value: oldest.value, node: attempt.node, error: attempt.error });
    // Every later request on this connection is abandoned; its outcome still says whether it may
    // have appended (an `ok` that came in before the close certainly did, at that offset).
    conn.close();
    if (this.conn === conn) this.conn = undefined;
    for (const op of this.outstanding) if (op.sentOn === conn) await fold(op);
    if (SESSION_FATAL.has(attempt.error.split(':')[0]!)) {
      await this.giveUp(`${attempt.error} for the oldest unacknowledged batch`);
      return;
    }
    await delay(RETRY_BACKOFF_MS);
  }

  /** Gives up every outstanding operation (they share the session's sequence) and starts a new session. */
  private async giveUp(reason: string): Promise<void> {
    this.conn?.close();
    this.conn = undefined;
    for (const op of this.outstanding) {
      op.sentOn?.close();
      if (op.sentOn !== undefined) await fold(op);
    }
    for (const op of this.outstanding.splice(0)) {
      emit({ type: op.maybeAppended ? 'info' : 'fail', value: op.value, error: `${reason}; last: ${op.lastError}`, attempts: op.attempts, offsets: op.offsets });
    }
    await this.newSession();
  }

  /** InitProducerId from any broker that answers; a fresh id and sequence 0. */
  private async newSession(): Promise<void> {
    const giveUpAt = Date.now() + SESSION_DEADLINE_MS;
    const errors: string[] = [];
    for (let i = 0; Date.now() < giveUpAt; i++) {
      const broker = this.brokers[i % this.brokers.length]!;
      try {
        const answer = await withConnection(broker, (conn) => requestInitProducerId(conn, {
          transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1,
        }, METADATA_TIMEOUT_MS), { connectTimeoutMs: CONNECT_TIMEOUT_MS, clientId: CLIENT_ID });
        if (answer.errorCode === 0) {
          this.session = { producerId: answer.producerId, producerEpoch: answer.producerEpoch, nextSequence: 0 };
          emit({ type: 'producer', producerId: answer.producerId, producerEpoch: answer.producerEpoch, from: label(broker) });
          return;
        }
        errors.push(`${label(broker)}: ${errorNameForCode(answer.errorCode)}`);
      } catch (error) {
        if (!(error instanceof KafkaWireError)) throw error;
        errors.push(error.message);
      }
      await delay(RETRY_BACKOFF_MS);
    }
    throw new Error(`no producer id within ${SESSION_DEADLINE_MS} ms: ${errors.slice(-5).join('; ')}`);
  }
}

async function main(): Promise<void> {
  const [bootstrap, topic, partition, optionsJson] = process.argv.slice(2);
  if (bootstrap === undefined || topic === undefined || partition === undefined || optionsJson === undefined) {
    throw new Error('usage: data-producer-agent.js HOST:PORT,... TOPIC PARTITION OPTIONS_JSON');
  }
  const producer = new Producer(parseBootstrap(bootstrap), topic, Number(partition), JSON.parse(optionsJson) as ProducerOptions);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'stop') producer.stop();
  });
  lines.on('close', () => producer.stop());
  await producer.run();
  emit({ type: 'done' });
  exitAfterOutput(0);
}

main().catch((error: unknown) => {
  emit({ type: 'crash', error: error instanceof Error ? error.stack ?? error.message : String(error) });
  exitAfterOutput(1);
});
