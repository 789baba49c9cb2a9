// Seeded random command sequences against the pure controller: registrations (retries, restarts,
// duplicates), heartbeats (unfence, fence, controlled shutdown, stale epochs), session expiry,
// topic creation and deletion, added partitions, config changes, AlterPartition from leaders (some
// with stale fields), preferred-leader rebalancing and producer ids. After every step the records
// replay as one batch and the invariants hold: a sound image, epochs that never go back (and a new
// leader always under a new leader epoch), no fenced leader, no offline partition with a live ISR
// member, a non-empty ISR, and refused requests leaving no records. A final phase unfences every
// broker and expects every partition to have a leader. A failure names the seed and step.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeededRandom } from '../../src/raft/core/random.js';
import { EMPTY_IMAGE, type MetadataImage } from '../../src/metadata/image.js';
import {
  allocateProducerIds,
  alterConfigs,
  alterPartition,
  brokerHeartbeat,
  createPartitions,
  createTopics,
  deleteTopics,
  electPreferredLeaders,
  fenceBroker,
  registerBroker,
  type ControllerResult,
} from '../../src/metadata/controller/index.js';
import { NO_LEADER, brokerEpoch, type BrokerId } from '../../src/metadata/types.js';
import { applyResult, b, idSource, registration, topicRequest } from './controller-support.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const STEPS = 300;
const BROKER_IDS = [0, 1, 2, 3, 4, 5];
const TOPIC_NAMES = ['orders', 'clicks', 'a.b', 'a_b', 'logs', 'x'];

interface Sim {
  readonly r: SeededRandom;
  image: MetadataImage;
  readonly generations: Map<number, number>;
  readonly newTopicId: ReturnType<typeof idSource>;
  /** Steps by kind and outcome, and records by type: to check the sequences reach every path. */
  readonly counts: Map<string, number>;
}

type Step = { readonly label: string; readonly result: ControllerResult<unknown>; readonly refused: boolean };

const pick = <T>(r: SeededRandom, items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[r.int(items.length)]);
const hasError = (response: unknown): boolean => typeof response === 'object' && response !== null && 'error' in response && response.error !== undefined;
const allRefused = (responses: readonly unknown[]): boolean => responses.length > 0 && responses.every(hasError);

function registerStep(sim: Sim): Step {
  const id = pick(sim.r, BROKER_IDS)!;
  const registered = sim.image.brokers.has(b(id));
  const generation = (sim.generations.get(id) ?? 0) + (registered && sim.r.chance(0.5) ? 1 : 0);
  const rack = sim.r.chance(0.5) ? `rack-${id % 3}` : null;
  const result = registerBroker(sim.image, registration(id, generation, rack), { sessionAlive: sim.r.chance(0.3) });
  if (!hasError(result.response)) sim.generations.set(id, generation);
  return { label: `register ${id} gen ${generation}`, result, refused: hasError(result.response) };
}

function heartbeatStep(sim: Sim): Step | undefined {
  const broker = pick(sim.r, [...sim.image.brokers.values()]);
  if (broker === undefined) return undefined;
  const epoch = sim.r.chance(0.9) ? broker.epoch : brokerEpoch(broker.epoch + 1);
  const req = { brokerId: broker.id, brokerEpoch: epoch, caughtUp: sim.r.chance(0.8), wantFence: sim.r.chance(0.08), wantShutDown: sim.r.chance(0.08) };
  const result = brokerHeartbeat(sim.image, req);
  return { label: `heartbeat ${JSON.stringify(req)}`, result, refused: hasError(result.response) };
}

function fenceStep(sim: Sim): Step | undefined {
  const broker = pick(sim.r, [...sim.image.brokers.keys()]);
  return broker === undefined ? undefined : { label: `fence ${broker}`, result: fenceBroker(sim.image, broker), refused: false };
}

function createStep(sim: Sim): Step {
  const brokers = [...sim.image.brokers.keys()];
  const reqs = Array.from({ length: 1 + sim.r.int(2) }, () => {
    const name = pick(sim.r, TOPIC_NAMES)!;
    const configs = new Map(sim.r.chance(0.3) ? [['unclean.leader.election.enable', 'true']] : []);
    if (sim.r.chance(0.3) && brokers.length > 0) {
      const width = 1 + sim.r.int(Math.min(3, brokers.length));
      const assignments = Array.from({ length: 1 + sim.r.int(3) }, () => shuffled(sim.r, brokers).slice(0, width));
      return topicRequest(name, -1, -1, { assignments, configs });
    }
    return topicRequest(name, 1 + sim.r.int(4), 1 + sim.r.int(3), { configs });
  });
  const result = createTopics(sim.image, reqs, { defaults: { numPartitions: 1, replicationFactor: 1 }, newTopicId: sim.newTopicId, validateOnly: sim.r.chance(0.1) });
  return { label: `create ${reqs.map((q) => q.name).join(',')}`, result, refused: allRefused(result.response) };
}

function shuffled<T>(r: SeededRandom, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function deleteStep(sim: Sim): Step {
  const names = [pick(sim.r, TOPIC_NAMES)!];
  const result = deleteTopics(sim.image, names);
  return { label: `delete ${names}`, result, refused: allRefused(result.response) };
}

function addPartitionsStep(sim: Sim): Step | undefined {
  const topic = pick(sim.r, [...sim.image.topicsByName.values()]);
  if (topic === undefined) return undefined;
  const count = topic.partitions.size + sim.r.int(3);
  const result = createPartitions(sim.image, [{ name: topic.name, count, assignments: null }], { validateOnly: false });
  return { label: `add partitions ${topic.name} -> ${count}`, result, refused: allRefused(result.response) };
}

function alterPartitionStep(sim: Sim): Step | undefined {
  const topics = [...sim.image.topicsById.values()];
  const topic = pick(sim.r, topics);
  const entry = topic && pick(sim.r, [...topic.partitions]);
  if (topic === undefined || entry === undefined) return undefined;
  const [index, p] = entry;
  const requester = p.leader !== NO_LEADER && sim.r.chance(0.9) ? p.leader : pick(sim.r, p.replicas)!;
  const others = p.replicas.filter((id) => id !== requester && sim.r.chance(0.6));
  const newIsr = sim.r.chance(0.9) ? [requester, ...others] : others;
  const skew = (n: number) => (sim.r.chance(0.1) ? n + (sim.r.chance(0.5) ? 1 : -1) : n);
  const req = {
    brokerId: requester,
    brokerEpoch: brokerEpoch(sim.image.brokers.get(requester)?.epoch ?? 0),
    topicId: topic.id,
    partition: index,
    leaderEpoch: skew(p.leaderEpoch) as typeof p.leaderEpoch,
    partitionEpoch: skew(p.partitionEpoch) as typeof p.partitionEpoch,
    newIsr,
  };
  const result = alterPartition(sim.image, req);
  return { label: `alterPartition ${JSON.stringify(req)}`, result, refused: hasError(result.response) };
}

function configStep(sim: Sim): Step {
  const topic = pick(sim.r, [...sim.image.topicsByName.keys()]);
  const cluster = topic === undefined || sim.r.chance(0.3);
  const op = { resourceType: cluster ? ('broker' as const) : ('topic' as const), resourceName: cluster ? '' : topic, key: 'unclean.leader.election.enable', op: sim.r.chance(0.7) ? ('set' as const) : ('delete' as const), value: String(sim.r.chance(0.5)) };
  const result = alterConfigs(sim.image, [op], { validateOnly: false });
  return { label: `config ${JSON.stringify(op)}`, result, refused: allRefused(result.response) };
}

function otherStep(sim: Sim): Step | undefined {
  if (sim.r.chance(0.6)) return { label: 'rebalance', result: electPreferredLeaders(sim.image, 1 + sim.r.int(4)), refused: false };
  const broker = pick(sim.r, [...sim.image.brokers.values()]);
  if (broker === undefined) return undefined;
  const result = allocateProducerIds(sim.image, { brokerId: broker.id, brokerEpoch: broker.epoch }, 1 + sim.r.int(100));
  return { label: `producer ids ${broker.id}`, result, refused: hasError(result.response) };
}

const STEP_KINDS: ReadonlyArray<readonly [number, (sim: Sim) => Step | undefined]> = [
  [3, registerStep], [6, heartbeatStep], [2, fenceStep], [3, createStep], [1, deleteStep], [1, addPartitionsStep], [6, alterPartitionStep], [1, configStep], [2, otherStep],
];
const WEIGHT_TOTAL = STEP_KINDS.reduce((sum, [w]) => sum + w, 0);

function randomStep(sim: Sim): Step {
  for (;;) {
    let roll = sim.r.int(WEIGHT_TOTAL);
    const kind = STEP_KINDS.find(([w]) => (roll -= w) < 0)![1];
    const step = kind(sim);
    if (step !== undefined) return step;
  }
}

/** Every invariant between the image before a step and the one after; returns what breaks. */
function violations(before: MetadataImage, after: MetadataImage): string[] {
  const found: string[] = [];
  for (const topic of after.topicsById.values()) {
    for (const [index, p] of topic.partitions) {
      const where = `${topic.name}-${index}`;
      const old = before.topicsById.get(topic.id)?.partitions.get(index);
      if (old !== undefined && (p.leaderEpoch < old.leaderEpoch || p.partitionEpoch < old.partitionEpoch)) found.push(`${where}: epochs went back`);
      if (old !== undefined && old.leader !== p.leader && p.leaderEpoch <= old.leaderEpoch) found.push(`${where}: new leader ${p.leader} without a new leader epoch`);
      if (p.isr.length === 0) found.push(`${where}: empty ISR`);
      if (p.leader !== NO_LEADER && after.brokers.get(p.leader)?.fenced !== false) found.push(`${where}: fenced broker ${p.leader} leads`);
      const live = p.isr.find((id) => after.brokers.get(id)?.fenced === false);
      if (p.leader === NO_LEADER && live !== undefined) found.push(`${where}: offline although ISR member ${live} is unfenced`);
    }
  }
  return found;
}

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

function simulate(seed: number): { image: MetadataImage; counts: Map<string, number> } {
  const sim: Sim = { r: new SeededRandom(seed), image: EMPTY_IMAGE, generations: new Map(), newTopicId: idSource(seed * 10_000), counts: new Map() };
  for (let step = 0; step < STEPS; step++) {
    const { label, result, refused } = randomStep(sim);
    const context = `seed ${seed} step ${step}: ${label}`;
    if (refused) assert.deepEqual(result.records, [], `${context}: a refused request left records`);
    const next = applyResult(sim.image, result);
    assert.deepEqual(violations(sim.image, next), [], context);
    sim.image = next;
    bump(sim.counts, `${label.split(' ')[0]} ${refused ? 'refused' : 'ok'}`);
    for (const record of result.records) bump(sim.counts, record.type === 'partition-change' && record.leader !== undefined ? 'election' : record.type);
  }
  return { image: unfenceAll(sim.image, seed), counts: sim.counts };
}

/** Liveness: once every broker is unfenced, every partition has a leader. */
function unfenceAll(start: MetadataImage, seed: number): MetadataImage {
  let image = start;
  for (const broker of start.brokers.values()) {
    const result = brokerHeartbeat(image, { brokerId: broker.id, brokerEpoch: broker.epoch, caughtUp: true, wantFence: false, wantShutDown: false });
    image = applyResult(image, result);
  }
  for (const topic of image.topicsById.values()) {
    for (const [index, p] of topic.partitions) assert.notEqual(p.leader, NO_LEADER as BrokerId, `seed ${seed}: ${topic.name}-${index} has no leader with every broker unfenced`);
  }
  return image;
}

describe('controller commands over seeded random sequences', () => {
  for (const seed of SEEDS) test(`seed ${seed}: invariants after every step, leaders for all once every broker is back`, () => {
    simulate(seed);
  });

  test('a seed replays exactly', () => {
    assert.deepEqual(simulate(3), simulate(3));
  });

  test('the sequences reach every command, its refusals, and elections', () => {
    const counts = new Map<string, number>();
    for (const seed of SEEDS) for (const [key, n] of simulate(seed).counts) counts.set(key, (counts.get(key) ?? 0) + n);
    const expected = ['register ok', 'register refused', 'heartbeat ok', 'heartbeat refused', 'fence ok', 'create ok', 'create refused', 'delete ok', 'add ok', 'alterPartition ok', 'alterPartition refused', 'config ok', 'rebalance ok', 'producer ok', 'election', 'fence-broker', 'unfence-broker', 'remove-topic', 'partition', 'producer-ids'];
    for (const key of expected) assert.ok((counts.get(key) ?? 0) >= 3, `${key}: ${counts.get(key) ?? 0} times in ${JSON.stringify([...counts])}`);
  });
});
