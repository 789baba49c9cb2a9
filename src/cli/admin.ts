// The admin commands: `quorum status`, `topics create|list|describe|delete|alter`, `configs alter`,
// `brokers list`. Each talks to the active controller through ControllerClient, found from
// `--bootstrap-controller` (kafka-metadata-quorum.sh's flag). Reads go through DescribeCluster,
// a linearizable read on the active controller, so a command run after another sees its effect.
// A controller error becomes a CommandError: `flotilla: <CODE>: <message>`, exit 1.
import type { Argv } from 'yargs';
import { ControllerClient, ControllerUnavailableError } from '../metadata/controller-client.js';
import type { controllerpb } from '../metadata/controller-service.js';
import { CommandError, UsageError } from './errors.js';
import { brokerView, quorumView, renderBrokers, renderQuorumReplication, renderQuorumStatus, renderTopic, topicView } from './render.js';

const PORT_MAX = 65_535;
const COMMAND_TIMEOUT_MS_DEFAULT = 15_000;
/** The controller's "use the cluster default" for partitions and replication factor. */
const CLUSTER_DEFAULT = -1;
const KEEP_ALIVE_MS = 60_000;


/** "host:port,host:port" -> the client's bootstrap map (ids 0, -1, ...: unnamed addresses). */
export function parseBootstrap(spec: string): Map<number, string> {
  const addresses = new Map<number, string>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    const match = /^([^:\s,]+):(\d+)$/.exec(part);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > PORT_MAX) throw new Error(`invalid --bootstrap-controller "${part}": expected HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:19091`);
    addresses.set(-addresses.size, part);
  }
  return addresses;
}

interface ConnectionArgs {
  readonly 'bootstrap-controller': Map<number, string>;
  readonly 'timeout-ms': number;
  readonly json: boolean;
}

function connection<T>(y: Argv<T>) {
  return y
    .option('bootstrap-controller', { type: 'string', demandOption: true, describe: 'CONTROLLER listeners to start from: HOST:PORT[,HOST:PORT...]', coerce: parseBootstrap })
    .option('timeout-ms', { type: 'number', default: COMMAND_TIMEOUT_MS_DEFAULT, describe: 'give up finding an active controller after this long' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON (one document) instead of text' });
}

async function withClient<R>(args: ConnectionArgs, fn: (client: ControllerClient) => Promise<R>): Promise<R> {
  const client = new ControllerClient(args['bootstrap-controller'], { deadlineMs: args['timeout-ms'] });
  // grpc-js unrefs its reconnect-backoff timers and idle sessions, so a call waiting to reconnect
  // can leave the event loop empty, and Node would exit 0 with the command unfinished.
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  try {
    return await fn(client);
  } catch (error) {
    if (error instanceof ControllerUnavailableError) throw new CommandError(error.code, error.message);
    throw error;
  } finally {
    clearInterval(keepAlive);
    client.close();
  }
}

/** A yargs coerce for counts: a positive integer or a usage error naming the flag. */
const positive = (flag: string) => (value: number): number => {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} must be a positive integer, got ${value}`);
  return value;
};

/** Throws the controller's error, if any ("NONE" and "" are success). */
function check(error: controllerpb.IError | null | undefined): void {
  if (error?.code && error.code !== 'NONE') throw new CommandError(error.code, error.message ?? '');
}

/** Prints JSON, or the text view; an empty text view (no topics) prints nothing, not a blank line. */
function print(args: ConnectionArgs, json: unknown, text: () => string): void {
  const out = args.json ? JSON.stringify(json) : text();
  if (out !== '') console.log(out);
}

async function describeCluster(client: ControllerClient): Promise<controllerpb.IDescribeClusterResponse> {
  const res = await client.call('describeCluster', {});
  check(res.error);
  return res;
}

export function adminCommands<T>(y: Argv<T>): Argv<T> {
  return y
    .command('quorum <command>', 'the metadata quorum (as kafka-metadata-quorum.sh)', (q) => quorumCommands(q).demandCommand(1, 'a quorum command is required'))
    .command('topics <command>', 'create, list, describe, alter and delete topics (as kafka-topics.sh)', (t) => topicCommands(t).demandCommand(1, 'a topics command is required'))
    .command('configs <command>', 'alter topic configs (as kafka-configs.sh)', (c) => configCommands(c).demandCommand(1, 'a configs command is required'))
    .command('brokers <command>', 'registered brokers', (b) => brokerCommands(b).demandCommand(1, 'a brokers command is required'));
}

function quorumCommands<T>(y: Argv<T>) {
  return y.command(
    'status',
    'leader, epoch, high-water mark; --replication: every replica\'s log end offset and lag',
    (c) => connection(c).option('replication', { type: 'boolean', default: false, describe: 'one row per voter and observer' }),
    (args) =>
      withClient(args, async (client) => {
        const res = await client.call('describeQuorum', {});
        check(res.error);
        const view = quorumView(res);
        print(args, view, () => (args.replication ? renderQuorumReplication(view) : renderQuorumStatus(view)));
      }),
  );
}

function topicCommands<T>(y: Argv<T>) {
  return y
    .command(
      'create',
      'create a topic',
      (c) =>
        connection(c)
          .option('topic', { type: 'string', demandOption: true })
          .option('partitions', { type: 'number', coerce: positive('partitions'), describe: 'default: the cluster\'s num.partitions' })
          .option('replication-factor', { type: 'number', coerce: positive('replication-factor'), describe: 'default: the cluster\'s default.replication.factor' })
          .option('config', { type: 'string', array: true, default: [] as string[], describe: 'a topic config KEY=VALUE (repeatable)' })
          .option('replica-assignment', { type: 'string', describe: 'broker ids per partition: 1:2,2:3 (partition 0 on 1,2; partition 1 on 2,3)' })
          .conflicts('replica-assignment', ['partitions', 'replication-factor']),
      (args) => withClient(args, (client) => createTopic(client, args)),
    )
    .command('list', 'list topic names', (c) => connection(c), (args) =>
      withClient(args, async (client) => {
        const names = ((await describeCluster(client)).topics ?? []).map((t) => t.name ?? '').sort();
        print(args, { topics: names }, () => names.join('\n'));
      }),
    )
    .command('describe', 'partitions, leaders, replicas, ISR and configs of one or every topic', (c) => connection(c).option('topic', { type: 'string' }), (args) =>
      withClient(args, async (client) => {
        const topics = ((await describeCluster(client)).topics ?? []).map(topicView).filter((t) => args.topic === undefined || t.name === args.topic);
        if (args.topic !== undefined && topics.length === 0) throw new CommandError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${args.topic}' does not exist`);
        topics.sort((a, b) => (a.name < b.name ? -1 : 1));
        print(args, { topics }, () => topics.map(renderTopic).join('\n'));
      }),
    )
    .command('delete', 'delete a topic', (c) => connection(c).option('topic', { type: 'string', demandOption: true }), (args) =>
      withClient(args, async (client) => {
        const res = await client.call('deleteTopics', { names: [args.topic] });
        check(res.error);
        const result = res.topics?.find((t) => t.name === args.topic);
        check(result?.error);
        print(args, { topic: args.topic, topicId: result?.topicId ?? '' }, () => `Deleted topic ${args.topic}.`);
      }),
    )
    .command('alter', 'raise the partition count of a topic', (c) => connection(c).option('topic', { type: 'string', demandOption: true }).option('partitions', { type: 'number', demandOption: true, coerce: positive('partitions'), describe: 'the new total' }), (args) =>
      withClient(args, async (client) => {
        const res = await client.call('createPartitions', { topics: [{ name: args.topic, count: args.partitions }] });
        check(res.error);
        check(res.topics?.find((t) => t.name === args.topic)?.error);
        print(args, { topic: args.topic, partitions: args.partitions }, () => `Topic ${args.topic} now has ${args.partitions} partitions.`);
      }),
    );
}

interface CreateArgs extends ConnectionArgs {
  readonly topic: string;
  readonly partitions?: number;
  readonly 'replication-factor'?: number;
  readonly config: readonly string[];
  readonly 'replica-assignment'?: string;
}

async function createTopic(client: ControllerClient, args: CreateArgs): Promise<void> {
  const topic: controllerpb.ICreatableTopic = {
    name: args.topic,
    numPartitions: args.partitions ?? CLUSTER_DEFAULT,
    replicationFactor: args['replication-factor'] ?? CLUSTER_DEFAULT,
    assignments: args['replica-assignment'] === undefined ? [] : parseReplicaAssignment(args['replica-assignment']),
    configs: parseConfigs(args.config, '--config').map(([key, value]) => ({ key, value })),
  };
  const res = await client.call('createTopics', { topics: [topic] });
  check(res.error);
  const result = res.topics?.find((t) => t.name === args.topic);
  check(result?.error);
  const view = { topic: args.topic, topicId: result?.topicId ?? '', partitions: result?.numPartitions ?? 0, replicationFactor: result?.replicationFactor ?? 0 };
  print(args, view, () => `Created topic ${args.topic}.`);
}

/** kafka-topics.sh's --replica-assignment: partitions by commas, their replicas by colons. */
export function parseReplicaAssignment(spec: string): controllerpb.IReplicaAssignment[] {
  const assignments = spec.split(',').map((part, partition) => {
    const ids = part.split(':').map((s) => s.trim());
    if (ids.some((id) => !/^\d+$/.test(id))) throw new UsageError(`invalid --replica-assignment "${spec}": partition ${partition} "${part}" is not broker ids separated by colons`);
    const brokerIds = ids.map(Number);
    if (new Set(brokerIds).size !== brokerIds.length) throw new UsageError(`invalid --replica-assignment "${spec}": partition ${partition} names a broker twice`);
    return { partition, brokerIds };
  });
  const size = assignments[0]?.brokerIds.length;
  if (assignments.some((a) => a.brokerIds.length !== size)) throw new UsageError(`invalid --replica-assignment "${spec}": every partition needs the same number of replicas`);
  return assignments;
}

/** KEY=VALUE entries, each flag value possibly a comma-separated list (kafka-configs.sh style). */
export function parseConfigs(values: readonly string[], flag: string): [string, string][] {
  return values.flatMap((v) => v.split(',')).map((entry) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid ${flag} "${entry}": expected KEY=VALUE`);
    return [entry.slice(0, eq).trim(), entry.slice(eq + 1).trim()] as [string, string];
  });
}

function configCommands<T>(y: Argv<T>) {
  return y.command(
    'alter',
    'set or delete topic configs',
    (c) =>
      connection(c)
        .option('topic', { type: 'string', demandOption: true })
        .option('add-config', { type: 'string', array: true, default: [] as string[], describe: 'KEY=VALUE[,KEY=VALUE...] (repeatable)' })
        .option('delete-config', { type: 'string', array: true, default: [] as string[], describe: 'KEY[,KEY...] (repeatable)' }),
    (args) =>
      withClient(args, async (client) => {
        const ops = [
          ...parseConfigs(args['add-config'], '--add-config').map(([key, value]) => ({ resourceType: 'topic', resourceName: args.topic, key, op: 'set', value })),
          ...args['delete-config'].flatMap((v) => v.split(',')).map((key) => ({ resourceType: 'topic', resourceName: args.topic, key: key.trim(), op: 'delete', value: '' })),
        ];
        if (ops.length === 0) throw new UsageError('configs alter needs --add-config or --delete-config');
        const res = await client.call('alterConfigs', { ops });
        check(res.error);
        for (const r of res.resources ?? []) check(r.error);
        print(args, { topic: args.topic, ops }, () => `Completed updating config for topic ${args.topic}.`);
      }),
  );
}

function brokerCommands<T>(y: Argv<T>) {
  return y.command('list', 'id, state (fenced/unfenced), epoch, rack and endpoints of every registered broker', (c) => connection(c), (args) =>
    withClient(args, async (client) => {
      const res = await describeCluster(client);
      const brokers = (res.brokers ?? []).map(brokerView);
      print(args, { controllerId: res.controllerId ?? 0, brokers }, () => renderBrokers(brokers, res.controllerId ?? 0));
    }),
  );
}
