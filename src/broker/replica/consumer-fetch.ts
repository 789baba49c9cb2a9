// A leader's side of Kafka's Fetch for consumers: committed batches only (below the HW), served as
// the stored bytes, with long polling (Kafka's DelayedFetch): when fewer than `minBytes` are there,
// the request waits until a partition's HW moves, a role changes, or `maxWaitMs` passes.
//
// Per partition, in Kafka's order: the topic exists (UNKNOWN_TOPIC_OR_PARTITION), this broker leads
// it (NOT_LEADER_OR_FOLLOWER), the client's leader epoch is ours (older: FENCED_LEADER_EPOCH,
// newer: UNKNOWN_LEADER_EPOCH), and the offset lies within [log start, log end]
// (OFFSET_OUT_OF_RANGE). An offset between the HW and the log end is not an error: it reads nothing.
import type { KafkaErrorName } from '../../metadata/errors.js';
import { LogError } from '../log/errors.js';
import { offset, type Offset } from '../log/types.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export interface ConsumerFetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  /** -1: the client does not say (no fencing). */
  readonly currentLeaderEpoch: number;
  readonly partitionMaxBytes: number;
}

export interface ConsumerFetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitions: readonly ConsumerFetchPartition[];
}

export interface ConsumerFetchResult {
  readonly error: KafkaErrorName;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** The stored bytes, whole batches, in order; their concatenation is the records field. */
  readonly records: readonly Buffer[];
}

interface Target {
  readonly request: ConsumerFetchPartition;
  readonly p: Partition | undefined;
  readonly error: KafkaErrorName;
}

export async function fetchForConsumer(rm: ReplicaManager, request: ConsumerFetchRequest): Promise<ConsumerFetchResult[]> {
  const targets = request.partitions.map((r) => target(rm, r));
  let results = await readAll(targets, request.maxBytes);
  const bytes = () => results.reduce((n, r) => n + r.records.reduce((m, b) => m + b.length, 0), 0);
  const readable = targets.filter((t) => t.error === 'NONE').map((t) => t.p!);
  const deadline = Date.now() + request.maxWaitMs;
  while (bytes() < Math.max(1, request.minBytes) && readable.length > 0 && Date.now() < deadline) {
    const hws = readable.map((p) => p.highWatermark);
    const roles = readable.map((p) => p.role);
    const moved = () => readable.some((p, i) => p.highWatermark !== hws[i] || p.role !== roles[i]);
    if (!(await rm.purgatory.waitFor(readable, ['hw', 'role'], moved, deadline - Date.now()))) break;
    results = await readAll(targets.map((t) => target(rm, t.request)), request.maxBytes);
  }
  return results;
}

function target(rm: ReplicaManager, request: ConsumerFetchPartition): Target {
  const p = rm.leaderOf(request.topic, request.partition);
  if (typeof p === 'string') return { request, p: undefined, error: p };
  const epochError = checkLeaderEpoch(p, request.currentLeaderEpoch);
  if (epochError !== undefined) return { request, p, error: epochError };
  if (request.fetchOffset < p.log.logStartOffset || request.fetchOffset > p.log.logEndOffset) return { request, p, error: 'OFFSET_OUT_OF_RANGE' };
  return { request, p, error: 'NONE' };
}

/** A client's view of the leader epoch against ours (-1: not given). */
export function checkLeaderEpoch(p: Partition, clientEpoch: number): KafkaErrorName | undefined {
  if (clientEpoch < 0) return undefined;
  if (clientEpoch < p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
  if (clientEpoch > p.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
  return undefined;
}

async function readAll(targets: readonly Target[], maxBytes: number): Promise<ConsumerFetchResult[]> {
  let bytes = 0;
  const out: ConsumerFetchResult[] = [];
  for (const t of targets) {
    const { p } = t;
    if (t.error !== 'NONE' || p === undefined) {
      out.push({ error: t.error, highWatermark: p?.highWatermark ?? -1, logStartOffset: p?.log.logStartOffset ?? -1, records: [] });
      continue;
    }
    // The first partition with data may exceed maxBytes by one batch (KIP-74); later ones stop at it.
    const budget = budgetFor(t.request.partitionMaxBytes, maxBytes, bytes);
    const slices = budget > 0 ? await readCommitted(p, offset(t.request.fetchOffset), budget) : undefined;
    if (slices === undefined) {
      out.push({ error: budget > 0 ? 'OFFSET_OUT_OF_RANGE' : 'NONE', highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, records: [] });
      continue;
    }
    for (const s of slices) bytes += s.length;
    out.push({ error: 'NONE', highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, records: slices });
  }
  return out;
}

/** Bytes a partition may add: its own limit within what the response has left, at least one batch for the first. */
export function budgetFor(partitionMaxBytes: number, responseMaxBytes: number, usedBytes: number): number {
  const left = Math.min(partitionMaxBytes, Math.max(0, responseMaxBytes - usedBytes));
  return usedBytes === 0 ? Math.max(1, left) : left;
}

/** The committed batches from `from`, or undefined if retention removed `from` meanwhile. */
async function readCommitted(p: Partition, from: Offset, maxBytes: number): Promise<readonly Buffer[] | undefined> {
  if (from >= p.highWatermark) return [];
  try {
    return (await p.readCommitted(from, maxBytes)).slices;
  } catch (error) {
    if (error instanceof LogError && error.code === 'OFFSET_OUT_OF_RANGE') return undefined;
    throw error;
  }
}
