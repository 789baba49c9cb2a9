// A leader answering its followers' fetches (the Replica.Fetch RPC). For each partition: check the
// follower's leader epoch, look for divergence from the epoch of its last batch (KIP-320), record
// its position (which may move the HW and complete acks=all produces), then read from its offset
// to the log end. When nothing is there to send, the request waits (long polling) until any of its
// partitions grows or `max_wait_ms` passes.
import { brokerId, uuidFromBytes, uuidToBytes, type LeaderEpoch, type TopicId } from '../../metadata/types.js';
import { LogError } from '../log/errors.js';
import { offset } from '../log/types.js';
import { budgetFor } from './consumer-fetch.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';
import type { replicapb } from './replica-service.js';

interface Requested {
  readonly p: Partition | undefined;
  readonly req: replicapb.IFetchPartition;
}

export async function serveFollowerFetch(rm: ReplicaManager, request: replicapb.IFetchRequest): Promise<replicapb.IFetchResponse> {
  const follower = brokerId(request.replicaId ?? -1);
  const registered = rm.currentImage?.brokers.get(follower);
  if (registered !== undefined && (request.brokerEpoch ?? -1) < registered.epoch) return { error: 'STALE_BROKER_EPOCH', partitions: [] };
  const requested: Requested[] = (request.partitions ?? []).map((req) => ({ req, p: lookUp(rm, req) }));
  const maxWaitMs = Math.min(request.maxWaitMs ?? 0, rm.config.replicaFetchWaitMsMax);
  const maxBytes = request.maxBytes ?? rm.config.replicaFetchResponseBytesMax;
  const minBytes = request.minBytes ?? 1;
  // Positions are recorded once, before any wait: they are what the follower holds now.
  const ready = requested.map((r) => ({ ...r, check: checkAndRecord(rm, follower, r) }));
  let answer = await readAll(ready, maxBytes);
  if (answer.bytes >= Math.max(1, minBytes) || maxWaitMs <= 0) return answer.response;
  const readable = ready.filter((r) => r.check === undefined && r.p !== undefined).map((r) => r.p!);
  const ends = new Map(readable.map((p) => [p, p.log.logEndOffset]));
  const grown = () => readable.some((p) => p.log.logEndOffset > ends.get(p)! || !p.isActiveLeader);
  await rm.purgatory.waitFor(readable, ['append', 'role'], grown, maxWaitMs);
  answer = await readAll(ready, maxBytes);
  return answer.response;
}

function lookUp(rm: ReplicaManager, req: replicapb.IFetchPartition): Partition | undefined {
  const id = uuidFromBytes(req.topicId ?? new Uint8Array());
  return id === undefined ? undefined : rm.partition(id as TopicId, req.partition ?? 0);
}

/** Undefined when the follower may read; else the partition's answer without records. */
function checkAndRecord(rm: ReplicaManager, follower: ReturnType<typeof brokerId>, { p, req }: Requested): replicapb.IFetchPartitionData | undefined {
  const base = { topicId: req.topicId, partition: req.partition };
  if (p === undefined) return { ...base, error: 'NOT_LEADER_OR_FOLLOWER' };
  const fetchOffset = offset(req.fetchOffset ?? 0);
  const check = p.checkFollowerFetch({ replicaId: follower, currentLeaderEpoch: (req.currentLeaderEpoch ?? -1) as LeaderEpoch, fetchOffset, lastFetchedEpoch: (req.lastFetchedEpoch ?? -1) as LeaderEpoch | -1 });
  const positions = { highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, logEndOffset: p.log.logEndOffset };
  switch (check.kind) {
    case 'error':
      return { ...base, error: check.error };
    case 'diverging':
      return { ...base, ...positions, divergingEpoch: { epoch: check.diverging.epoch, endOffset: Math.max(0, check.diverging.endOffset) } };
    case 'out-of-range':
      return { ...base, ...positions, error: 'OFFSET_OUT_OF_RANGE' };
    case 'read':
      p.onFollowerFetch(follower, fetchOffset, rm.minIsr(p.key.topic));
      return undefined;
  }
}

async function readAll(ready: ReadonlyArray<Requested & { check: replicapb.IFetchPartitionData | undefined }>, maxBytes: number): Promise<{ response: replicapb.IFetchResponse; bytes: number }> {
  let bytes = 0;
  const partitions: replicapb.IFetchPartitionData[] = [];
  for (const { p, req, check } of ready) {
    if (check !== undefined || p === undefined) {
      partitions.push(check ?? { topicId: req.topicId, partition: req.partition, error: 'NOT_LEADER_OR_FOLLOWER' });
      continue;
    }
    const from = offset(req.fetchOffset ?? 0);
    // Past the response budget, partitions answer with positions only (never less than one batch overall).
    const budget = budgetFor(req.partitionMaxBytes ?? 0, maxBytes, bytes);
    let read;
    try {
      read = budget > 0 && from < p.log.logEndOffset ? await p.readForFollower(from, budget) : undefined;
    } catch (error) {
      // Retention moved the log start past the offset since the check.
      if (error instanceof LogError && error.code === 'OFFSET_OUT_OF_RANGE') {
        partitions.push({ topicId: req.topicId, partition: req.partition, error: 'OFFSET_OUT_OF_RANGE', logStartOffset: p.log.logStartOffset, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark });
        continue;
      }
      throw error;
    }
    const records = read === undefined || read.slices.length === 0 ? Buffer.alloc(0) : read.slices.length === 1 ? read.slices[0]! : Buffer.concat(read.slices);
    bytes += records.length;
    partitions.push({ topicId: uuidToBytes(p.key.topicId), partition: p.key.partition, highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, logEndOffset: p.log.logEndOffset, records });
  }
  return { response: { error: '', partitions }, bytes };
}
