// parseServerConfig: flags and server.properties into a ServerConfig, every problem reported with
// the flag or key (and line) it comes from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseServerConfig, type ServerFlags } from '../../src/cli/server-config.js';
import { parseProperties } from '../../src/cli/properties.js';
import { SERVER_DEFAULTS } from '../../src/server/config.js';

const QUORUM = '1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093';
const COMBINED: ServerFlags = {
  'node-id': '1',
  roles: 'broker,controller',
  'controller-quorum': QUORUM,
  listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19091',
  'data-dir': '/tmp/n1',
};
const BROKER: ServerFlags = {
  'node-id': '101',
  roles: 'broker',
  'controller-quorum': QUORUM,
  listeners: 'PLAINTEXT://127.0.0.1:9192,INTERNAL://127.0.0.1:0',
  'data-dir': '/tmp/n101',
};

function problemsOf(flags: ServerFlags, file?: string): readonly string[] {
  try {
    parseServerConfig(flags, file);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('a combined node from flags, with defaults for everything else', () => {
  const { config, warnings } = parseServerConfig(COMBINED);
  assert.deepEqual(warnings, []);
  assert.equal(config.nodeId, 1);
  assert.deepEqual([...config.roles].sort(), ['broker', 'controller']);
  assert.equal(config.controllerQuorum.get(2 as never), '127.0.0.1:19092');
  assert.deepEqual(config.listeners, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }, { name: 'CONTROLLER', host: '127.0.0.1', port: 19091 }]);
  assert.deepEqual(config.advertisedListeners, [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  assert.equal(config.dataDir, '/tmp/n1');
  assert.equal(config.rack, null);
  assert.equal(config.brokerHeartbeatIntervalMs, SERVER_DEFAULTS.brokerHeartbeatIntervalMs);
  assert.equal(config.leaderImbalanceCheckIntervalMs, SERVER_DEFAULTS.leaderImbalanceCheckIntervalMs);
  assert.equal(config.raftTickMs, SERVER_DEFAULTS.raftTickMs);
  assert.equal(config.segmentFilesOpenMax, 4_096);
});

test('the cap on open segment files comes from --max-open-segment-files or flotilla.max.open.segment.files', () => {
  assert.equal(parseServerConfig({ ...COMBINED, 'max-open-segment-files': '64' }).config.segmentFilesOpenMax, 64);
  assert.equal(parseServerConfig(COMBINED, 'flotilla.max.open.segment.files=128\n').config.segmentFilesOpenMax, 128);
});

test('a broker-only node with an INTERNAL listener on port 0, a rack and advertised listeners', () => {
  const { config } = parseServerConfig({ ...BROKER, rack: 'r1', 'advertised-listeners': 'PLAINTEXT://broker101.example:9192' });
  assert.deepEqual([...config.roles], ['broker']);
  assert.equal(config.rack, 'r1');
  assert.deepEqual(config.advertisedListeners, [{ name: 'PLAINTEXT', host: 'broker101.example', port: 9192 }]);
});

test('server.properties with Kafka names; flags override the file; unknown keys warn', () => {
  const file = [
    '# a Kafka-style file',
    'process.roles=broker,controller',
    'node.id=2',
    'controller.quorum.voters=' + QUORUM,
    'controller.listener.names=CONTROLLER',
    'listeners=PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19092',
    'log.dirs=/var/lib/flotilla/n2',
    'num.partitions = 3',
    'default.replication.factor: 3',
    'auto.leader.rebalance.enable=false',
    'leader.imbalance.check.interval.seconds=30',
    'broker.heartbeat.interval.ms=200',
    'broker.session.timeout.ms=\\',
    '  9000',
    'metadata.log.max.record.bytes.between.snapshots=1048576',
    'controller.quorum.election.timeout.ms=1000',
    'log.retention.hours=168',
    'num.partitions=4',
  ].join('\n');
  const { config, warnings } = parseServerConfig({ 'default-replication-factor': 2 }, file);
  assert.equal(config.nodeId, 2);
  assert.equal(config.dataDir, '/var/lib/flotilla/n2');
  assert.equal(config.defaultPartitions, 4);
  assert.equal(config.defaultReplicationFactor, 2, 'the flag wins');
  assert.equal(config.autoLeaderRebalance, false);
  assert.equal(config.leaderImbalanceCheckIntervalMs, 30_000);
  assert.equal(config.brokerHeartbeatIntervalMs, 200);
  assert.equal(config.brokerSessionTimeoutMs, 9000);
  assert.equal(config.metadataSnapshotBytesMax, 1_048_576);
  assert.equal(config.electionTimeoutMs, 1000);
  assert.deepEqual(warnings, [
    'server.properties line 17: log.retention.hours is not a flotilla setting; ignored',
    'server.properties line 18: num.partitions is set again (first at num.partitions (line 8)); the later value wins',
  ]);
});

test('properties: separators, comments and continuation lines', () => {
  assert.deepEqual(parseProperties('a=1\n! note\nb: 2\nc 3\n  d=x\\\n    y\ne\n'), [
    { key: 'a', value: '1', line: 1 },
    { key: 'b', value: '2', line: 3 },
    { key: 'c', value: '3', line: 4 },
    { key: 'd', value: 'xy', line: 5 },
    { key: 'e', value: '', line: 7 },
  ]);
});

test('every missing required setting is reported at once', () => {
  assert.deepEqual(problemsOf({}), [
    '--node-id (node.id) is required',
    '--roles (process.roles) is required',
    '--controller-quorum (controller.quorum.voters) is required',
    '--listeners (listeners) is required',
    '--data-dir (log.dirs) is required',
  ]);
});

test('bad values name the flag, or the key and line, and the value', () => {
  const cases: [ServerFlags, string[]][] = [
    [{ ...COMBINED, 'node-id': 'one' }, ['--node-id: expected an integer from 1 to 2147483647, got "one"']],
    [{ ...COMBINED, 'node-id': '0' }, ['--node-id: expected an integer from 1 to 2147483647, got "0"']],
    [{ ...COMBINED, 'node-id': ['1', '2'] }, ['--node-id is given 2 times; give it once', '--node-id (node.id) is required']],
    [{ ...COMBINED, roles: 'broker,zookeeper' }, ['--roles: unknown role "zookeeper" (expected broker, controller, or broker,controller)']],
    [{ ...COMBINED, roles: 'broker,broker' }, ['--roles: role broker is given twice']],
    [{ ...COMBINED, roles: '' }, ['--roles (process.roles) is required']],
    [{ ...COMBINED, 'controller-quorum': '1@127.0.0.1' }, ['--controller-quorum: invalid voter "1@127.0.0.1": expected ID@HOST:PORT, e.g. 1@127.0.0.1:19091']],
    [{ ...COMBINED, 'controller-quorum': '1@h:1,1@h:2' }, ['--controller-quorum: invalid voters: node 1 appears twice']],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:70000,CONTROLLER://127.0.0.1:19091' }, ['--listeners: invalid listener "PLAINTEXT://127.0.0.1:70000": port 70000 is out of range 0..65535']],
    [{ ...COMBINED, listeners: 'PLAINTEXT:127.0.0.1:9092,CONTROLLER://127.0.0.1:19091' }, ['--listeners: invalid listener "PLAINTEXT:127.0.0.1:9092": expected NAME://HOST:PORT, e.g. PLAINTEXT://127.0.0.1:9092']],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:9092,plaintext://127.0.0.1:9093,CONTROLLER://127.0.0.1:19091' }, ['--listeners: listener name PLAINTEXT is given twice']],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:19091,CONTROLLER://127.0.0.1:19091' }, ['--listeners: PLAINTEXT and CONTROLLER both use 127.0.0.1:19091']],
    [{ ...COMBINED, 'data-dir': '/a,/b' }, ['--data-dir: flotilla keeps one data directory per node, got 2']],
    [{ ...COMBINED, rack: '' }, ['--rack: the rack is empty; omit it instead']],
    [{ ...COMBINED, 'num-partitions': '0' }, ['--num-partitions: expected an integer from 1 to 2147483647, got "0"']],
    [{ ...COMBINED, 'default-replication-factor': '40000' }, ['--default-replication-factor: expected an integer from 1 to 32767, got "40000"']],
    [{ ...COMBINED, 'broker-heartbeat-interval-ms': '1.5' }, ['--broker-heartbeat-interval-ms: expected an integer from 1 to 2147483647, got "1.5"']],
    [{ ...COMBINED, 'auto-leader-rebalance-enable': 'yes' }, ['--auto-leader-rebalance-enable: expected true or false, got "yes"']],
    [{ ...COMBINED, 'max-open-segment-files': '0' }, ['--max-open-segment-files: expected an integer from 1 to 2147483647, got "0"']],
    [{ ...COMBINED, 'max-open-segment-files': 'lots' }, ['--max-open-segment-files: expected an integer from 1 to 2147483647, got "lots"']],
    [{ ...COMBINED, 'broker-heartbeat-interval-ms': '3000' }, [`--broker-heartbeat-interval-ms (3000) must be less than --broker-session-timeout-ms (${SERVER_DEFAULTS.brokerSessionTimeoutMs}, the default)`]],
    [{ ...COMBINED, 'raft-tick-ms': '500', 'controller-quorum-election-timeout-ms': '400' }, ['--raft-tick-ms (500) must be less than --controller-quorum-election-timeout-ms (400)']],
  ];
  for (const [flags, expected] of cases) assert.deepEqual(problemsOf(flags), expected, JSON.stringify(flags));
});

test('role rules: CONTROLLER listener, INTERNAL listener, quorum membership, Kafka listeners', () => {
  const cases: [ServerFlags, string[]][] = [
    [{ ...COMBINED, 'node-id': '4', listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19094' }, ['node 4 has the controller role but is not in --controller-quorum (voters 1,2,3)']],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:9092' }, ['a controller needs a CONTROLLER listener at its --controller-quorum address 127.0.0.1:19091']],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19095' }, ["the CONTROLLER listener 127.0.0.1:19095 differs from node 1's --controller-quorum entry 127.0.0.1:19091"]],
    [{ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:19091,INTERNAL://127.0.0.1:0' }, ['a controller serves node-to-node traffic on its CONTROLLER listener; INTERNAL is for broker-only nodes']],
    [{ ...COMBINED, roles: 'controller' }, ['a controller-only node serves no Kafka clients; remove listener PLAINTEXT']],
    [{ ...COMBINED, listeners: 'CONTROLLER://127.0.0.1:19091' }, ['a broker needs a Kafka listener besides CONTROLLER and INTERNAL, e.g. PLAINTEXT://127.0.0.1:9092']],
    [{ ...BROKER, 'node-id': '1' }, ['node 1 is in --controller-quorum but has no controller role (--roles broker)']],
    [{ ...BROKER, listeners: 'PLAINTEXT://127.0.0.1:9192' }, ['a broker-only node needs an INTERNAL listener for node-to-node gRPC, e.g. INTERNAL://127.0.0.1:0']],
    [{ ...BROKER, listeners: 'PLAINTEXT://127.0.0.1:9192,INTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:19099' }, ['a broker-only node has no CONTROLLER listener']],
    [{ ...BROKER, 'advertised-listeners': 'EXTERNAL://h:1' }, ['--advertised-listeners: EXTERNAL is not one of the Kafka listeners (PLAINTEXT)']],
    [{ ...BROKER, 'advertised-listeners': 'INTERNAL://h:1' }, ['--advertised-listeners: INTERNAL is a node-to-node listener; only Kafka listeners are advertised']],
    [{ ...BROKER, 'advertised-listeners': 'PLAINTEXT://0.0.0.0:0' }, ['--advertised-listeners: PLAINTEXT advertises port 0; advertise the port clients connect to', '--advertised-listeners: PLAINTEXT advertises the non-routable address 0.0.0.0']],
  ];
  for (const [flags, expected] of cases) assert.deepEqual(problemsOf(flags), expected, JSON.stringify(flags));
});

test('file problems carry the key and line; flags fix them', () => {
  const file = 'node.id=x\nprocess.roles=broker,controller\ncontroller.listener.names=CTRL\nlog.dirs=/a\nmetadata.log.dir=/b\n';
  assert.deepEqual(problemsOf({ 'controller-quorum': QUORUM, listeners: COMBINED.listeners }, file), [
    'controller.listener.names (line 3): flotilla\'s controller listener is named CONTROLLER, got "CTRL"',
    'node.id (line 1): expected an integer from 1 to 2147483647, got "x"',
    'log.dirs (line 4) "/a" and metadata.log.dir (line 5) "/b" differ: flotilla keeps the metadata log inside the one data directory',
  ]);
  const message = (() => {
    try {
      parseServerConfig({}, 'node.id=1\n');
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  })();
  assert.match(message, /^invalid server configuration:\n {2}- --roles \(process\.roles\) is required\n/);
});
