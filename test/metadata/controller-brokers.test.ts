// Broker commands: registration (new, retry, replacement, refusals), heartbeats (unfence with
// elections, fence, controlled shutdown, refusals) and fencing (ISR removal, leader moves, the last
// ISR member kept, unclean election). Every command's records are replayed on the image it read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMPTY_IMAGE, partitionOf, type MetadataImage } from '../../src/metadata/image.js';
import { alterConfigs, brokerHeartbeat, fenceBroker, registerBroker } from '../../src/metadata/controller/index.js';
import { NO_LEADER, brokerEpoch, partitionIndex, type TopicId } from '../../src/metadata/types.js';
import { addBroker, applyResult, b, bs, clusterOf, registration, run, topicRequest, withTopics } from './controller-support.js';

const p0 = partitionIndex(0);

function heartbeat(image: MetadataImage, id: number, fields: { caughtUp?: boolean; wantFence?: boolean; wantShutDown?: boolean; epoch?: number } = {}) {
  const epoch = fields.epoch ?? image.brokers.get(b(id))?.epoch ?? 0;
  return brokerHeartbeat(image, { brokerId: b(id), brokerEpoch: brokerEpoch(epoch), caughtUp: fields.caughtUp ?? true, wantFence: fields.wantFence ?? false, wantShutDown: fields.wantShutDown ?? false });
}

/** Brokers 1..3 unfenced; topic t (id 1) with partition 0 on [1,2,3], leader 1. */
function threeBrokersOneTopic(configs = new Map<string, string>()): { image: MetadataImage; t: TopicId } {
  const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('t', -1, -1, { assignments: [bs(1, 2, 3)], configs })]);
  return { image, t: image.topicsByName.get('t')!.id };
}

describe('registerBroker', () => {
  test('a new broker registers fenced with epoch = offset + 1', () => {
    const base = clusterOf([1]);
    const result = registerBroker(base, registration(2), { sessionAlive: false });
    assert.equal(result.response.brokerEpoch, base.offset + 1);
    assert.deepEqual(result.records.map((r) => r.type), ['register-broker']);
    const image = applyResult(base, result);
    assert.deepEqual({ fenced: image.brokers.get(b(2))?.fenced, epoch: image.brokers.get(b(2))?.epoch }, { fenced: true, epoch: base.offset + 1 });
  });

  test('the same incarnation again is a retry: the existing epoch, no records, even while its session is alive', () => {
    const image = clusterOf([1]);
    const result = registerBroker(image, registration(1), { sessionAlive: true });
    assert.deepEqual(result, { records: [], response: { brokerEpoch: image.brokers.get(b(1))?.epoch } });
  });

  test('a new incarnation while the old session is alive is DUPLICATE_BROKER_REGISTRATION and changes nothing', () => {
    const result = registerBroker(clusterOf([1]), registration(1, 1), { sessionAlive: true });
    assert.equal(result.response.error?.code, 'DUPLICATE_BROKER_REGISTRATION');
    assert.match(result.response.error?.message ?? '', /broker 1 .*session is still alive/);
    assert.equal(result.response.brokerEpoch, -1);
    assert.deepEqual(result.records, []);
  });

  test('a new incarnation after the session died replaces it, fenced, and takes away its leaderships and ISR places', () => {
    const { image, t } = threeBrokersOneTopic();
    const { image: next, response } = run(image, registerBroker(image, registration(1, 1), { sessionAlive: false }));
    assert.equal(response.brokerEpoch, image.offset + 1);
    assert.equal(next.brokers.get(b(1))?.fenced, true);
    assert.equal(next.brokers.get(b(1))?.incarnationId, registration(1, 1).incarnationId);
    assert.deepEqual(partitionOf(next, t, p0), { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
  });

  const invalid: ReadonlyArray<readonly [string, ReturnType<typeof registration>]> = [
    ['no endpoints', { ...registration(5), endpoints: [] }],
    ['repeated listener names', { ...registration(5), endpoints: [...registration(5).endpoints, ...registration(5).endpoints] }],
    ['an empty listener name', { ...registration(5), endpoints: [{ ...registration(5).endpoints[0]!, listener: '' }] }],
    ['a port out of range', { ...registration(5), endpoints: [{ ...registration(5).endpoints[0]!, port: 70000 }] }],
    ['a negative broker id', { ...registration(5), brokerId: b(-3) }],
  ];
  for (const [what, req] of invalid) {
    test(`refuses ${what} with INVALID_REQUEST and no records`, () => {
      const result = registerBroker(EMPTY_IMAGE, req, { sessionAlive: false });
      assert.equal(result.response.error?.code, 'INVALID_REQUEST');
      assert.deepEqual(result.records, []);
    });
  }
});

describe('brokerHeartbeat', () => {
  test('unknown broker: BROKER_ID_NOT_REGISTERED; wrong epoch: STALE_BROKER_EPOCH; neither changes anything', () => {
    const image = clusterOf([1]);
    const unknown = heartbeat(image, 9, { epoch: 1 });
    assert.equal(unknown.response.error?.code, 'BROKER_ID_NOT_REGISTERED');
    const stale = heartbeat(image, 1, { epoch: 0 });
    assert.equal(stale.response.error?.code, 'STALE_BROKER_EPOCH');
    assert.match(stale.response.error?.message ?? '', /broker 1 sent epoch 0/);
    assert.deepEqual([...unknown.records, ...stale.records], []);
  });

  test('a fenced broker is unfenced once caught up, not before', () => {
    const image = addBroker(EMPTY_IMAGE, 1, { fenced: true });
    const behind = heartbeat(image, 1, { caughtUp: false });
    assert.deepEqual(behind, { records: [], response: { isFenced: true, shouldShutDown: false } });
    const { image: next, response } = run(image, heartbeat(image, 1));
    assert.deepEqual(response, { isFenced: false, shouldShutDown: false });
    assert.equal(next.brokers.get(b(1))?.fenced, false);
    assert.deepEqual(heartbeat(next, 1).records, [], 'an unfenced broker heartbeating changes nothing');
  });

  test('unfencing elects the broker leader of offline partitions whose ISR it is in', () => {
    const { image, t } = threeBrokersOneTopic();
    const offline = [1, 2, 3].reduce((img, id) => applyResult(img, fenceBroker(img, b(id))), image);
    assert.deepEqual(partitionOf(offline, t, p0), { replicas: [1, 2, 3], isr: [3], leader: NO_LEADER, leaderEpoch: 3, partitionEpoch: 3 });
    const notInIsr = run(offline, heartbeat(offline, 1));
    assert.equal(partitionOf(notInIsr.image, t, p0)?.leader, NO_LEADER, 'broker 1 is not in the ISR: no clean election');
    const back = run(notInIsr.image, heartbeat(notInIsr.image, 3));
    assert.deepEqual(partitionOf(back.image, t, p0), { replicas: [1, 2, 3], isr: [3], leader: 3, leaderEpoch: 4, partitionEpoch: 4 });
  });

  test('unfencing a replica outside the ISR elects it when the topic allows unclean election', () => {
    const { image, t } = threeBrokersOneTopic();
    const offline = [1, 2, 3].reduce((img, id) => applyResult(img, fenceBroker(img, b(id))), image);
    assert.deepEqual(partitionOf(offline, t, p0)?.isr, [3]);
    const unclean = applyResult(offline, alterConfigs(offline, [{ resourceType: 'topic', resourceName: 't', key: 'unclean.leader.election.enable', op: 'set', value: 'true' }], { validateOnly: false }));
    const back = run(unclean, heartbeat(unclean, 2));
    assert.deepEqual(partitionOf(back.image, t, p0), { replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 4, partitionEpoch: 4 });
  });

  test('wantFence fences an unfenced broker', () => {
    const { image, t } = threeBrokersOneTopic();
    const { image: next, response } = run(image, heartbeat(image, 1, { wantFence: true }));
    assert.deepEqual(response, { isFenced: true, shouldShutDown: false });
    assert.equal(next.brokers.get(b(1))?.fenced, true);
    assert.equal(partitionOf(next, t, p0)?.leader, 2);
  });

  test('controlled shutdown: fenced and moved at once, shouldShutDown on the next heartbeat', () => {
    const { image, t } = threeBrokersOneTopic();
    const first = run(image, heartbeat(image, 1, { wantShutDown: true }));
    assert.deepEqual(first.response, { isFenced: true, shouldShutDown: false });
    assert.deepEqual(partitionOf(first.image, t, p0), { replicas: [1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    const second = heartbeat(first.image, 1, { wantShutDown: true });
    assert.deepEqual(second, { records: [], response: { isFenced: true, shouldShutDown: true } });
  });
});

describe('fenceBroker', () => {
  test('removes the broker from every ISR and moves its leaderships to the next in-sync replica in replica order', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('a', -1, -1, { assignments: [bs(1, 3, 2), bs(2, 1, 3)] })]);
    const t = image.topicsByName.get('a')!.id;
    const next = applyResult(image, fenceBroker(image, b(1)));
    assert.deepEqual(partitionOf(next, t, p0), { replicas: [1, 3, 2], isr: [3, 2], leader: 3, leaderEpoch: 1, partitionEpoch: 1 });
    assert.deepEqual(partitionOf(next, t, partitionIndex(1)), { replicas: [2, 1, 3], isr: [2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 1 }, 'a follower leaves the ISR; the leader epoch stays');
    assert.equal(next.brokers.get(b(1))?.fenced, true);
  });

  test('the last ISR member stays in the ISR and the partition goes offline', () => {
    const image = withTopics(clusterOf([1, 2]), [topicRequest('solo', -1, -1, { assignments: [bs(1)] })]);
    const t = image.topicsByName.get('solo')!.id;
    const next = applyResult(image, fenceBroker(image, b(1)));
    assert.deepEqual(partitionOf(next, t, p0), { replicas: [1], isr: [1], leader: NO_LEADER, leaderEpoch: 1, partitionEpoch: 1 });
  });

  test('with unclean election allowed, a fenced last ISR member hands over to the first unfenced replica', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('u', -1, -1, { assignments: [bs(1, 2, 3)], configs: new Map([['unclean.leader.election.enable', 'true']]) })]);
    const t = image.topicsByName.get('u')!.id;
    const shrunk = applyResult(image, { records: [{ type: 'partition-change', topicId: t, partition: p0, isr: bs(1) }], response: undefined });
    const next = applyResult(shrunk, fenceBroker(shrunk, b(1)));
    assert.deepEqual(partitionOf(next, t, p0), { replicas: [1, 2, 3], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
  });

  test('the cluster-wide unclean.leader.election.enable default applies when the topic has none', () => {
    const image = withTopics(clusterOf([1, 2]), [topicRequest('c', -1, -1, { assignments: [bs(1, 2)] })]);
    const t = image.topicsByName.get('c')!.id;
    const cluster = applyResult(image, alterConfigs(image, [{ resourceType: 'broker', resourceName: '', key: 'unclean.leader.election.enable', op: 'set', value: 'true' }], { validateOnly: false }));
    const shrunk = applyResult(cluster, { records: [{ type: 'partition-change', topicId: t, partition: p0, isr: bs(1) }], response: undefined });
    assert.equal(partitionOf(applyResult(shrunk, fenceBroker(shrunk, b(1))), t, p0)?.leader, 2);
  });

  test('an already fenced or unknown broker: no records', () => {
    const image = addBroker(EMPTY_IMAGE, 1, { fenced: true });
    assert.deepEqual(fenceBroker(image, b(1)).records, []);
    assert.deepEqual(fenceBroker(image, b(7)).records, []);
  });
});
