// The bench client's view of a cluster: metadata (who leads what, at which address), topic
// creation, and one connection per broker per purpose. The wire and the request helpers are the
// tests' own (test/support/kafka-wire.ts, kafka-requests.ts): non-flexible versions only, prebuilt
// Produce and Fetch bodies sent as they are.
import { KAFKA_ERRORS } from '../../src/metadata/errors.js';
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { fetchBody, requestCreateTopics, requestFetch, requestMetadata } from '../../test/support/kafka-requests.js';
import { KafkaConnection, withConnection } from '../../test/support/kafka-wire.js';

/** The client id of every bench connection. */
export const CLIENT_ID = 'flotilla-bench';
const ADMIN_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

const ERROR_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(KAFKA_ERRORS).map(([name, e]) => [e.code, name]));
export const errorName = (code: number): string => ERROR_NAMES.get(code) ?? `error ${code}`;
export const NOT_LEADER_OR_FOLLOWER = KAFKA_ERRORS.NOT_LEADER_OR_FOLLOWER.code;

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicLayout {
  readonly topic: string;
  readonly partitions: readonly PartitionInfo[];
  /** broker id -> host:port */
  readonly brokers: ReadonlyMap<number, string>;
  readonly controllerId: number;
}

/** Sends one Metadata request for `topics` to the first broker of `bootstrap` that answers. */
export async function fetchMetadata(bootstrap: readonly string[], topics: readonly string[]): Promise<MetadataResponse> {
  let last: unknown;
  for (const address of bootstrap) {
    try {
      return await withConnection(address, (conn) => requestMetadata(conn, topics), { clientId: CLIENT_ID });
    } catch (error) {
      last = error;
    }
  }
  throw new Error(`no broker of ${bootstrap.join(',')} answered Metadata: ${String(last)}`);
}

/** The topic's partitions as Metadata shows them, or undefined while it is unknown or leaderless. */
export function layoutOf(m: MetadataResponse, topic: string): TopicLayout | undefined {
  const t = m.topics.find((x) => x.name === topic);
  if (t === undefined || t.errorCode !== 0 || t.partitions.length === 0) return undefined;
  if (t.partitions.some((p) => p.errorCode !== 0 || p.leaderId < 0)) return undefined;
  const partitions = [...t.partitions]
    .sort((a, b) => a.partitionIndex - b.partitionIndex)
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes }));
  return { topic, partitions, brokers: new Map(m.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`])), controllerId: m.controllerId };
}

/**
 * Creates `topic` with `partitions` partitions of `replicationFactor` replicas, the preferred leader
 * of partition i being broker i mod n (in id order), so leaders spread evenly; then waits until
 * Metadata shows a leader for every partition.
 */
export async function createTopic(bootstrap: readonly string[], topic: string, partitions: number, replicationFactor: number): Promise<TopicLayout> {
  const brokerIds = await waitForBrokers(bootstrap, replicationFactor);
  const assignments = Array.from({ length: partitions }, (_, i) => ({
    partitionIndex: i,
    brokerIds: Array.from({ length: replicationFactor }, (_, k) => brokerIds[(i + k) % brokerIds.length]!),
  }));
  const request = {
    topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments, configs: [] }],
    timeoutMs: ADMIN_TIMEOUT_MS,
    validateOnly: false,
  };
  const result = (await withConnection(bootstrap[0]!, (conn) => requestCreateTopics(conn, request), { clientId: CLIENT_ID })).topics[0];
  if (result === undefined || result.errorCode !== 0) throw new Error(`CreateTopics ${topic}: ${errorName(result?.errorCode ?? -1)} ${result?.errorMessage ?? ''}`);
  const ready = (l: TopicLayout) => l.partitions.length === partitions && l.partitions.every((p) => p.isr.length === replicationFactor);
  const layout = await waitForLayout(bootstrap, topic, ready);
  // Every broker applies the new image on its own; a leader that has not yet answers
  // UNKNOWN_TOPIC_OR_PARTITION. Wait until each one's own Metadata shows the topic.
  for (const address of layout.brokers.values()) await waitForLayout([address], topic, ready);
  await waitForLeaders(layout);
  return layout;
}

/**
 * Waits until every leader serves its partitions: its replica manager applies an image after its
 * Metadata answers from it, and until then a Fetch or Produce gets UNKNOWN_TOPIC_OR_PARTITION or
 * NOT_LEADER_OR_FOLLOWER. Probes with a Fetch at offset 0 that does not wait.
 */
export async function waitForLeaders(layout: TopicLayout, timeoutMs = ADMIN_TIMEOUT_MS): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs;
  for (const [leader, partitions] of byLeader(layout)) {
    const conn = await connectTo(leaderAddress(layout, leader));
    try {
      const body = fetchBody(layout.topic, partitions.map((partition) => ({ partition, offset: 0 })), { maxWaitMs: 0, minBytes: 1, partitionMaxBytes: 1024 });
      for (let last = ''; ; await sleep(POLL_MS)) {
        if (performance.now() > giveUpAt) throw new Error(`broker ${leader} does not serve ${layout.topic} within ${timeoutMs} ms (${last})`);
        const errors = (await requestFetch(conn, body)).responses.flatMap((t) => t.partitions.filter((p) => p.errorCode !== 0));
        if (errors.length === 0) break;
        last = errors.map((p) => `${p.partitionIndex}: ${errorName(p.errorCode)}`).join(', ');
      }
    } finally {
      conn.close();
    }
  }
}

/** The ids of the brokers Metadata lists, once there are at least `count` (a broker's image may lag its registration). */
async function waitForBrokers(bootstrap: readonly string[], count: number, timeoutMs = ADMIN_TIMEOUT_MS): Promise<number[]> {
  const giveUpAt = performance.now() + timeoutMs;
  for (;;) {
    const ids = (await fetchMetadata(bootstrap, [])).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    if (ids.length >= count) return ids;
    if (performance.now() > giveUpAt) throw new Error(`${ids.length} brokers in the metadata after ${timeoutMs} ms; ${count} are needed`);
    await sleep(POLL_MS);
  }
}

/** Polls Metadata until `ready` holds for the topic's layout. */
export async function waitForLayout(bootstrap: readonly string[], topic: string, ready: (l: TopicLayout) => boolean, timeoutMs = ADMIN_TIMEOUT_MS): Promise<TopicLayout> {
  const giveUpAt = performance.now() + timeoutMs;
  let last: TopicLayout | undefined;
  while (performance.now() < giveUpAt) {
    last = layoutOf(await fetchMetadata(bootstrap, [topic]).catch(() => emptyMetadata), topic);
    if (last !== undefined && ready(last)) return last;
    await sleep(POLL_MS);
  }
  throw new Error(`topic ${topic} not ready within ${timeoutMs} ms (last seen: ${JSON.stringify(last?.partitions ?? null)})`);
}

const emptyMetadata: MetadataResponse = { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, topics: [], clusterAuthorizedOperations: 0 };

/** Partitions grouped by their leader: one connection (or set of lanes) per leader. */
export function byLeader(layout: TopicLayout): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const p of layout.partitions) out.set(p.leader, [...(out.get(p.leader) ?? []), p.partition]);
  return out;
}

/** A bench connection to `address` allowing `inFlightMax` requests at once (the default: IN_FLIGHT_MAX). */
export const connectTo = (address: string, inFlightMax?: number): Promise<KafkaConnection> => KafkaConnection.connect(address, { clientId: CLIENT_ID, inFlightMax });

export function leaderAddress(layout: TopicLayout, leader: number): string {
  const address = layout.brokers.get(leader);
  if (address === undefined) throw new Error(`broker ${leader} is not in the metadata`);
  return address;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
