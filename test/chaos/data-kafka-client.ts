// Leader discovery for the data-plane chaos agents (data-producer-agent.ts, data-read-agent.ts),
// over the shared raw wire (test/support/kafka-wire.ts): flotilla's own codecs, so that every
// request, attempt and answer can be recorded; a library client retries and reorders out of sight,
// and a history must see each attempt.
import { requestMetadata } from '../support/kafka-requests.js';
import { label, withConnection, type BrokerAddress } from '../support/kafka-wire.js';

/** The client id of every chaos agent's request. */
export const CLIENT_ID = 'flotilla-chaos-data';

export interface PartitionLeader {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly address: BrokerAddress;
  readonly isr: readonly number[];
  /** The broker whose answer this is. */
  readonly from: string;
}

/** One broker's view of `topic`-`partition`, or undefined if it has none with a leader. */
export async function metadataFrom(address: BrokerAddress, topic: string, partition: number, timeoutMs: number): Promise<PartitionLeader | undefined> {
  const response = await withConnection(address, (conn) => requestMetadata(conn, [topic], timeoutMs), { connectTimeoutMs: timeoutMs, clientId: CLIENT_ID });
  const p = response.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (p === undefined || p.errorCode !== 0 || p.leaderId < 0) return undefined;
  const broker = response.brokers.find((b) => b.nodeId === p.leaderId);
  if (broker === undefined) return undefined;
  return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, address: { host: broker.host, port: broker.port }, isr: p.isrNodes, from: label(address) };
}

/**
 * Asks every broker at once and believes the answer with the newest leader epoch: a broker cut
 * off from the controller still names itself leader under its old epoch (as Kafka clients since
 * KIP-320 do, never going back to an older epoch than one already seen).
 */
export async function findLeader(brokers: readonly BrokerAddress[], topic: string, partition: number, timeoutMs: number): Promise<PartitionLeader | undefined> {
  const answers = await Promise.allSettled(brokers.map((b) => metadataFrom(b, topic, partition, timeoutMs)));
  let best: PartitionLeader | undefined;
  for (const a of answers) {
    if (a.status === 'fulfilled' && a.value !== undefined && (best === undefined || a.value.leaderEpoch > best.leaderEpoch)) best = a.value;
  }
  return best;
}

/**
 * Exits once everything written to stdout is out: a pipe is written asynchronously, and
 * process.exit() would drop what is still queued (the history's last lines).
 */
export function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
