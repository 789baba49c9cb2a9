// MetadataDelta: every record type's effect on the image, refusal of records that do not fit the
// state (with nothing applied), structural sharing between images, and a seeded random run with the
// image invariants and the delta's change lists checked after every record.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logIndex } from '../../src/raft/core/types.js';
import { MetadataDelta, MetadataReplayError, topicNameViolation } from '../../src/metadata/delta.js';
import { EMPTY_IMAGE, configValue, findImageViolations, partitionOf, type MetadataImage } from '../../src/metadata/image.js';
import type { MetadataRecord } from '../../src/metadata/records.js';
import { NO_LEADER, brokerEpoch, brokerId, partitionIndex, type TopicId } from '../../src/metadata/types.js';
import { SeededRandom, partitionRecord, randomValidRecord, register, replayAll, tid } from './fixtures.js';

const T1 = tid(1);
const T2 = tid(2);
const p = partitionIndex;
const b = brokerId;

/** Three unfenced brokers, topic "orders" (T1) with two partitions and a config, topic "clicks" (T2) with one. */
function populated(): MetadataImage {
  return replayAll([
    register(1, 1, false),
    register(2, 2, false),
    register(3, 3, false),
    { type: 'topic', name: 'orders', topicId: T1 },
    partitionRecord(T1, 0, [1, 2, 3]),
    partitionRecord(T1, 1, [2, 3, 1]),
    { type: 'topic', name: 'clicks', topicId: T2 },
    partitionRecord(T2, 0, [3, 1]),
    { type: 'config', resourceType: 'topic', resourceName: 'orders', key: 'retention.ms', value: '1000' },
  ]);
}

const change = (topicId: TopicId, partition: number, fields: Partial<Pick<Extract<MetadataRecord, { type: 'partition-change' }>, 'leader' | 'isr' | 'replicas'>>): MetadataRecord =>
  ({ type: 'partition-change', topicId, partition: p(partition), ...fields });

describe('replay: each record type', () => {
  test('RegisterBroker adds a fenced broker; a re-registration with a higher epoch replaces it', () => {
    const first = replayAll([register(1, 5)]);
    assert.equal(first.brokers.get(b(1))?.fenced, true);
    assert.equal(first.brokers.get(b(1))?.epoch, 5);
    const again = replayAll([{ ...register(1, 9), rack: 'r2' }], first);
    assert.deepEqual({ epoch: again.brokers.get(b(1))?.epoch, rack: again.brokers.get(b(1))?.rack }, { epoch: 9, rack: 'r2' });
    assert.equal(again.offset, 2);
  });

  test('UnfenceBroker and FenceBroker flip the flag for the current epoch', () => {
    const unfenced = replayAll([register(1, 1), { type: 'unfence-broker', brokerId: b(1), brokerEpoch: brokerEpoch(1) }]);
    assert.equal(unfenced.brokers.get(b(1))?.fenced, false);
    const fenced = replayAll([{ type: 'fence-broker', brokerId: b(1), brokerEpoch: brokerEpoch(1) }], unfenced);
    assert.equal(fenced.brokers.get(b(1))?.fenced, true);
  });

  test('Topic and Partition create a topic indexed by name and id', () => {
    const image = populated();
    const orders = image.topicsByName.get('orders');
    assert.equal(orders, image.topicsById.get(T1));
    assert.equal(orders?.partitions.size, 2);
    assert.deepEqual(partitionOf(image, T1, p(1)), { replicas: [2, 3, 1], isr: [2, 3, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
  });

  test('PartitionChange: the partition epoch bumps on every change, the leader epoch when a leader is named', () => {
    const isrOnly = replayAll([change(T1, 0, { isr: [b(1), b(2)] })], populated());
    assert.deepEqual(partitionOf(isrOnly, T1, p(0)), { replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    const newLeader = replayAll([change(T1, 0, { leader: b(2) })], isrOnly);
    assert.deepEqual(partitionOf(newLeader, T1, p(0)), { replicas: [1, 2, 3], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
    const offline = replayAll([change(T1, 0, { leader: NO_LEADER, isr: [] })], newLeader);
    assert.deepEqual(partitionOf(offline, T1, p(0)), { replicas: [1, 2, 3], isr: [], leader: -1, leaderEpoch: 2, partitionEpoch: 3 });
    const reassigned = replayAll([change(T1, 0, { replicas: [b(3)], isr: [b(3)], leader: b(3) })], offline);
    assert.deepEqual(partitionOf(reassigned, T1, p(0)), { replicas: [3], isr: [3], leader: 3, leaderEpoch: 3, partitionEpoch: 4 });
  });

  test('RemoveTopic drops the topic, its partitions and its configs; the name can be reused', () => {
    const removed = replayAll([{ type: 'remove-topic', topicId: T1 }], populated());
    assert.equal(removed.topicsById.has(T1), false);
    assert.equal(removed.topicsByName.has('orders'), false);
    assert.equal(removed.configs.topic.has('orders'), false);
    const T3 = tid(3);
    const reused = replayAll([{ type: 'topic', name: 'orders', topicId: T3 }], removed);
    assert.equal(reused.topicsByName.get('orders')?.id, T3);
    assert.equal(reused.topicsByName.get('orders')?.partitions.size, 0);
  });

  test('Config sets and deletes keys; a resource with no keys left disappears', () => {
    const base = populated();
    assert.equal(configValue(base, 'topic', 'orders', 'retention.ms'), '1000');
    const set = replayAll([{ type: 'config', resourceType: 'broker', resourceName: '', key: 'log.retention.ms', value: '5' }], base);
    assert.equal(configValue(set, 'broker', '', 'log.retention.ms'), '5');
    const deleted = replayAll([{ type: 'config', resourceType: 'topic', resourceName: 'orders', key: 'retention.ms', value: null }], set);
    assert.equal(deleted.configs.topic.has('orders'), false);
  });

  test('ProducerIds moves the next producer id past the block', () => {
    const image = replayAll([register(1, 1), { type: 'producer-ids', brokerId: b(1), brokerEpoch: brokerEpoch(1), blockStart: 0, blockSize: 1000 }]);
    assert.deepEqual(image.producerIds, { nextProducerId: 1000, lastBlock: { brokerId: 1, brokerEpoch: 1, blockStart: 0, blockSize: 1000 } });
  });

  test('NoOp changes only the offset', () => {
    const base = populated();
    const { image, changes } = applyOne(base, { type: 'no-op' });
    assert.deepEqual({ ...image, offset: base.offset }, base);
    assert.equal(image.offset, base.offset + 1);
    assert.equal(changes.brokers.size + changes.partitions.size + changes.createdTopics.size + changes.deletedTopics.size, 0);
  });
});

function applyOne(base: MetadataImage, record: MetadataRecord): ReturnType<MetadataDelta['apply']> {
  const delta = new MetadataDelta(base);
  delta.replay(record, logIndex(base.offset + 1));
  return delta.apply();
}

describe('replay refuses records that do not fit, and applies nothing of them', () => {
  const invalid: ReadonlyArray<readonly [string, MetadataRecord]> = [
    ['a registration with an epoch that does not grow', register(2, 2)],
    ['a registration without endpoints', { ...register(4, 50), endpoints: [] }],
    ['fencing an unknown broker', { type: 'fence-broker', brokerId: b(9), brokerEpoch: brokerEpoch(1) }],
    ['unfencing with a stale epoch', { type: 'unfence-broker', brokerId: b(1), brokerEpoch: brokerEpoch(0) }],
    ['a topic whose name is taken', { type: 'topic', name: 'orders', topicId: tid(7) }],
    ['a topic whose id is taken', { type: 'topic', name: 'fresh', topicId: T1 }],
    ['an invalid topic name', { type: 'topic', name: 'bad name!', topicId: tid(7) }],
    ['a partition of an unknown topic', partitionRecord(tid(7), 0, [1])],
    ['a partition leaving a gap', partitionRecord(T1, 3, [1])],
    ['a partition on an unregistered broker', partitionRecord(T1, 2, [1, 9])],
    ['a partition whose leader is outside the ISR', partitionRecord(T1, 2, [1, 2], [2], 1)],
    ['a partition whose ISR member is not a replica', partitionRecord(T1, 2, [1, 2], [1, 3], 1)],
    ['duplicate replicas', partitionRecord(T1, 2, [1, 1])],
    ['a partition record taking the partition epoch back', partitionRecord(T1, 0, [1, 2, 3], [1, 2, 3], 1, [0, 0])],
    ['a partition record changing the leader without a new leader epoch', partitionRecord(T1, 0, [1, 2, 3], [1, 2, 3], 2, [0, 1])],
    ['a change to an unknown partition', change(T1, 5, { leader: b(1) })],
    ['a change to an unknown topic', change(tid(7), 0, { leader: b(1) })],
    ['a change electing a leader outside the ISR', change(T2, 0, { isr: [b(1)], leader: b(3) })],
    ['a change shrinking the ISR below the leader', change(T1, 0, { isr: [b(2)] })],
    ['a change of replicas that drops an ISR member', change(T1, 0, { replicas: [b(1)] })],
    ['removing an unknown topic', { type: 'remove-topic', topicId: tid(7) }],
    ['a config of an unknown topic', { type: 'config', resourceType: 'topic', resourceName: 'nope', key: 'k', value: 'v' }],
    ['a config of a broker resource that is not an id', { type: 'config', resourceType: 'broker', resourceName: 'b1', key: 'k', value: 'v' }],
    ['a config with an empty key', { type: 'config', resourceType: 'broker', resourceName: '1', key: '', value: 'v' }],
    ['an empty producer id block', { type: 'producer-ids', brokerId: b(1), brokerEpoch: brokerEpoch(1), blockStart: 0, blockSize: 0 }],
  ];

  for (const [what, record] of invalid) {
    test(what, () => {
      const base = populated();
      const delta = new MetadataDelta(base);
      // A valid record first, so the refusal must also leave earlier replays of this delta intact.
      delta.replay({ type: 'config', resourceType: 'broker', resourceName: '1', key: 'x', value: 'y' }, logIndex(base.offset + 1));
      const before = delta.apply().image;
      assert.throws(() => delta.replay(record, logIndex(base.offset + 2)), (e: unknown) => e instanceof MetadataReplayError && e.index === base.offset + 2 && e.message.includes(record.type));
      assert.deepEqual(delta.apply().image, before);
    });
  }

  test('a producer id block below the next id', () => {
    const base = replayAll([{ type: 'producer-ids', brokerId: b(1), brokerEpoch: brokerEpoch(1), blockStart: 100, blockSize: 10 }], populated());
    const delta = new MetadataDelta(base);
    assert.throws(() => delta.replay({ type: 'producer-ids', brokerId: b(1), brokerEpoch: brokerEpoch(1), blockStart: 105, blockSize: 10 }, logIndex(base.offset + 1)), MetadataReplayError);
    assert.deepEqual(delta.apply().image, { ...base, offset: base.offset });
  });

  test('an index at or below the base offset, or going backwards', () => {
    const base = populated();
    const delta = new MetadataDelta(base);
    assert.throws(() => delta.replay({ type: 'no-op' }, logIndex(base.offset)), MetadataReplayError);
    delta.replay({ type: 'no-op' }, logIndex(base.offset + 5));
    assert.throws(() => delta.replay({ type: 'no-op' }, logIndex(base.offset + 4)), MetadataReplayError);
    assert.equal(delta.apply().image.offset, base.offset + 5);
  });

  test('topic names as Kafka validates them', () => {
    for (const bad of ['', '.', '..', 'a'.repeat(250), 'a/b', 'ü']) assert.notEqual(topicNameViolation(bad), undefined, bad);
    for (const good of ['a', 'a.b_c-D9', 'a'.repeat(249), '...']) assert.equal(topicNameViolation(good), undefined, good);
  });
});

describe('structural sharing', () => {
  test('what no record touched is the same object in the new image', () => {
    const base = populated();
    const { image, changes } = applyOne(base, change(T1, 1, { isr: [b(2), b(3)] }));
    assert.equal(image.topicsById.get(T2), base.topicsById.get(T2));
    assert.equal(image.brokers, base.brokers);
    assert.equal(image.configs.topic, base.configs.topic);
    assert.equal(image.producerIds, base.producerIds);
    assert.notEqual(image.topicsById.get(T1), base.topicsById.get(T1));
    assert.equal(partitionOf(image, T1, p(0)), partitionOf(base, T1, p(0)));
    assert.deepEqual([...changes.partitions], [[T1, new Set([p(1)])]]);
  });

  test('a broker change shares the other brokers and every topic', () => {
    const base = populated();
    const { image, changes } = applyOne(base, { type: 'fence-broker', brokerId: b(2), brokerEpoch: brokerEpoch(2) });
    assert.equal(image.brokers.get(b(1)), base.brokers.get(b(1)));
    assert.equal(image.topicsById, base.topicsById);
    assert.deepEqual(changes.brokers, new Set([b(2)]));
  });
});

describe('several records in one delta', () => {
  test('a name freed by a removal is taken by a new topic, and a removed id recreated', () => {
    const base = populated();
    const T3 = tid(3);
    const delta = new MetadataDelta(base);
    const records: MetadataRecord[] = [
      { type: 'remove-topic', topicId: T1 },
      { type: 'topic', name: 'orders', topicId: T3 },
      partitionRecord(T3, 0, [1]),
      { type: 'remove-topic', topicId: T2 },
      { type: 'topic', name: 'clicks2', topicId: T2 },
      change(T3, 0, { isr: [], leader: NO_LEADER }),
    ];
    records.forEach((record, i) => delta.replay(record, logIndex(base.offset + 1 + i)));
    const { image, changes } = delta.apply();
    assert.deepEqual(findImageViolations(image), []);
    assert.deepEqual([...image.topicsByName.keys()].sort(), ['clicks2', 'orders']);
    assert.equal(image.topicsByName.get('orders')?.id, T3);
    assert.equal(image.topicsById.get(T2)?.partitions.size, 0);
    assert.deepEqual(partitionOf(image, T3, p(0)), { replicas: [1], isr: [], leader: -1, leaderEpoch: 1, partitionEpoch: 1 });
    assert.deepEqual({ created: changes.createdTopics, deleted: changes.deletedTopics }, { created: new Set([T2, T3]), deleted: new Set([T1, T2]) });
  });

  test('a topic created and removed within the delta is reported as neither', () => {
    const base = populated();
    const { image, changes } = (() => {
      const delta = new MetadataDelta(base);
      delta.replay({ type: 'topic', name: 'brief', topicId: tid(5) }, logIndex(base.offset + 1));
      delta.replay({ type: 'remove-topic', topicId: tid(5) }, logIndex(base.offset + 2));
      return delta.apply();
    })();
    assert.equal(image.topicsById.has(tid(5)), false);
    assert.equal(image.topicsByName.has('brief'), false);
    assert.equal(changes.createdTopics.size + changes.deletedTopics.size, 0);
  });
});

describe('images are read-only', () => {
  test('the objects of an image refuse writes', () => {
    const image = populated();
    const topic = image.topicsById.get(T1)!;
    const partition = topic.partitions.get(p(0))!;
    assert.equal(Reflect.set(image, 'offset', 99), false);
    assert.equal(Reflect.set(topic, 'name', 'renamed'), false);
    assert.equal(Reflect.set(partition, 'leader', 3), false);
    assert.equal(Reflect.set(partition.isr, 0, 3), false);
    assert.equal(Reflect.set(image.brokers.get(b(1))!, 'fenced', true), false);
  });
});

describe('random record sequences', () => {
  test('invariants, sharing and change lists hold after every record (40 seeds x 250 records)', () => {
    for (let seed = 1; seed <= 40; seed++) runSeed(seed, 250);
  });
});

function runSeed(seed: number, records: number): void {
  const r = new SeededRandom(seed);
  let image = EMPTY_IMAGE;
  for (let i = 1; i <= records; i++) {
    const record = randomValidRecord(r, image, i);
    const delta = new MetadataDelta(image);
    delta.replay(record, logIndex(i));
    const { image: next, changes } = delta.apply();
    const where = `seed=${seed} record ${i} (${record.type})`;
    assert.deepEqual(findImageViolations(next), [], where);
    checkTransition(image, next, changes, where);
    image = next;
  }
}

/** Epochs only grow, and an object differs from the previous image's exactly when the changes name it. */
function checkTransition(prev: MetadataImage, next: MetadataImage, changes: ReturnType<MetadataDelta['apply']>['changes'], where: string): void {
  for (const [id, broker] of next.brokers) {
    const old = prev.brokers.get(id);
    assert.equal(old !== broker, changes.brokers.has(id), `${where}: broker ${id}`);
    if (old) assert.ok(broker.epoch >= old.epoch, `${where}: broker epoch of ${id} went back`);
  }
  for (const [id, topic] of next.topicsById) {
    const old = prev.topicsById.get(id);
    const named = changes.createdTopics.has(id) || changes.partitions.has(id);
    assert.equal(old !== topic, named, `${where}: topic ${topic.name}`);
    if (old === undefined) continue;
    for (const [index, part] of topic.partitions) {
      const before = old.partitions.get(index);
      assert.equal(before !== part, changes.partitions.get(id)?.has(index) ?? false, `${where}: ${topic.name}-${index}`);
      if (before && before !== part) {
        assert.ok(part.leaderEpoch >= before.leaderEpoch && part.partitionEpoch > before.partitionEpoch, `${where}: epochs went back`);
        if (part.leader !== before.leader) assert.ok(part.leaderEpoch > before.leaderEpoch, `${where}: leader changed within an epoch`);
      }
    }
  }
  for (const id of prev.topicsById.keys()) {
    const kept = !changes.deletedTopics.has(id) || changes.createdTopics.has(id);
    assert.equal(next.topicsById.has(id), kept, `${where}: topic ${id} vanished unannounced or outlived its deletion`);
  }
}
