// Topic commands: create (placement, explicit assignments, defaults, configs, validateOnly, every
// refusal), delete, create partitions and incremental alter configs. Records replay cleanly on the
// image the command read; a refused topic or resource leaves no record.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configValue, partitionOf, type MetadataImage } from '../../src/metadata/image.js';
import { alterConfigs, createPartitions, createTopics, deleteTopics, fenceBroker, type AlterConfigOp, type CreateTopicRequest } from '../../src/metadata/controller/index.js';
import { minInsyncReplicas, topicConfigValue } from '../../src/metadata/configs.js';
import { partitionIndex, topicId } from '../../src/metadata/types.js';
import { addBroker, applyResult, b, bs, clusterOf, idSource, run, topicRequest, withTopics } from './controller-support.js';

const create = (image: MetadataImage, reqs: readonly CreateTopicRequest[], validateOnly = false, newTopicId = idSource()) =>
  createTopics(image, reqs, { defaults: { numPartitions: 3, replicationFactor: 2 }, newTopicId, validateOnly });

describe('createTopics', () => {
  test('places replicas over unfenced brokers, records Topic, Partitions (epochs 0) and Configs', () => {
    const image = addBroker(clusterOf([1, 2, 3]), 4, { fenced: true });
    const result = create(image, [topicRequest('orders', 4, 2, { configs: new Map([['retention.ms', '1000']]) })]);
    assert.deepEqual(result.response, [{ name: 'orders', numPartitions: 4, replicationFactor: 2, topicId: topicId('00000000-0000-4000-8000-000000000001') }]);
    assert.deepEqual(result.records.map((r) => r.type), ['topic', 'partition', 'partition', 'partition', 'partition', 'config']);
    const next = applyResult(image, result);
    const topic = next.topicsByName.get('orders')!;
    for (const p of topic.partitions.values()) {
      assert.equal(p.replicas.length, 2);
      assert.ok(!p.replicas.includes(b(4)), 'the fenced broker gets no replica');
      assert.deepEqual({ isr: p.isr, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch }, { isr: p.replicas, leader: p.replicas[0], leaderEpoch: 0, partitionEpoch: 0 });
    }
    assert.equal(configValue(next, 'topic', 'orders', 'retention.ms'), '1000');
  });

  test('-1 takes the defaults; placement counts existing partitions as load', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('first', -1, -1, { assignments: [bs(1), bs(1)] })]);
    const result = create(image, [topicRequest('second', -1, -1)], false, idSource(10));
    assert.deepEqual(result.response[0], { name: 'second', numPartitions: 3, replicationFactor: 2, topicId: topicId('00000000-0000-4000-8000-00000000000a') });
    const next = applyResult(image, result);
    const leaders = [...next.topicsByName.get('second')!.partitions.values()].map((p) => p.leader);
    assert.equal(leaders.filter((l) => l === b(1)).length, 0, 'broker 1 already leads two partitions');
  });

  test('explicit assignments: ISR is the unfenced replicas, leader the first of them', () => {
    const image = addBroker(clusterOf([1, 2]), 3, { fenced: true });
    const next = applyResult(image, create(image, [topicRequest('x', -1, -1, { assignments: [bs(3, 1, 2), bs(2, 3, 1)] })]));
    const t = next.topicsByName.get('x')!.id;
    assert.deepEqual(partitionOf(next, t, partitionIndex(0)), { replicas: [3, 1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
    assert.deepEqual(partitionOf(next, t, partitionIndex(1)), { replicas: [2, 3, 1], isr: [2, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 });
  });

  test('min.insync.replicas above the replication factor is allowed, as in Kafka', () => {
    const result = create(clusterOf([1]), [topicRequest('m', 1, 1, { configs: new Map([['min.insync.replicas', '3']]) })]);
    assert.equal(result.response[0]?.error, undefined);
    assert.equal(minInsyncReplicas(applyResult(clusterOf([1]), result), 'm'), 3);
  });

  test('validateOnly: results as if created, no topic ids, no records', () => {
    const result = create(clusterOf([1, 2]), [topicRequest('v', 2, 2)], true);
    assert.deepEqual(result, { records: [], response: [{ name: 'v', numPartitions: 2, replicationFactor: 2 }] });
  });

  test('each topic gets its own result; a refused one does not stop the others and leaves no record', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('taken', 1, 1), topicRequest('a.b', 1, 1)]);
    const cases: ReadonlyArray<readonly [CreateTopicRequest, string, RegExp]> = [
      [topicRequest('bad name', 1, 1), 'INVALID_TOPIC_EXCEPTION', /"bad name" may contain only/],
      [topicRequest('taken', 1, 1), 'TOPIC_ALREADY_EXISTS', /topic taken already exists/],
      [topicRequest('a_b', 1, 1), 'INVALID_TOPIC_EXCEPTION', /a_b collides with existing topic a\.b/],
      [topicRequest('zero', 0, 1), 'INVALID_PARTITIONS', /zero: .*at least 1, got 0/],
      [topicRequest('rf', 1, 4), 'INVALID_REPLICATION_FACTOR', /rf: replication factor 4 is larger than the number of available brokers, 3/],
      [topicRequest('rf0', 1, 0), 'INVALID_REPLICATION_FACTOR', /at least 1, got 0/],
      [topicRequest('cfg', 1, 1, { configs: new Map([['retention.ms', '-2']]) }), 'INVALID_CONFIG', /cfg: invalid value for retention.ms: -2 is below the minimum -1/],
      [topicRequest('cfgkey', 1, 1, { configs: new Map([['no.such', '1']]) }), 'INVALID_CONFIG', /unknown topic config "no.such"/],
      [topicRequest('both', 1, -1, { assignments: [bs(1)] }), 'INVALID_REQUEST', /either replica assignments or/],
      [topicRequest('ragged', -1, -1, { assignments: [bs(1, 2), bs(3)] }), 'INVALID_REPLICA_ASSIGNMENT', /partition 1 has 1 replicas where the others have 2/],
      [topicRequest('dup', -1, -1, { assignments: [bs(1, 1)] }), 'INVALID_REPLICA_ASSIGNMENT', /lists a broker twice/],
      [topicRequest('ghost', -1, -1, { assignments: [bs(1, 9)] }), 'INVALID_REPLICA_ASSIGNMENT', /broker 9 of partition 0 is not registered/],
      [topicRequest('none', -1, -1, { assignments: [] }), 'INVALID_REPLICA_ASSIGNMENT', /no partitions/],
      [topicRequest('empty', -1, -1, { assignments: [[]] }), 'INVALID_REPLICA_ASSIGNMENT', /partition 0 has no replicas/],
    ];
    const result = create(image, [topicRequest('ok1', 1, 1), ...cases.map(([req]) => req), topicRequest('ok2', 1, 1)], false, idSource(100));
    cases.forEach(([, code, message], i) => {
      const r = result.response[i + 1]!;
      assert.equal(r.error?.code, code, `${r.name}: ${r.error?.message}`);
      assert.match(r.error?.message ?? '', message);
      assert.deepEqual({ topicId: r.topicId, n: r.numPartitions, rf: r.replicationFactor }, { topicId: undefined, n: -1, rf: -1 });
    });
    const next = applyResult(image, result);
    assert.deepEqual([...next.topicsByName.keys()].sort(), ['a.b', 'ok1', 'ok2', 'taken']);
  });

  test('all replicas of an explicit partition fenced: INVALID_REPLICA_ASSIGNMENT', () => {
    const image = addBroker(clusterOf([1]), 2, { fenced: true });
    assert.match(create(image, [topicRequest('f', -1, -1, { assignments: [bs(2)] })]).response[0]?.error?.message ?? '', /every replica of partition 0 \[2\] is fenced/);
  });

  test('a name twice in one request fails every copy; names colliding within one request fail the later one', () => {
    const result = create(clusterOf([1]), [topicRequest('d', 1, 1), topicRequest('d', 1, 1), topicRequest('x.y', 1, 1), topicRequest('x_y', 1, 1)]);
    assert.deepEqual(result.response.map((r) => r.error?.code), ['INVALID_REQUEST', 'INVALID_REQUEST', undefined, 'INVALID_TOPIC_EXCEPTION']);
    assert.deepEqual(result.records.filter((r) => r.type === 'topic').map((r) => r.type === 'topic' && r.name), ['x.y']);
  });

  test('a taken topic id is skipped; too many in a row is UNKNOWN_SERVER_ERROR', () => {
    const image = withTopics(clusterOf([1]), [topicRequest('one', 1, 1)]);
    const fresh = create(image, [topicRequest('two', 1, 1)], false, idSource(1));
    assert.equal(fresh.response[0]?.topicId, topicId('00000000-0000-4000-8000-000000000002'));
    const stuck = create(image, [topicRequest('two', 1, 1)], false, () => topicId('00000000-0000-4000-8000-000000000001'));
    assert.equal(stuck.response[0]?.error?.code, 'UNKNOWN_SERVER_ERROR');
    assert.deepEqual(stuck.records, []);
  });

  test('more partitions in one request than the limit: POLICY_VIOLATION for every topic', () => {
    const result = create(clusterOf([1]), [topicRequest('big', 60_000, 1), topicRequest('bigger', 60_000, 1)]);
    assert.deepEqual(result.response.map((r) => r.error?.code), ['POLICY_VIOLATION', 'POLICY_VIOLATION']);
    assert.deepEqual(result.records, []);
  });
});

describe('deleteTopics', () => {
  test('removes existing topics with their configs; unknown and repeated names are refused', () => {
    const image = withTopics(clusterOf([1]), [topicRequest('a', 1, 1, { configs: new Map([['retention.ms', '5']]) }), topicRequest('b', 1, 1)]);
    const result = deleteTopics(image, ['a', 'nope', 'b', 'b']);
    assert.deepEqual(result.response.map((r) => [r.name, r.error?.code]), [['a', undefined], ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'], ['b', 'INVALID_REQUEST'], ['b', 'INVALID_REQUEST']]);
    assert.equal(result.response[0]?.topicId, image.topicsByName.get('a')?.id);
    const next = applyResult(image, result);
    assert.deepEqual([...next.topicsByName.keys()], ['b']);
    assert.equal(next.configs.topic.has('a'), false);
  });
});

describe('createPartitions', () => {
  test('adds partitions with the replication factor of partition 0, placed over unfenced brokers', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('t', 2, 2)]);
    const fenced = applyResult(image, fenceBroker(image, b(3)));
    const { image: next, response } = run(fenced, createPartitions(fenced, [{ name: 't', count: 5, assignments: null }], { validateOnly: false }));
    assert.deepEqual(response, [{ name: 't' }]);
    const parts = [...next.topicsByName.get('t')!.partitions.values()].slice(2);
    assert.equal(parts.length, 3);
    for (const p of parts) {
      assert.equal(p.replicas.length, 2);
      assert.ok(!p.replicas.includes(b(3)));
      assert.equal(p.leader, p.replicas[0]);
    }
  });

  test('explicit assignments for the added partitions only', () => {
    const image = withTopics(clusterOf([1, 2, 3]), [topicRequest('t', 1, 2)]);
    const next = applyResult(image, createPartitions(image, [{ name: 't', count: 2, assignments: [bs(3, 1)] }], { validateOnly: false }));
    assert.deepEqual(partitionOf(next, next.topicsByName.get('t')!.id, partitionIndex(1)), { replicas: [3, 1], isr: [3, 1], leader: 3, leaderEpoch: 0, partitionEpoch: 0 });
  });

  test('refusals: not more partitions, unknown topic, repeated name, wrong assignment count or width; validateOnly records nothing', () => {
    const image = withTopics(clusterOf([1, 2]), [topicRequest('t', 2, 2), topicRequest('u', 1, 1)]);
    const result = createPartitions(image, [
      { name: 't', count: 2, assignments: null },
      { name: 'nope', count: 3, assignments: null },
      { name: 'u', count: 3, assignments: [bs(1)] },
      { name: 'w', count: 3, assignments: null },
      { name: 'w', count: 3, assignments: null },
    ], { validateOnly: false });
    assert.deepEqual(result.response.map((r) => r.error?.code), ['INVALID_PARTITIONS', 'UNKNOWN_TOPIC_OR_PARTITION', 'INVALID_REPLICA_ASSIGNMENT', 'INVALID_REQUEST', 'INVALID_REQUEST']);
    assert.match(result.response[0]?.error?.message ?? '', /topic t has 2 partitions; 2 is not more/);
    assert.deepEqual(result.records, []);
    const wide = createPartitions(image, [{ name: 'u', count: 2, assignments: [bs(1, 2)] }], { validateOnly: false });
    assert.match(wide.response[0]?.error?.message ?? '', /partition 0 has 2 replicas where the others have 1/);
    const dry = createPartitions(image, [{ name: 'u', count: 4, assignments: null }], { validateOnly: true });
    assert.deepEqual(dry, { records: [], response: [{ name: 'u' }] });
  });
});

describe('alterConfigs', () => {
  const set = (resourceType: 'topic' | 'broker', resourceName: string, key: string, value: string): AlterConfigOp => ({ resourceType, resourceName, key, op: 'set', value });
  const del = (resourceType: 'topic' | 'broker', resourceName: string, key: string): AlterConfigOp => ({ resourceType, resourceName, key, op: 'delete', value: '' });

  test('sets and deletes topic and broker keys; records only actual changes', () => {
    const image = withTopics(clusterOf([1]), [topicRequest('t', 1, 1, { configs: new Map([['retention.ms', '5'], ['segment.ms', '9']]) })]);
    const result = alterConfigs(image, [set('topic', 't', 'retention.ms', '5'), set('topic', 't', 'cleanup.policy', 'compact,delete'), del('topic', 't', 'segment.ms'), del('topic', 't', 'flush.ms'), set('broker', '', 'log.retention.ms', '77')], { validateOnly: false });
    assert.deepEqual(result.response, [{ resourceType: 'topic', resourceName: 't' }, { resourceType: 'broker', resourceName: '' }]);
    assert.equal(result.records.length, 3, 'unchanged retention.ms and absent flush.ms need no record');
    const next = applyResult(image, result);
    assert.equal(topicConfigValue(next, 't', 'cleanup.policy'), 'compact,delete');
    assert.equal(topicConfigValue(next, 't', 'segment.ms'), '604800000', 'deleted: back to the default');
    assert.equal(topicConfigValue(next, 't', 'retention.ms'), '5', 'the topic value wins over the cluster default');
    const other = withTopics(next, [topicRequest('o', 1, 1)], idSource(50));
    assert.equal(topicConfigValue(other, 'o', 'retention.ms'), '77', 'the cluster default wins over the built-in one');
  });

  test('one bad op fails its whole resource and changes nothing of it; other resources go ahead', () => {
    const image = withTopics(clusterOf([1]), [topicRequest('t', 1, 1), topicRequest('u', 1, 1)]);
    const result = alterConfigs(image, [
      set('topic', 't', 'retention.ms', '10'),
      set('topic', 't', 'min.insync.replicas', '0'),
      set('topic', 'u', 'retention.ms', '10'),
      set('topic', 'gone', 'retention.ms', '10'),
      set('broker', '1', 'listeners', 'x'),
      set('broker', 'b1', 'log.retention.ms', '1'),
      set('broker', '2', 'log.retention.ms', '1'),
      del('broker', '2', 'log.retention.ms'),
      del('topic', 'u', 'nonsense'),
      set('broker', '', 'unclean.leader.election.enable', 'maybe'),
    ], { validateOnly: false });
    assert.deepEqual(result.response.map((r) => [r.resourceType, r.resourceName, r.error?.code]), [
      ['topic', 't', 'INVALID_CONFIG'],
      ['topic', 'u', 'INVALID_CONFIG'],
      ['topic', 'gone', 'UNKNOWN_TOPIC_OR_PARTITION'],
      ['broker', '1', 'INVALID_CONFIG'],
      ['broker', 'b1', 'INVALID_REQUEST'],
      ['broker', '2', 'INVALID_REQUEST'],
      ['broker', '', 'INVALID_CONFIG'],
    ]);
    assert.match(result.response[0]?.error?.message ?? '', /topic "t": invalid value for min.insync.replicas: 0 is below the minimum 1/);
    assert.match(result.response[3]?.error?.message ?? '', /"listeners" is not dynamically alterable/);
    assert.deepEqual(result.records, []);
  });

  test('validateOnly checks without records', () => {
    const image = withTopics(clusterOf([1]), [topicRequest('t', 1, 1)]);
    assert.deepEqual(alterConfigs(image, [set('topic', 't', 'retention.ms', '10')], { validateOnly: true }), { records: [], response: [{ resourceType: 'topic', resourceName: 't' }] });
  });
});
