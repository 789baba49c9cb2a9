// Partition commands: AlterPartition (shrink, expand, no-op, every refusal in Kafka's order),
// preferred-leader election with its limit, producer id blocks; and the error and config tables.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { partitionOf, type MetadataImage } from '../../src/metadata/image.js';
import { alterPartition, allocateProducerIds, brokerHeartbeat, electPreferredLeaders, fenceBroker, type AlterPartitionRequest } from '../../src/metadata/controller/index.js';
import { KAFKA_ERRORS, errorCode, errorNameForCode, apiError } from '../../src/metadata/errors.js';
import { TOPIC_CONFIGS, topicConfigBoolean, topicConfigList, topicConfigNumber, validateBrokerConfig, validateTopicConfig } from '../../src/metadata/configs.js';
import { brokerEpoch, leaderEpoch, partitionEpoch, partitionIndex, type TopicId } from '../../src/metadata/types.js';
import { applyResult, b, bs, clusterOf, run, topicRequest, withTopics } from './controller-support.js';

const p0 = partitionIndex(0);

/** Brokers 1..3, topic t with partition 0 on [1,2,3] led by 1. */
function setup(): { image: MetadataImage; t: TopicId } {
  const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('t', -1, -1, { assignments: [bs(1, 2, 3)] })]);
  return { image, t: image.topicsByName.get('t')!.id };
}

function request(image: MetadataImage, t: TopicId, newIsr: number[], overrides: Partial<AlterPartitionRequest> = {}): AlterPartitionRequest {
  const p = partitionOf(image, t, p0)!;
  const leader = p.leader;
  return { brokerId: leader, brokerEpoch: image.brokers.get(leader)!.epoch, topicId: t, partition: p0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: bs(...newIsr), ...overrides };
}

describe('alterPartition', () => {
  test('shrink then expand: the response carries the state replay produces', () => {
    const { image, t } = setup();
    const shrink = run(image, alterPartition(image, request(image, t, [1, 3])));
    assert.deepEqual(shrink.response, { partition: { replicas: [1, 2, 3], isr: [1, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 1 } });
    assert.deepEqual(partitionOf(shrink.image, t, p0), shrink.response.partition);
    const expand = run(shrink.image, alterPartition(shrink.image, request(shrink.image, t, [1, 3, 2])));
    assert.deepEqual(partitionOf(expand.image, t, p0), expand.response.partition);
    assert.deepEqual(expand.response.partition?.isr, [1, 3, 2]);
  });

  test('the same ISR members: no record, the current state', () => {
    const { image, t } = setup();
    assert.deepEqual(alterPartition(image, request(image, t, [3, 2, 1])), { records: [], response: { partition: partitionOf(image, t, p0) } });
  });

  test('refusals, in Kafka order, each with no records', () => {
    const { image: base, t } = setup();
    const image = applyResult(base, brokerHeartbeat(base, { brokerId: b(2), brokerEpoch: base.brokers.get(b(2))!.epoch, caughtUp: true, wantFence: true, wantShutDown: false }));
    const at = partitionOf(image, t, p0)!;
    const cases: ReadonlyArray<readonly [string, Partial<AlterPartitionRequest>, number[], string, RegExp]> = [
      ['unregistered requester', { brokerId: b(9) }, [1], 'STALE_BROKER_EPOCH', /broker 9 is not registered/],
      ['stale broker epoch', { brokerEpoch: brokerEpoch(0) }, [1], 'STALE_BROKER_EPOCH', /broker 1 sent epoch 0/],
      ['unknown topic id', { topicId: '00000000-0000-4000-8000-0000000000ff' as TopicId }, [1], 'UNKNOWN_TOPIC_ID', /no topic has id/],
      ['unknown partition', { partition: partitionIndex(4) }, [1], 'UNKNOWN_TOPIC_OR_PARTITION', /t-4 does not exist/],
      ['newer leader epoch', { leaderEpoch: leaderEpoch(at.leaderEpoch + 1) }, [1], 'NOT_CONTROLLER', /t-0: leader epoch 1 is newer/],
      ['newer partition epoch', { partitionEpoch: partitionEpoch(at.partitionEpoch + 1) }, [1], 'NOT_CONTROLLER', /partition epoch 2 is newer/],
      ['requester not the leader', { brokerId: b(3), brokerEpoch: image.brokers.get(b(3))!.epoch }, [1], 'INVALID_REQUEST', /broker 3 is not the leader \(1\)/],
      ['older partition epoch', { partitionEpoch: partitionEpoch(0) }, [1], 'INVALID_UPDATE_VERSION', /partition epoch 0 is older than the current 1/],
      ['ISR without the leader', {}, [3], 'INVALID_REQUEST', /leaves out the leader 1/],
      ['ISR with a non-replica', {}, [1, 4], 'INVALID_REQUEST', /names 4, which is not a replica/],
      ['ISR with a duplicate', {}, [1, 1], 'INVALID_REQUEST', /names a broker twice/],
      ['ISR with a fenced member', {}, [1, 2], 'INELIGIBLE_REPLICA', /t-0: ISR member 2 is fenced/],
    ];
    for (const [what, overrides, isr, code, message] of cases) {
      const result = alterPartition(image, request(image, t, isr, overrides));
      assert.equal(result.response.error?.code, code, what);
      assert.match(result.response.error?.message ?? '', message, what);
      assert.deepEqual(result.records, [], what);
    }
  });

  test('an older leader epoch is FENCED_LEADER_EPOCH', () => {
    const { image: base, t } = setup();
    const image = applyResult(base, fenceBroker(base, b(1)));
    const result = alterPartition(image, request(image, t, [2, 3], { leaderEpoch: leaderEpoch(0) }));
    assert.equal(result.response.error?.code, 'FENCED_LEADER_EPOCH');
  });
});

describe('electPreferredLeaders', () => {
  test('moves leadership back to unfenced in-sync preferred replicas, at most `limit` per call', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('t', -1, -1, { assignments: [bs(1, 2), bs(1, 3), bs(1, 2)] })]);
    const t = image.topicsByName.get('t')!.id;
    const fenced = applyResult(image, fenceBroker(image, b(1)));
    assert.deepEqual(electPreferredLeaders(fenced, 10), { records: [], response: 0 }, 'the preferred replica is fenced');
    const back = applyResult(fenced, brokerHeartbeat(fenced, { brokerId: b(1), brokerEpoch: fenced.brokers.get(b(1))!.epoch, caughtUp: true, wantFence: false, wantShutDown: false }));
    assert.deepEqual(electPreferredLeaders(back, 10).records, [], 'unfenced but not back in the ISR');
    const rejoined = [0, 1, 2].reduce((img, i) => {
      const p = partitionOf(img, t, partitionIndex(i))!;
      const req = { brokerId: p.leader, brokerEpoch: img.brokers.get(p.leader)!.epoch, topicId: t, partition: partitionIndex(i), leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [...p.isr, b(1)] };
      return applyResult(img, alterPartition(img, req));
    }, back);
    const first = run(rejoined, electPreferredLeaders(rejoined, 2));
    assert.equal(first.response, 2);
    const second = run(first.image, electPreferredLeaders(first.image, 2));
    assert.equal(second.response, 1);
    for (const i of [0, 1, 2]) assert.equal(partitionOf(second.image, t, partitionIndex(i))?.leader, 1);
    assert.equal(electPreferredLeaders(second.image, 2).response, 0);
  });
});

describe('allocateProducerIds', () => {
  test('hands out consecutive blocks; a stale epoch is refused', () => {
    const image = clusterOf([1, 2]);
    const first = run(image, allocateProducerIds(image, { brokerId: b(1), brokerEpoch: image.brokers.get(b(1))!.epoch }));
    assert.deepEqual(first.response, { start: 0, length: 1000 });
    const second = run(first.image, allocateProducerIds(first.image, { brokerId: b(2), brokerEpoch: image.brokers.get(b(2))!.epoch }, 10));
    assert.deepEqual(second.response, { start: 1000, length: 10 });
    assert.equal(second.image.producerIds.nextProducerId, 1010);
    const stale = allocateProducerIds(image, { brokerId: b(1), brokerEpoch: brokerEpoch(0) });
    assert.equal(stale.response.error?.code, 'STALE_BROKER_EPOCH');
    assert.deepEqual(stale.records, []);
  });
});

describe('error and config tables', () => {
  test('codes are unique and match Kafka for the ones the controller uses', () => {
    const codes = Object.values(KAFKA_ERRORS).map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length);
    const expected = { NONE: 0, UNKNOWN_SERVER_ERROR: -1, UNKNOWN_TOPIC_OR_PARTITION: 3, NOT_LEADER_OR_FOLLOWER: 6, INVALID_TOPIC_EXCEPTION: 17, TOPIC_ALREADY_EXISTS: 36, INVALID_PARTITIONS: 37, INVALID_REPLICATION_FACTOR: 38, INVALID_REPLICA_ASSIGNMENT: 39, INVALID_CONFIG: 40, NOT_CONTROLLER: 41, INVALID_REQUEST: 42, POLICY_VIOLATION: 44, FENCED_LEADER_EPOCH: 74, STALE_BROKER_EPOCH: 77, INVALID_UPDATE_VERSION: 95, UNKNOWN_TOPIC_ID: 100, DUPLICATE_BROKER_REGISTRATION: 101, BROKER_ID_NOT_REGISTERED: 102, INELIGIBLE_REPLICA: 107, NEW_LEADER_ELECTED: 108 } as const;
    for (const [name, code] of Object.entries(expected)) assert.equal(KAFKA_ERRORS[name as keyof typeof expected].code, code, name);
    assert.equal(KAFKA_ERRORS.NOT_CONTROLLER.retriable, true);
    assert.equal(KAFKA_ERRORS.INVALID_CONFIG.retriable, false);
    assert.equal(errorNameForCode(101), 'DUPLICATE_BROKER_REGISTRATION');
    assert.equal(errorNameForCode(9999), 'UNKNOWN_SERVER_ERROR');
    assert.equal(errorCode(apiError('STALE_BROKER_EPOCH', 'x')), 77);
    assert.equal(errorCode(undefined), 0);
  });

  test('every default passes its own validator; validators refuse what Kafka refuses', () => {
    for (const d of TOPIC_CONFIGS.values()) assert.equal(d.validate(d.defaultValue), undefined, d.name);
    const refused: ReadonlyArray<readonly [string, string]> = [
      ['retention.ms', '-2'], ['retention.ms', '1.5'], ['retention.ms', '9223372036854775808'], ['segment.bytes', '13'], ['segment.bytes', '2147483648'],
      ['segment.ms', '0'], ['min.insync.replicas', '0'], ['cleanup.policy', ''], ['cleanup.policy', 'delete,,compact'], ['cleanup.policy', 'shred'],
      ['unclean.leader.election.enable', 'yes'], ['unclean.leader.election.enable', 'constructor'], ['max.message.bytes', '-1'], ['compression.type', 'brotli'], ['message.timestamp.type', 'createtime'],
    ];
    for (const [key, value] of refused) assert.notEqual(validateTopicConfig(key, value), undefined, `${key}=${value}`);
    const accepted: ReadonlyArray<readonly [string, string]> = [['retention.ms', '-1'], ['cleanup.policy', 'compact, delete'], ['unclean.leader.election.enable', 'TRUE'], ['compression.type', 'zstd']];
    for (const [key, value] of accepted) assert.equal(validateTopicConfig(key, value), undefined, `${key}=${value}`);
    assert.equal(validateBrokerConfig('log.retention.ms', '100'), undefined);
    const image = withTopics(clusterOf([1]), [topicRequest('c', 1, 1, { configs: new Map([['cleanup.policy', 'compact, delete'], ['unclean.leader.election.enable', ' True']]) })]);
    assert.deepEqual(topicConfigList(image, 'c', 'cleanup.policy'), ['compact', 'delete']);
    assert.equal(topicConfigBoolean(image, 'c', 'unclean.leader.election.enable'), true);
    assert.equal(topicConfigNumber(image, 'c', 'segment.bytes'), 1073741824);
    assert.match(validateBrokerConfig('log.dirs', '/x') ?? '', /not dynamically alterable/);
  });
});
