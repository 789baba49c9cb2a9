// Shared by the metadata tests: builders of hand-written records, and a seeded generator of random
// records that are valid for the image they are generated against.
import { SeededRandom } from '../../src/raft/core/random.js';
import { logIndex } from '../../src/raft/core/types.js';
import { MetadataDelta } from '../../src/metadata/delta.js';
import { EMPTY_IMAGE, partitionViolation, type MetadataImage, type PartitionRegistration } from '../../src/metadata/image.js';
import type { MetadataRecord, PartitionChangeRecord, RegisterBrokerRecord } from '../../src/metadata/records.js';
import {
  NO_LEADER,
  brokerEpoch,
  brokerId,
  incarnationId,
  leaderEpoch,
  partitionEpoch,
  partitionIndex,
  topicId,
  type BrokerId,
  type TopicId,
} from '../../src/metadata/types.js';

export function randomUuid(r: SeededRandom): string {
  const hex = Array.from({ length: 32 }, () => r.int(16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A deterministic topic id from a small number, for hand-written tests. */
export const tid = (n: number): TopicId => topicId(`00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);

export function register(id: number, epoch: number, fenced = true): RegisterBrokerRecord {
  return {
    type: 'register-broker',
    brokerId: brokerId(id),
    incarnationId: incarnationId(`11111111-2222-4333-8444-${id.toString(16).padStart(12, '0')}`),
    brokerEpoch: brokerEpoch(epoch),
    endpoints: [{ listener: 'PLAINTEXT', host: `broker${id}.local`, port: 9092 + id, securityProtocol: 'PLAINTEXT' }],
    rack: id % 2 === 0 ? 'rack-a' : null,
    fenced,
  };
}

export function partitionRecord(topic: TopicId, index: number, replicas: number[], isr = replicas, leader = isr[0] ?? -1, epochs = [0, 0]): MetadataRecord {
  return {
    type: 'partition',
    topicId: topic,
    partition: partitionIndex(index),
    replicas: replicas.map(brokerId),
    isr: isr.map(brokerId),
    leader: brokerId(leader),
    leaderEpoch: leaderEpoch(epochs[0] ?? 0),
    partitionEpoch: partitionEpoch(epochs[1] ?? 0),
  };
}

/** Replays `records` at consecutive indices after `base.offset` and applies them. */
export function replayAll(records: readonly MetadataRecord[], base: MetadataImage = EMPTY_IMAGE): MetadataImage {
  const delta = new MetadataDelta(base);
  records.forEach((record, i) => delta.replay(record, logIndex(base.offset + i + 1)));
  return delta.apply().image;
}

// ---------------------------------------------------------------------------------------------
// Random valid records.

const BROKERS_MAX = 6;
const TOPIC_NAMES = ['orders', 'payments', 'clicks', 'logs.app', 'a-b_c', '__consumer_offsets', 'x'];
const CONFIG_KEYS = ['retention.ms', 'segment.bytes', 'min.insync.replicas', 'cleanup.policy'];

/** A random record that replay accepts on `image` when replayed at index `index`. */
export function randomValidRecord(r: SeededRandom, image: MetadataImage, index: number): MetadataRecord {
  for (;;) {
    const record = randomCandidate(r, image, index);
    if (record !== undefined) return record;
  }
}

function randomCandidate(r: SeededRandom, image: MetadataImage, index: number): MetadataRecord | undefined {
  const brokers = [...image.brokers.values()];
  const topics = [...image.topicsById.values()];
  switch (r.int(10)) {
    case 0: return randomRegistration(r, index);
    case 1:
    case 2: {
      const b = pick(r, brokers);
      return b && { type: r.chance(0.5) ? 'fence-broker' : 'unfence-broker', brokerId: b.id, brokerEpoch: b.epoch };
    }
    case 3: {
      const name = pick(r, TOPIC_NAMES)!;
      return image.topicsByName.has(name) ? undefined : { type: 'topic', name, topicId: topicId(randomUuid(r)) };
    }
    case 4: {
      const t = pick(r, topics);
      const p = randomPartition(r, brokers.map((b) => b.id));
      return t && p && { type: 'partition', topicId: t.id, partition: partitionIndex(t.partitions.size), ...p };
    }
    case 5:
    case 6: return randomChange(r, image);
    case 7: {
      const t = pick(r, topics);
      return t && r.chance(0.3) ? { type: 'remove-topic', topicId: t.id } : undefined;
    }
    case 8: return randomConfig(r, image);
    default: return randomOther(r, image);
  }
}

function randomRegistration(r: SeededRandom, index: number): RegisterBrokerRecord {
  const id = r.int(BROKERS_MAX);
  const endpoints = [{ listener: 'PLAINTEXT', host: `h${id}`, port: r.int(65536), securityProtocol: 'PLAINTEXT' as const }];
  if (r.chance(0.3)) endpoints.push({ listener: 'SECURE', host: `h${id}`, port: r.int(65536), securityProtocol: 'PLAINTEXT' });
  const rack = r.chance(0.5) ? `rack-${r.int(3)}` : null;
  return { ...register(id, index, r.chance(0.7)), incarnationId: incarnationId(randomUuid(r)), endpoints, rack };
}

type PartitionState = Pick<PartitionRegistration, 'replicas' | 'isr' | 'leader'>;

function randomPartition(r: SeededRandom, brokers: readonly BrokerId[]): (PartitionState & Pick<PartitionRegistration, 'leaderEpoch' | 'partitionEpoch'>) | undefined {
  const state = randomState(r, brokers);
  return state && { ...state, leaderEpoch: leaderEpoch(r.int(5)), partitionEpoch: partitionEpoch(r.int(5)) };
}

function randomState(r: SeededRandom, brokers: readonly BrokerId[]): PartitionState | undefined {
  if (brokers.length === 0) return undefined;
  const replicas = shuffle(r, brokers).slice(0, 1 + r.int(Math.min(3, brokers.length)));
  const isr = replicas.filter(() => r.chance(0.7));
  const leader = isr.length > 0 && r.chance(0.9) ? pick(r, isr)! : NO_LEADER;
  return { replicas, isr, leader };
}

function randomChange(r: SeededRandom, image: MetadataImage): PartitionChangeRecord | undefined {
  const t = pick(r, [...image.topicsById.values()]);
  if (t === undefined || t.partitions.size === 0) return undefined;
  const index = partitionIndex(r.int(t.partitions.size));
  const old = t.partitions.get(index)!;
  const target = randomState(r, [...image.brokers.keys()])!;
  // Each field either takes the target's value or stays as it is; rejection keeps only valid mixes.
  const replicas = r.chance(0.3) ? target.replicas : undefined;
  const isr = r.chance(0.5) ? target.isr : undefined;
  const leader = r.chance(0.5) ? target.leader : undefined;
  const merged = { replicas: replicas ?? old.replicas, isr: isr ?? old.isr, leader: leader ?? old.leader, leaderEpoch: old.leaderEpoch, partitionEpoch: old.partitionEpoch };
  if (partitionViolation(merged, image.brokers) !== undefined) return undefined;
  return { type: 'partition-change', topicId: t.id, partition: index, ...(leader !== undefined ? { leader } : {}), ...(isr !== undefined ? { isr } : {}), ...(replicas !== undefined ? { replicas } : {}) };
}

function randomConfig(r: SeededRandom, image: MetadataImage): MetadataRecord | undefined {
  const topic = r.chance(0.6);
  const resourceName = topic ? pick(r, [...image.topicsByName.keys()]) : pick(r, ['', '0', '1', '5']);
  if (resourceName === undefined) return undefined;
  const value = r.chance(0.3) ? null : String(r.int(1_000_000));
  return { type: 'config', resourceType: topic ? 'topic' : 'broker', resourceName, key: pick(r, CONFIG_KEYS)!, value };
}

function randomOther(r: SeededRandom, image: MetadataImage): MetadataRecord | undefined {
  if (r.chance(0.3)) return { type: 'no-op' };
  const b = pick(r, [...image.brokers.values()]);
  if (b === undefined) return undefined;
  const blockStart = image.producerIds.nextProducerId + 1000 * r.int(3);
  return { type: 'producer-ids', brokerId: b.id, brokerEpoch: b.epoch, blockStart, blockSize: 1000 };
}

function pick<T>(r: SeededRandom, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[r.int(items.length)];
}

function shuffle<T>(r: SeededRandom, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export { SeededRandom };
