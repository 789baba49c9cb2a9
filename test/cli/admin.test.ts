// The admin commands run as a user runs them (a child process), against fake controllers: what
// they send, what they print (text as Kafka's tools, and --json), and how they fail.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { flotilla } from '../support/flotilla-cli.js';
import { FakeController } from './fake-controller.js';

let active: FakeController;
let follower: FakeController;
let bootstrap: string;

const admin = (...args: string[]) => flotilla(...args, '--bootstrap-controller', bootstrap);

const TOPIC = {
  name: 'orders',
  topicId: 'q1w2e3r4t5y6u7i8o9p0aa',
  configs: [{ key: 'retention.ms', value: '1000' }, { key: 'cleanup.policy', value: 'delete' }],
  partitions: [
    { topicId: 'q1w2e3r4t5y6u7i8o9p0aa', partition: 1, replicas: [2, 3], isr: [2], leader: 2, leaderEpoch: 4, partitionEpoch: 7 },
    { topicId: 'q1w2e3r4t5y6u7i8o9p0aa', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  ],
};
const CLUSTER = {
  clusterId: 'AAAAAAAAAAAAAAAAAAAAAA',
  controllerId: 2,
  metadataOffset: 40,
  brokers: [
    { id: 2, epoch: 12, incarnationId: 'x', endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port: 9093, securityProtocol: 'PLAINTEXT' }], fenced: true },
    { id: 1, epoch: 10, incarnationId: 'y', endpoints: [{ listener: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }], rack: 'r1', fenced: false },
  ],
  topics: [TOPIC, { name: 'audit', topicId: 'zzzzzzzzzzzzzzzzzzzzzz', partitions: [], configs: [] }],
};

before(async () => {
  // The follower comes first, so every command must follow a NOT_CONTROLLER answer.
  follower = await FakeController.start(true);
  active = await FakeController.start();
  bootstrap = `${follower.address},${active.address}`;
  active.canned = {
    describeCluster: () => CLUSTER,
    describeQuorum: () => ({
      leaderId: 2,
      leaderEpoch: 5,
      highWatermark: 120,
      voters: [{ id: 3, logEndOffset: 117, lag: 3, voter: true }, { id: 2, logEndOffset: 120, lag: 0, voter: true }, { id: 1, logEndOffset: 120, lag: 0, voter: true }],
      observers: [{ id: 101, logEndOffset: 100, lag: 20, voter: false }],
    }),
    createTopics: (r) => ({ topics: (r.topics ?? []).map((t) => (t.name === 'taken' ? { name: t.name, error: { code: 'TOPIC_ALREADY_EXISTS', message: "Topic 'taken' already exists." } } : { name: t.name, topicId: 'newid', numPartitions: 3, replicationFactor: 2 })) }),
    deleteTopics: (r) => ({ topics: (r.names ?? []).map((name) => ({ name, topicId: 'oldid' })) }),
    createPartitions: () => ({ error: { code: 'INVALID_PARTITIONS', message: 'Topic currently has 2 partitions, which is higher than the requested 1.' } }),
    alterConfigs: (r) => ({ resources: [{ resourceType: 'topic', resourceName: r.ops?.[0]?.resourceName ?? '' }] }),
  };
});

after(async () => {
  await Promise.all([active.stop(), follower.stop()]);
});

test('quorum status, as kafka-metadata-quorum.sh describe --status', async () => {
  const r = await admin('quorum', 'status');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      'LeaderId:               2',
      'LeaderEpoch:            5',
      'HighWatermark:          120',
      'MaxFollowerLag:         3',
      'CurrentVoters:          [1,2,3]',
      'CurrentObservers:       [101]',
      '',
    ].join('\n'),
  );
});

test('quorum status --replication: one row per replica; --json for scripts', async () => {
  const r = await admin('quorum', 'status', '--replication');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    ['NodeId  LogEndOffset  Lag  Status', '1       120           0    Follower', '2       120           0    Leader', '3       117           3    Follower', '101     100           20   Observer', ''].join('\n'),
  );
  const j = JSON.parse((await admin('quorum', 'status', '--json')).out) as { leaderId: number; observers: { id: number; lag: number }[] };
  assert.equal(j.leaderId, 2);
  assert.deepEqual(j.observers.map((o) => [o.id, o.lag]), [[101, 20]]);
});

test('topics list and describe read DescribeCluster and print as kafka-topics.sh', async () => {
  assert.equal((await admin('topics', 'list')).out, 'audit\norders\n');
  const r = await admin('topics', 'describe', '--topic', 'orders');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      'Topic: orders\tTopicId: q1w2e3r4t5y6u7i8o9p0aa\tPartitionCount: 2\tReplicationFactor: 2\tConfigs: cleanup.policy=delete,retention.ms=1000',
      '\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tLeaderEpoch: 0\tPartitionEpoch: 0',
      '\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2\tLeaderEpoch: 4\tPartitionEpoch: 7',
      '',
    ].join('\n'),
  );
  const j = JSON.parse((await admin('topics', 'describe', '--json')).out) as { topics: { name: string; partitions: { leader: number }[] }[] };
  assert.deepEqual(j.topics.map((t) => t.name), ['audit', 'orders']);
  const missing = await admin('topics', 'describe', '--topic', 'nope');
  assert.equal(missing.code, 1);
  assert.equal(missing.err, "flotilla: UNKNOWN_TOPIC_OR_PARTITION: topic 'nope' does not exist\n");
});

test('brokers list: id, state, epoch, rack, endpoints, and the active controller', async () => {
  const r = await admin('brokers', 'list');
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      'Id  State     Epoch  Rack  Endpoints',
      '1   unfenced  10     r1    PLAINTEXT://127.0.0.1:9092',
      '2   fenced    12     -     PLAINTEXT://127.0.0.1:9093',
      'Active controller: 2',
      '',
    ].join('\n'),
  );
});

test('topics create sends what was asked, and reports a controller error with its code (exit 1)', async () => {
  active.requests.length = 0;
  const r = await admin('topics', 'create', '--topic', 'events', '--partitions', '3', '--replication-factor', '2', '--config', 'retention.ms=60000', '--config', 'cleanup.policy=compact');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'Created topic events.\n');
  assert.equal(active.requests[0]?.method, 'createTopics');
  assert.deepEqual(JSON.parse(JSON.stringify(active.requests[0]?.request)), {
    topics: [{ name: 'events', numPartitions: 3, replicationFactor: 2, assignments: [], configs: [{ key: 'retention.ms', value: '60000' }, { key: 'cleanup.policy', value: 'compact' }] }],
  });
  active.requests.length = 0;
  assert.equal((await admin('topics', 'create', '--topic', 'placed', '--replica-assignment', '1:2,2:3')).code, 0);
  const sent = active.requests[0]?.request as { topics: { numPartitions: number; assignments: unknown }[] };
  assert.equal(sent.topics[0]?.numPartitions, -1);
  assert.deepEqual(JSON.parse(JSON.stringify(sent.topics[0]?.assignments)), [{ brokerIds: [1, 2] }, { partition: 1, brokerIds: [2, 3] }], 'partition 0 is the proto default, so JSON omits it');
  const taken = await admin('topics', 'create', '--topic', 'taken');
  assert.equal(taken.code, 1);
  assert.equal(taken.err, "flotilla: TOPIC_ALREADY_EXISTS: Topic 'taken' already exists.\n");
});

test('topics delete, topics alter and configs alter', async () => {
  const deleted = await admin('topics', 'delete', '--topic', 'orders');
  assert.equal(deleted.out, 'Deleted topic orders.\n', `exit ${deleted.code}: ${deleted.err}`);
  const alter = await admin('topics', 'alter', '--topic', 'orders', '--partitions', '1');
  assert.equal(alter.code, 1);
  assert.equal(alter.err, 'flotilla: INVALID_PARTITIONS: Topic currently has 2 partitions, which is higher than the requested 1.\n');
  active.requests.length = 0;
  const configs = await admin('configs', 'alter', '--topic', 'orders', '--add-config', 'retention.ms=5,segment.bytes=1024', '--delete-config', 'cleanup.policy');
  assert.equal(configs.code, 0, configs.err);
  assert.equal(configs.out, 'Completed updating config for topic orders.\n');
  const ops = (active.requests[0]?.request as { ops: { key: string; op: string; value: string }[] }).ops.map((o) => `${o.op} ${o.key}=${o.value}`);
  assert.deepEqual(ops, ['set retention.ms=5', 'set segment.bytes=1024', 'delete cleanup.policy=']);
});

test('bad flags print the reason and the usage and exit 2, sending nothing', async () => {
  const before = active.requests.length + follower.requests.length;
  const cases: [string[], string][] = [
    [['topics', 'create', '--topic', 'x', '--bootstrap-controller', '127.0.0.1'], 'invalid --bootstrap-controller "127.0.0.1": expected HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:19091'],
    [['topics', 'create', '--topic', 'x', '--replica-assignment', '1:2,3', '--bootstrap-controller', bootstrap], 'invalid --replica-assignment "1:2,3": every partition needs the same number of replicas'],
    [['topics', 'create', '--topic', 'x', '--replica-assignment', '1:1', '--bootstrap-controller', bootstrap], 'invalid --replica-assignment "1:1": partition 0 names a broker twice'],
    [['topics', 'create', '--topic', 'x', '--replica-assignment', '1', '--partitions', '2', '--bootstrap-controller', bootstrap], 'Arguments replica-assignment and partitions are mutually exclusive'],
    [['topics', 'create', '--topic', 'x', '--partitions', '0', '--bootstrap-controller', bootstrap], '--partitions must be a positive integer, got 0'],
    [['topics', 'create', '--topic', 'x', '--config', 'novalue', '--bootstrap-controller', bootstrap], 'invalid --config "novalue": expected KEY=VALUE'],
    [['configs', 'alter', '--topic', 'x', '--bootstrap-controller', bootstrap], 'configs alter needs --add-config or --delete-config'],
    [['topics', 'list'], 'Missing required argument: bootstrap-controller'],
    [['topics', 'list', '--bootstrap-controller', bootstrap, '--frob'], 'Unknown argument: frob'],
  ];
  for (const [args, reason] of cases) {
    const r = await flotilla(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.split('\n')[0], `flotilla: ${reason}`);
    assert.match(r.err, /Options:/, 'usage is printed');
  }
  assert.equal(active.requests.length + follower.requests.length, before);
});

test('no controller reachable: CONTROLLER_UNAVAILABLE, exit 1', async () => {
  const r = await flotilla('topics', 'list', '--bootstrap-controller', follower.address, '--timeout-ms', '1000');
  assert.equal(r.code, 1);
  // The last attempt's reason depends on timing (a NOT_CONTROLLER answer, or the deadline cutting an attempt short).
  assert.match(r.err, /^flotilla: CONTROLLER_UNAVAILABLE: no active controller answered describeCluster within 1000 ms \(last: .+\)\n$/);
});
