// Replica placement, checked by invariants over many seeded cases rather than by fixed examples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type PlacementBroker, loadOf, placeReplicas } from '../../src/metadata/placement.js';
import { SeededRandom } from '../../src/raft/core/random.js';

const spread = (counts: Iterable<number>) => {
  const values = [...counts];
  return Math.max(...values) - Math.min(...values);
};
const countBy = (ids: number[], brokers: readonly PlacementBroker[]) => {
  const counts = new Map(brokers.map((b) => [b.id, 0]));
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts.values();
};

function place(brokers: readonly PlacementBroker[], partitions: number, rf: number, existing: (readonly number[])[] = []) {
  const result = placeReplicas(brokers, partitions, rf, loadOf(existing));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.assignments;
}

test('every partition gets rf distinct live brokers; leaders spread within one, replicas within two', () => {
  const random = new SeededRandom(42);
  for (let round = 0; round < 200; round++) {
    let id = 100;
    const brokers = Array.from({ length: 1 + random.int(12) }, () => ({ id: (id += 1 + random.int(3)) }));
    const rf = 1 + random.int(brokers.length);
    const partitions = 1 + random.int(60);
    const assignments = place(brokers, partitions, rf);
    assert.equal(assignments.length, partitions);
    for (const replicas of assignments) {
      assert.equal(replicas.length, rf);
      assert.equal(new Set(replicas).size, rf, `replicas ${replicas} repeat a broker`);
      for (const id of replicas) assert.ok(brokers.some((b) => b.id === id), `${id} is not a live broker`);
    }
    assert.ok(spread(countBy(assignments.map((r) => r[0] ?? -1), brokers)) <= 1, `leaders uneven: ${JSON.stringify(assignments)}`);
    assert.ok(spread(countBy(assignments.flat(), brokers)) <= 2, `replicas uneven: ${JSON.stringify(assignments)}`);
  }
});

test('topic after topic, the cluster as a whole stays balanced', () => {
  const random = new SeededRandom(7);
  const brokers = Array.from({ length: 5 }, (_, i) => ({ id: i + 1 }));
  let all: (readonly number[])[] = [];
  for (let topic = 0; topic < 50; topic++) {
    all = [...all, ...place(brokers, 1 + random.int(4), 1 + random.int(3), all)];
    assert.ok(spread(countBy(all.map((r) => r[0] ?? -1), brokers)) <= 1, `cluster leaders uneven after topic ${topic}`);
    assert.ok(spread(countBy(all.flat(), brokers)) <= 3, `cluster replicas uneven after topic ${topic}`);
  }
});

test('replicas of a partition span as many racks as they can', () => {
  const random = new SeededRandom(9);
  for (let round = 0; round < 100; round++) {
    const racks = 1 + random.int(4);
    const brokers = Array.from({ length: racks + random.int(8) }, (_, i) => ({ id: i + 1, rack: `r${i % racks}` }));
    const rf = 1 + random.int(brokers.length);
    for (const replicas of place(brokers, 1 + random.int(30), rf)) {
      const used = new Set(replicas.map((id) => brokers.find((b) => b.id === id)?.rack));
      assert.equal(used.size, Math.min(rf, racks), `replicas ${replicas} use racks ${[...used]} of ${racks}`);
    }
  }
});

test("bad requests are refused with Kafka's error codes", () => {
  const brokers = [{ id: 1 }, { id: 2 }, { id: 3 }];
  const refuse = (partitions: number, rf: number) => {
    const r = placeReplicas(brokers, partitions, rf);
    assert.ok(!r.ok);
    return r.error;
  };
  assert.deepEqual(refuse(3, 4), { code: 'INVALID_REPLICATION_FACTOR', message: 'replication factor 4 is larger than the number of available brokers, 3' });
  assert.equal(refuse(3, 0).code, 'INVALID_REPLICATION_FACTOR');
  assert.equal(refuse(0, 1).code, 'INVALID_PARTITIONS');
  assert.equal(refuse(1.5, 1).code, 'INVALID_PARTITIONS');
  assert.equal(placeReplicas([], 1, 1).ok, false);
});

test('a large topic is placed evenly (10,000 partitions over 30 brokers, rf 3)', () => {
  const brokers = Array.from({ length: 30 }, (_, i) => ({ id: i + 1 }));
  const assignments = place(brokers, 10_000, 3);
  assert.ok(spread(countBy(assignments.map((r) => r[0] ?? -1), brokers)) <= 1);
  assert.ok(spread(countBy(assignments.flat(), brokers)) <= 2);
});
