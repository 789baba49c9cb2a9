// The admin API handlers over a controller that runs the real controller commands on an in-memory
// image (admin-support.ts): Kafka's per-resource error codes, validateOnly, the wait for the
// broker's own image, and an unreachable or silent controller.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleIncrementalAlterConfigs } from '../../src/broker/kafka/alter-configs-handler.js';
import { handleCreatePartitions } from '../../src/broker/kafka/create-partitions-handler.js';
import { handleCreateTopics } from '../../src/broker/kafka/create-topics-handler.js';
import { handleDeleteTopics } from '../../src/broker/kafka/delete-topics-handler.js';
import { handleDescribeCluster } from '../../src/broker/kafka/describe-cluster-handler.js';
import { handleDescribeConfigs } from '../../src/broker/kafka/describe-configs-handler.js';
import { TOPIC_CONFIGS } from '../../src/metadata/configs.js';
import type { DescribeConfigsResource } from '../../src/protocol/apis/describe-configs.js';
import { CONFIG_OPERATION, type AlterConfigsResource } from '../../src/protocol/apis/incremental-alter-configs.js';
import { CONFIG_SOURCE } from '../../src/broker/kafka/config-entries.js';
import { KAFKA_ERRORS } from '../../src/metadata/errors.js';
import { ZERO_UUID } from '../../src/protocol/apis/fields.js';
import type { CreatableTopic, CreateTopicsRequest } from '../../src/protocol/apis/create-topics.js';
import { addBroker, clusterOf } from '../metadata/controller-support.js';
import { BrokerImage, contextOf, TestController } from './admin-support.js';
import { waitUntil } from '../support/wait.js';

const code = (name: keyof typeof KAFKA_ERRORS) => KAFKA_ERRORS[name].code;

const topic = (name: string, extra: Partial<CreatableTopic> = {}): CreatableTopic => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...extra });
const createRequest = (topics: CreatableTopic[], extra: Partial<CreateTopicsRequest> = {}): CreateTopicsRequest => ({ topics, timeoutMs: 5_000, validateOnly: false, ...extra });

describe('CreateTopics handler', () => {
  it('creates with the defaults, answers counts, id and configs, and waits for the broker image', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    const response = await handleCreateTopics(createRequest([topic('a', { configs: [{ name: 'retention.ms', value: '1000' }] })]), contextOf(controller));
    const [a] = response.topics;
    assert.equal(a?.errorCode, 0);
    assert.equal(a?.errorMessage, null);
    assert.equal(a?.numPartitions, 2);
    assert.equal(a?.replicationFactor, 1);
    assert.notEqual(a?.topicId, ZERO_UUID);
    assert.equal(controller.broker.image.topicsById.get(a!.topicId as never)?.name, 'a');
    const retention = a?.configs?.find((c) => c.name === 'retention.ms');
    assert.deepEqual(retention, { name: 'retention.ms', value: '1000', readOnly: false, configSource: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG, isSensitive: false });
    assert.equal(a?.configs?.find((c) => c.name === 'cleanup.policy')?.configSource, CONFIG_SOURCE.DEFAULT_CONFIG);
  });

  it('answers each topic on its own: one exists, one is new', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    await handleCreateTopics(createRequest([topic('old')]), contextOf(controller));
    const response = await handleCreateTopics(createRequest([topic('old'), topic('new', { numPartitions: 3, replicationFactor: 3 })]), contextOf(controller));
    assert.deepEqual(response.topics.map((t) => [t.name, t.errorCode]), [['old', code('TOPIC_ALREADY_EXISTS')], ['new', 0]]);
    assert.match(response.topics[0]?.errorMessage ?? '', /already exists/);
    assert.deepEqual([response.topics[0]?.numPartitions, response.topics[0]?.replicationFactor, response.topics[0]?.topicId], [-1, -1, ZERO_UUID]);
    assert.deepEqual([response.topics[1]?.numPartitions, response.topics[1]?.replicationFactor], [3, 3]);
  });

  it('validateOnly creates nothing but answers what it would create', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    const response = await handleCreateTopics(createRequest([topic('v', { numPartitions: 4, replicationFactor: 2 })], { validateOnly: true }), contextOf(controller));
    assert.deepEqual([response.topics[0]?.errorCode, response.topics[0]?.numPartitions, response.topics[0]?.replicationFactor, response.topics[0]?.topicId], [0, 4, 2, ZERO_UUID]);
    assert.equal(controller.image.topicsByName.has('v'), false);
    assert.deepEqual(controller.calls.map((c) => (c.request as { validateOnly?: boolean }).validateOnly), [true]);
  });

  it("maps the controller's refusals to Kafka's codes", async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    const response = await handleCreateTopics(
      createRequest([
        topic('rf', { numPartitions: 1, replicationFactor: 4 }),
        topic('zero', { numPartitions: 0, replicationFactor: 1 }),
        topic('bad name!'),
        topic('cfg', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
        topic('unknown-cfg', { configs: [{ name: 'no.such.config', value: '1' }] }),
        topic('assigned', { assignments: [{ partitionIndex: 0, brokerIds: [9] }] }),
      ]),
      contextOf(controller),
    );
    assert.deepEqual(
      response.topics.map((t) => t.errorCode),
      [code('INVALID_REPLICATION_FACTOR'), code('INVALID_PARTITIONS'), code('INVALID_TOPIC_EXCEPTION'), code('INVALID_CONFIG'), code('INVALID_CONFIG'), code('INVALID_REPLICA_ASSIGNMENT')],
    );
    for (const t of response.topics) assert.ok(t.errorMessage !== null && t.errorMessage.length > 0, t.name);
  });

  it('uses explicit replica assignments', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    const assignments = [{ partitionIndex: 1, brokerIds: [3, 1] }, { partitionIndex: 0, brokerIds: [2, 3] }];
    const response = await handleCreateTopics(createRequest([topic('placed', { assignments })]), contextOf(controller));
    assert.equal(response.topics[0]?.errorCode, 0);
    const partitions = controller.image.topicsByName.get('placed')?.partitions;
    assert.deepEqual([...(partitions?.values() ?? [])].map((p) => [...p.replicas]), [[2, 3], [3, 1]]);
  });

  it('refuses what the controller service cannot express per topic, without failing the others', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    const response = await handleCreateTopics(
      createRequest([
        topic('null-config', { configs: [{ name: 'retention.ms', value: null }] }),
        topic('twice', { configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] }),
        topic('gap', { assignments: [{ partitionIndex: 1, brokerIds: [1] }] }),
        topic('zero-broker', { assignments: [{ partitionIndex: 0, brokerIds: [0] }] }),
        topic('fine'),
      ]),
      contextOf(controller),
    );
    assert.deepEqual(response.topics.map((t) => t.errorCode), [code('INVALID_CONFIG'), code('INVALID_CONFIG'), code('INVALID_REPLICA_ASSIGNMENT'), code('INVALID_REPLICA_ASSIGNMENT'), 0]);
    assert.deepEqual((controller.calls[0]?.request as { topics: { name: string }[] }).topics.map((t) => t.name), ['fine']);
  });

  it('sends nothing when the broker refuses every topic', async () => {
    const controller = TestController.withBrokers([1]);
    const response = await handleCreateTopics(createRequest([topic('n', { configs: [{ name: 'x', value: null }] })]), contextOf(controller));
    assert.equal(response.topics[0]?.errorCode, code('INVALID_CONFIG'));
    assert.equal(controller.calls.length, 0);
  });

  it('answers REQUEST_TIMED_OUT per topic when no controller answers', async () => {
    const unreachable = TestController.withBrokers([1]);
    unreachable.mode = 'unreachable';
    const a = await handleCreateTopics(createRequest([topic('a'), topic('b')]), contextOf(unreachable));
    assert.deepEqual(a.topics.map((t) => t.errorCode), [code('REQUEST_TIMED_OUT'), code('REQUEST_TIMED_OUT')]);
    const silent = TestController.withBrokers([1]);
    silent.mode = 'silent';
    const b = await handleCreateTopics(createRequest([topic('a')], { timeoutMs: 20 }), contextOf(silent));
    assert.equal(b.topics[0]?.errorCode, code('REQUEST_TIMED_OUT'));
    const none = await handleCreateTopics(createRequest([topic('a')]), { ...contextOf(silent), admin: undefined });
    assert.equal(none.topics[0]?.errorCode, code('REQUEST_TIMED_OUT'));
  });

  it('holds the answer until the broker image has the topic', async () => {
    const controller = TestController.withBrokers([1, 2, 3]);
    controller.publishAtOnce = false;
    let answered = false;
    const pending = handleCreateTopics(createRequest([topic('late')]), contextOf(controller)).then((r) => ((answered = true), r));
    await waitUntil('the handler waits on the broker image', () => controller.calls.length === 1 && controller.broker.listenerCount === 1);
    assert.equal(answered, false);
    controller.release();
    const response = await pending;
    assert.equal(response.topics[0]?.errorCode, 0);
    assert.ok(controller.broker.image.topicsByName.has('late'));
    assert.equal(controller.broker.listenerCount, 0);
  });

  it('still answers success when the broker image is slower than the timeout (the topic is committed)', async () => {
    const controller = TestController.withBrokers([1]);
    controller.publishAtOnce = false;
    const response = await handleCreateTopics(createRequest([topic('slow')], { timeoutMs: 20 }), contextOf(controller));
    assert.equal(response.topics[0]?.errorCode, 0);
    assert.equal(controller.broker.image.topicsByName.has('slow'), false);
    assert.equal(controller.broker.listenerCount, 0);
  });
});

/** A controller whose brokers 1-3 hold `names`, each created through the handler. */
async function withTopics(names: readonly string[]): Promise<TestController> {
  const controller = TestController.withBrokers([1, 2, 3]);
  const response = await handleCreateTopics(createRequest(names.map((n) => topic(n))), contextOf(controller));
  assert.deepEqual(response.topics.map((t) => t.errorCode), names.map(() => 0));
  return controller;
}

describe('DeleteTopics handler', () => {
  it('deletes by name, answers the topic id, and waits until the broker image has dropped it', async () => {
    const controller = await withTopics(['a', 'b']);
    const id = controller.image.topicsByName.get('a')!.id;
    controller.publishAtOnce = false;
    let answered = false;
    const pending = handleDeleteTopics({ topics: [{ name: 'a', topicId: ZERO_UUID }], timeoutMs: 5_000 }, contextOf(controller)).then((r) => ((answered = true), r));
    await waitUntil('the handler waits on the broker image', () => controller.calls.length === 2 && controller.broker.listenerCount === 1);
    assert.equal(answered, false);
    controller.release();
    const response = await pending;
    assert.deepEqual(response.responses, [{ name: 'a', topicId: id, errorCode: 0, errorMessage: null }]);
    assert.equal(controller.broker.image.topicsByName.has('a'), false);
    assert.ok(controller.broker.image.topicsByName.has('b'));
  });

  it('deletes by id (v6), naming the topic in the answer', async () => {
    const controller = await withTopics(['a']);
    const id = controller.image.topicsByName.get('a')!.id;
    const response = await handleDeleteTopics({ topics: [{ name: null, topicId: id }], timeoutMs: 5_000 }, contextOf(controller));
    assert.deepEqual(response.responses, [{ name: 'a', topicId: id, errorCode: 0, errorMessage: null }]);
    assert.deepEqual((controller.calls[1]?.request as { names: string[] }).names, ['a']);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID and INVALID_REQUEST per topic', async () => {
    const controller = await withTopics(['a', 'b']);
    const unknownId = '7e000000-0000-4000-8000-000000000007';
    const response = await handleDeleteTopics(
      {
        topics: [
          { name: 'missing', topicId: ZERO_UUID },
          { name: null, topicId: unknownId },
          { name: 'b', topicId: controller.image.topicsByName.get('b')!.id },
          { name: 'a', topicId: ZERO_UUID },
        ],
        timeoutMs: 5_000,
      },
      contextOf(controller),
    );
    assert.deepEqual(
      response.responses.map((r) => [r.name, r.topicId === ZERO_UUID ? 'zero' : r.topicId === unknownId ? 'asked' : 'found', r.errorCode]),
      [['missing', 'zero', code('UNKNOWN_TOPIC_OR_PARTITION')], [null, 'asked', code('UNKNOWN_TOPIC_ID')], ['b', 'found', code('INVALID_REQUEST')], ['a', 'found', 0]],
    );
    assert.ok(controller.image.topicsByName.has('b'), 'a refused topic is left alone');
  });

  it('answers REQUEST_TIMED_OUT per topic when no controller answers', async () => {
    const controller = await withTopics(['a']);
    controller.mode = 'unreachable';
    const response = await handleDeleteTopics({ topics: [{ name: 'a', topicId: ZERO_UUID }], timeoutMs: 5_000 }, contextOf(controller));
    assert.equal(response.responses[0]?.errorCode, code('REQUEST_TIMED_OUT'));
  });
});

describe('CreatePartitions handler', () => {
  const grow = (controller: TestController, topics: { name: string; count: number; assignments: number[][] | null }[], validateOnly = false) =>
    handleCreatePartitions({ topics, timeoutMs: 5_000, validateOnly }, contextOf(controller));

  it('grows a topic (placed or assigned) and waits until the broker image has the new partitions', async () => {
    const controller = await withTopics(['a', 'b']);
    controller.publishAtOnce = false;
    let answered = false;
    const pending = grow(controller, [{ name: 'a', count: 4, assignments: null }, { name: 'b', count: 3, assignments: [[3]] }]).then((r) => ((answered = true), r));
    await waitUntil('the handler waits on the broker image', () => controller.broker.listenerCount === 1);
    assert.equal(answered, false);
    controller.release();
    const response = await pending;
    assert.deepEqual(response.results, [{ name: 'a', errorCode: 0, errorMessage: null }, { name: 'b', errorCode: 0, errorMessage: null }]);
    assert.equal(controller.broker.image.topicsByName.get('a')?.partitions.size, 4);
    assert.deepEqual([...controller.broker.image.topicsByName.get('b')!.partitions.values()].map((p) => [...p.replicas]).at(2), [3]);
  });

  it('validateOnly changes nothing', async () => {
    const controller = await withTopics(['a']);
    const response = await grow(controller, [{ name: 'a', count: 5, assignments: null }], true);
    assert.equal(response.results[0]?.errorCode, 0);
    assert.equal(controller.image.topicsByName.get('a')?.partitions.size, 2);
  });

  it('answers INVALID_PARTITIONS, UNKNOWN_TOPIC_OR_PARTITION and INVALID_REPLICA_ASSIGNMENT per topic', async () => {
    const controller = await withTopics(['a', 'b']);
    const response = await grow(controller, [
      { name: 'a', count: 2, assignments: null },
      { name: 'missing', count: 3, assignments: null },
      { name: 'b', count: 4, assignments: [[1]] },
      { name: 'b', count: 3, assignments: [] },
      { name: 'b', count: 3, assignments: [[-1]] },
    ]);
    assert.deepEqual(
      response.results.map((r) => r.errorCode),
      [code('INVALID_PARTITIONS'), code('UNKNOWN_TOPIC_OR_PARTITION'), code('INVALID_REPLICA_ASSIGNMENT'), code('INVALID_REPLICA_ASSIGNMENT'), code('INVALID_REPLICA_ASSIGNMENT')],
    );
    assert.equal(controller.image.topicsByName.get('b')?.partitions.size, 2);
  });

  it('answers REQUEST_TIMED_OUT when the controller is silent past the timeout', async () => {
    const controller = await withTopics(['a']);
    controller.mode = 'silent';
    const response = await handleCreatePartitions({ topics: [{ name: 'a', count: 3, assignments: null }], timeoutMs: 20, validateOnly: false }, contextOf(controller));
    assert.equal(response.results[0]?.errorCode, code('REQUEST_TIMED_OUT'));
  });
});

describe('DescribeConfigs handler', () => {
  /** Topic t with retention.ms=1000; cluster default log.retention.ms=2000; broker 1's own message.max.bytes=3000. */
  async function configured(): Promise<TestController> {
    const controller = TestController.withBrokers([1, 2, 3]);
    await handleCreateTopics(createRequest([topic('t', { configs: [{ name: 'retention.ms', value: '1000' }] })]), contextOf(controller));
    const set = (resourceType: string, resourceName: string, key: string, value: string) => ({ resourceType, resourceName, key, op: 'set', value });
    const altered = await controller.call('alterConfigs', { ops: [set('broker', '', 'log.retention.ms', '2000'), set('broker', '1', 'message.max.bytes', '3000')] });
    assert.deepEqual(altered.resources?.map((r) => r.error ?? null), [null, null]);
    return controller;
  }
  const describeOne = (controller: TestController, resource: DescribeConfigsResource, includeSynonyms = true, includeDocumentation = true) =>
    handleDescribeConfigs({ resources: [resource], includeSynonyms, includeDocumentation }, contextOf(controller)).results[0]!;
  const TOPIC = 2;
  const BROKER = 4;

  it('lists every topic config with its value, source and synonyms in precedence order', async () => {
    const controller = await configured();
    const result = describeOne(controller, { resourceType: TOPIC, resourceName: 't', configurationKeys: null });
    assert.deepEqual([result.errorCode, result.errorMessage, result.resourceType, result.resourceName], [0, null, TOPIC, 't']);
    assert.deepEqual(result.configs.map((c) => c.name), [...TOPIC_CONFIGS.keys()]);
    const retention = result.configs.find((c) => c.name === 'retention.ms')!;
    assert.deepEqual([retention.value, retention.configSource, retention.readOnly, retention.isSensitive, retention.configType], ['1000', CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG, false, false, 5]);
    assert.deepEqual(retention.synonyms, [
      { name: 'retention.ms', value: '1000', source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.ms', value: '2000', source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '604800000', source: CONFIG_SOURCE.DEFAULT_CONFIG },
    ]);
    const segment = result.configs.find((c) => c.name === 'segment.bytes')!;
    assert.deepEqual([segment.value, segment.configSource, segment.configType], ['1073741824', CONFIG_SOURCE.DEFAULT_CONFIG, 3]);
    assert.match(segment.documentation ?? '', /segment/);
    assert.equal(result.configs.find((c) => c.name === 'cleanup.policy')?.configType, 7);
  });

  it('the cluster default shows through a topic without its own value', async () => {
    const controller = await configured();
    await handleCreateTopics(createRequest([topic('plain')]), contextOf(controller));
    const result = describeOne(controller, { resourceType: TOPIC, resourceName: 'plain', configurationKeys: ['retention.ms'] }, false, false);
    assert.deepEqual(result.configs, [{ name: 'retention.ms', value: '2000', readOnly: false, configSource: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG, isSensitive: false, synonyms: [], configType: 5, documentation: null }]);
  });

  it('lists only the keys asked for (unknown keys are left out; an empty list lists nothing)', async () => {
    const controller = await configured();
    const some = describeOne(controller, { resourceType: TOPIC, resourceName: 't', configurationKeys: ['cleanup.policy', 'no.such.key', 'retention.ms'] });
    assert.deepEqual(some.configs.map((c) => c.name), ['retention.ms', 'cleanup.policy']);
    assert.deepEqual(describeOne(controller, { resourceType: TOPIC, resourceName: 't', configurationKeys: [] }).configs, []);
  });

  it('answers unknown and invalid topics, foreign brokers and other resource types per resource', async () => {
    const controller = await configured();
    const response = handleDescribeConfigs(
      {
        resources: [
          { resourceType: TOPIC, resourceName: 'missing', configurationKeys: null },
          { resourceType: TOPIC, resourceName: 'bad name!', configurationKeys: null },
          { resourceType: BROKER, resourceName: '2', configurationKeys: null },
          { resourceType: 3, resourceName: 'group', configurationKeys: null },
          { resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms'] },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      },
      contextOf(controller),
    );
    assert.deepEqual(
      response.results.map((r) => [r.resourceName, r.errorCode, r.configs.length]),
      [['missing', code('UNKNOWN_TOPIC_OR_PARTITION'), 0], ['bad name!', code('INVALID_TOPIC_EXCEPTION'), 0], ['2', code('INVALID_REQUEST'), 0], ['group', code('INVALID_REQUEST'), 0], ['t', 0, 1]],
    );
    assert.match(response.results[2]?.errorMessage ?? '', /expected 1 or empty string/);
  });

  it("describes this broker: static settings read-only, dynamic keys with the broker's own value first", async () => {
    const controller = await configured();
    const result = describeOne(controller, { resourceType: BROKER, resourceName: '1', configurationKeys: null });
    assert.equal(result.errorCode, 0);
    const byName = new Map(result.configs.map((c) => [c.name, c]));
    assert.deepEqual([byName.get('node.id')?.value, byName.get('node.id')?.readOnly, byName.get('node.id')?.configSource], ['1', true, CONFIG_SOURCE.STATIC_BROKER_CONFIG]);
    assert.equal(byName.get('advertised.listeners')?.value, 'PLAINTEXT://127.0.0.1:9092');
    const maxBytes = byName.get('message.max.bytes')!;
    assert.deepEqual([maxBytes.value, maxBytes.configSource, maxBytes.readOnly], ['3000', CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG, false]);
    assert.deepEqual(maxBytes.synonyms.map((s) => [s.value, s.source]), [['3000', CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG], ['1048588', CONFIG_SOURCE.DEFAULT_CONFIG]]);
    assert.deepEqual([byName.get('log.retention.ms')?.value, byName.get('log.retention.ms')?.configSource], ['2000', CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG]);
    assert.deepEqual([byName.get('log.segment.bytes')?.value, byName.get('log.segment.bytes')?.configSource], ['1073741824', CONFIG_SOURCE.DEFAULT_CONFIG]);
  });

  it("describes the cluster default resource '' as the defaults that are set", async () => {
    const controller = await configured();
    const result = describeOne(controller, { resourceType: BROKER, resourceName: '', configurationKeys: null });
    assert.deepEqual(result.configs.map((c) => [c.name, c.value, c.configSource]), [['log.retention.ms', '2000', CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG]]);
  });
});

describe('IncrementalAlterConfigs handler', () => {
  const TOPIC = 2;
  const BROKER = 4;
  const { SET, DELETE, APPEND, SUBTRACT } = CONFIG_OPERATION;
  const alter = (controller: TestController, resources: AlterConfigsResource[], validateOnly = false) => handleIncrementalAlterConfigs({ resources, validateOnly }, contextOf(controller));
  const topicValue = (controller: TestController, topicName: string, key: string) => controller.broker.image.configs.topic.get(topicName)?.get(key);

  it('sets and deletes topic and broker configs, and waits until the broker image shows them', async () => {
    const controller = await withTopics(['t']);
    controller.publishAtOnce = false;
    let answered = false;
    const pending = alter(controller, [
      { resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }, { name: 'segment.ms', configOperation: DELETE, value: null }] },
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '6' }] },
    ]).then((r) => ((answered = true), r));
    await waitUntil('the handler waits on the broker image', () => controller.broker.listenerCount === 1);
    assert.equal(answered, false);
    controller.release();
    const response = await pending;
    assert.deepEqual(response.responses, [
      { errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 't' },
      { errorCode: 0, errorMessage: null, resourceType: BROKER, resourceName: '' },
    ]);
    assert.equal(topicValue(controller, 't', 'retention.ms'), '5');
    assert.equal(controller.broker.image.configs.broker.get('')?.get('log.retention.ms'), '6');
    controller.publishAtOnce = true;
    const deleted = await alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: DELETE, value: null }] }]);
    assert.equal(deleted.responses[0]?.errorCode, 0);
    assert.equal(topicValue(controller, 't', 'retention.ms'), undefined);
  });

  it('validateOnly changes nothing', async () => {
    const controller = await withTopics(['t']);
    const response = await alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }] }], true);
    assert.equal(response.responses[0]?.errorCode, 0);
    assert.equal(topicValue(controller, 't', 'retention.ms'), undefined);
  });

  it('APPEND and SUBTRACT edit list configs from the inherited value', async () => {
    const controller = await withTopics(['t']);
    const edit = (configOperation: number, value: string) => alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation, value }] }]);
    assert.equal((await edit(APPEND, 'compact')).responses[0]?.errorCode, 0);
    assert.equal(topicValue(controller, 't', 'cleanup.policy'), 'delete,compact');
    assert.equal((await edit(APPEND, 'delete')).responses[0]?.errorCode, 0);
    assert.equal(topicValue(controller, 't', 'cleanup.policy'), 'delete,compact');
    assert.equal((await edit(SUBTRACT, 'delete')).responses[0]?.errorCode, 0);
    assert.equal(topicValue(controller, 't', 'cleanup.policy'), 'compact');
    const notList = await alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: APPEND, value: '1' }] }]);
    assert.equal(notList.responses[0]?.errorCode, code('INVALID_CONFIG'));
    assert.match(notList.responses[0]?.errorMessage ?? '', /append is not allowed/);
  });

  it('answers each resource on its own with Kafka codes, and one bad op fails its whole resource', async () => {
    const controller = await withTopics(['t', 'u', 'v', 'w']);
    const response = await alter(controller, [
      { resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: SET, value: '7' }, { name: 'retention.bytes', configOperation: SET, value: 'lots' }] },
      { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: SET, value: '7' }] },
      { resourceType: TOPIC, resourceName: 'u', configs: [{ name: 'no.such.config', configOperation: SET, value: '1' }] },
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'listeners', configOperation: SET, value: 'x' }] },
      { resourceType: TOPIC, resourceName: 'v', configs: [{ name: 'retention.ms', configOperation: 9, value: '1' }] },
      { resourceType: 3, resourceName: 'g', configs: [] },
      { resourceType: BROKER, resourceName: '2', configs: [{ name: 'log.retention.ms', configOperation: SET, value: null }] },
      { resourceType: TOPIC, resourceName: 'w', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
      { resourceType: TOPIC, resourceName: 'w', configs: [{ name: 'segment.ms', configOperation: SET, value: '1' }] },
      { resourceType: BROKER, resourceName: '3', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '8' }] },
    ]);
    assert.deepEqual(response.responses.map((r) => r.errorCode), [
      code('INVALID_CONFIG'),
      code('UNKNOWN_TOPIC_OR_PARTITION'),
      code('INVALID_CONFIG'),
      code('INVALID_CONFIG'),
      code('INVALID_REQUEST'),
      code('INVALID_REQUEST'),
      code('INVALID_REQUEST'),
      code('INVALID_REQUEST'),
      code('INVALID_REQUEST'),
      0,
    ]);
    assert.equal(topicValue(controller, 'w', 'retention.ms'), undefined, 'a resource named twice is not altered');
    assert.equal(topicValue(controller, 't', 'retention.ms'), undefined, 'the good op of a failed resource is not applied');
    assert.equal(controller.broker.image.configs.broker.get('3')?.get('log.retention.ms'), '8');
  });

  it('answers a resource without ops itself', async () => {
    const controller = await withTopics(['t']);
    const response = await alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [] }, { resourceType: TOPIC, resourceName: 'nope', configs: [] }]);
    assert.deepEqual(response.responses.map((r) => r.errorCode), [0, code('UNKNOWN_TOPIC_OR_PARTITION')]);
    assert.equal(controller.calls.length, 1, 'only the topic creation reached the controller');
  });

  it('answers REQUEST_TIMED_OUT when no controller answers', async () => {
    const controller = await withTopics(['t']);
    controller.mode = 'unreachable';
    const response = await alter(controller, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }] }]);
    assert.equal(response.responses[0]?.errorCode, code('REQUEST_TIMED_OUT'));
  });
});

describe('DescribeCluster handler', () => {
  it("lists the unfenced brokers with this listener's endpoint, the cluster id and the controller", () => {
    const image = clusterOf([1, 2]);
    const fenced = addBroker(image, 3, { fenced: true });
    const controller = new TestController(fenced, new BrokerImage(fenced));
    const response = handleDescribeCluster({ includeClusterAuthorizedOperations: false, endpointType: 1 }, contextOf(controller));
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'test-cluster',
      controllerId: 1,
      brokers: [
        { brokerId: 1, host: 'broker1', port: 9092, rack: null },
        { brokerId: 2, host: 'broker2', port: 9092, rack: null },
      ],
      clusterAuthorizedOperations: -0x8000_0000,
    });
    assert.deepEqual(handleDescribeCluster({ includeClusterAuthorizedOperations: false, endpointType: 1 }, contextOf(controller, 'OTHER')).brokers, []);
  });

  it('refuses to describe controllers (MISMATCHED_ENDPOINT_TYPE) or unknown endpoint types', () => {
    const controller = TestController.withBrokers([1]);
    const asControllers = handleDescribeCluster({ includeClusterAuthorizedOperations: false, endpointType: 2 }, contextOf(controller));
    assert.deepEqual([asControllers.errorCode, asControllers.brokers], [114, []]);
    assert.equal(handleDescribeCluster({ includeClusterAuthorizedOperations: false, endpointType: 7 }, contextOf(controller)).errorCode, 115);
  });
});
