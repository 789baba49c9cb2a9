// A follower's fetch, in three steps the simulator runs as separate events: the request as the
// follower builds it (follower-fetcher.ts, LeaderFetcher.fetchOnce: fetch offset = log end, last
// fetched epoch = the epoch of the last batch, current leader epoch = the partition's), the
// leader's answer (serveFollowerFetch, with no long-poll wait), and the follower applying each
// partition of it (applyFetchedPartition). Between them lie the network's delay, loss and cuts.
//
// The planted bugs of the fetch path live here, as wrappers around the real functions.
import { serveFollowerFetch } from '../../../src/broker/replica/leader-fetch.js';
import { applyFetchedPartition } from '../../../src/broker/replica/follower-fetcher.js';
import type { replicapb } from '../../../src/broker/replica/replica-service.js';
import { readBatchHeader, lastOffsetOf } from '../../../src/broker/log/record-batch.js';
import { offset } from '../../../src/broker/log/types.js';
import { NO_LEADER, brokerId, uuidToBytes, type LeaderEpoch, type TopicId } from '../../../src/metadata/types.js';
import { silentLogger } from '../../../src/util/log.js';
import type { SimBroker } from './broker.js';
import type { ReplPlantedBug } from './params.js';

/** The partitions `follower` follows, grouped by the leader it believes in. */
export function leadersFollowed(follower: SimBroker, topicId: TopicId, partitions: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < partitions; i++) {
    const role = follower.partition(topicId, i)?.role;
    if (role?.kind !== 'follower' || role.leader === NO_LEADER) continue;
    out.set(role.leader, [...(out.get(role.leader) ?? []), i]);
  }
  return out;
}

/** The request `follower` sends for `indexes`, and the epoch each partition is fetched at. */
export function buildFetch(follower: SimBroker, topicId: TopicId, indexes: readonly number[], partitionBytesMax: number): { request: replicapb.IFetchRequest; epochs: Map<number, LeaderEpoch> } {
  const epochs = new Map<number, LeaderEpoch>();
  const partitions: replicapb.IFetchPartition[] = [];
  for (const i of indexes) {
    const p = follower.partition(topicId, i)!;
    const epoch = p.leaderEpoch as LeaderEpoch;
    epochs.set(i, epoch);
    partitions.push({ topicId: uuidToBytes(topicId), partition: i, currentLeaderEpoch: epoch, fetchOffset: p.log.logEndOffset, lastFetchedEpoch: p.log.latestEpoch ?? -1, logStartOffset: p.log.logStartOffset, partitionMaxBytes: partitionBytesMax });
  }
  const request = { replicaId: follower.id, brokerEpoch: follower.epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 10 * partitionBytesMax, partitions };
  return { request, epochs };
}

/** The leader's answer, copied as the wire would (the follower must not share the leader's buffers). */
export async function serveFetch(leader: SimBroker, request: replicapb.IFetchRequest, topicId: TopicId, bugs: ReadonlySet<ReplPlantedBug>): Promise<replicapb.IFetchResponse> {
  const manager = leader.manager!;
  const sent = bugs.has('no-divergence-check') ? { ...request, partitions: (request.partitions ?? []).map((p) => ({ ...p, lastFetchedEpoch: -1 })) } : request;
  const response = await serveFollowerFetch(manager, sent);
  if (bugs.has('hw-on-send')) recordWhatWasSent(leader, request, response, topicId);
  return { ...response, partitions: (response.partitions ?? []).map((d) => ({ ...d, ...(d.records == null ? {} : { records: Buffer.from(d.records) }) })) };
}

/** Planted hw-on-send: the leader takes the end of what it sent as the follower's log end. */
function recordWhatWasSent(leader: SimBroker, request: replicapb.IFetchRequest, response: replicapb.IFetchResponse, topicId: TopicId): void {
  const manager = leader.manager!;
  for (const d of response.partitions ?? []) {
    const records = d.records;
    const p = leader.partition(topicId, d.partition ?? -1);
    if (records == null || records.length === 0 || p === undefined) continue;
    const buf = Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    let end = 0;
    for (let pos = 0; pos < buf.length; ) {
      const h = readBatchHeader(buf, pos);
      end = lastOffsetOf(h) + 1;
      pos += h.sizeBytes;
    }
    p.onFollowerFetch(brokerId(request.replicaId ?? -1), offset(end), manager.minIsr(p.key.topic));
  }
}

export interface AppliedReply {
  /** What the follower did with each partition ("p0 appended end 3->5 hw 3->5", "p1 truncated ..."). */
  readonly notes: readonly string[];
  readonly truncations: number;
  /** Records came or a log was cut: the fetcher asks again at once instead of waiting out a long poll. */
  readonly progressed: boolean;
}

export async function applyFetchReply(follower: SimBroker, topicId: TopicId, epochs: ReadonlyMap<number, LeaderEpoch>, response: replicapb.IFetchResponse, bugs: ReadonlySet<ReplPlantedBug>): Promise<AppliedReply> {
  if ((response.error ?? '') !== '') return { notes: [`refused: ${response.error}`], truncations: 0, progressed: false };
  const outcomes: string[] = [];
  let truncations = 0;
  let progressed = false;
  for (const data of response.partitions ?? []) {
    const index = data.partition ?? -1;
    const p = follower.partition(topicId, index);
    const epoch = epochs.get(index);
    if (p === undefined || epoch === undefined) continue;
    if (bugs.has('follower-ignores-divergence') && data.divergingEpoch != null) {
      outcomes.push(`p${index} ignored the divergence`);
      continue;
    }
    const before = { end: p.log.logEndOffset, hw: p.highWatermark };
    const outcome = await applyFetchedPartition(p, epoch, data, silentLogger);
    if (outcome === 'truncated') truncations++;
    progressed ||= outcome === 'truncated' || (outcome === 'appended' && p.log.logEndOffset !== before.end);
    outcomes.push(`p${index} ${outcome} end ${before.end}->${p.log.logEndOffset} hw ${before.hw}->${p.highWatermark}`);
  }
  return { notes: outcomes, truncations, progressed };
}
