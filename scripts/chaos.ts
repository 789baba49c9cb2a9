// The chaos command line: network namespaces with nftables faults for a local cluster, and process
// faults. Each invocation is stateless: a net is found again from its namespaces by name.
//
//   node dist/scripts/chaos.js create --nodes 3            prints the net's name, namespaces, addresses
//   node dist/scripts/chaos.js run --net NAME --node 1 [--log FILE] -- CMD ARGS...   prints the pid
//   node dist/scripts/chaos.js partition --net NAME 1,2 3 [--one-way]
//   node dist/scripts/chaos.js isolate --net NAME 2
//   node dist/scripts/chaos.js heal --net NAME
//   node dist/scripts/chaos.js kill|pause|resume --pid P
//   node dist/scripts/chaos.js destroy --net NAME
//   node dist/scripts/chaos.js cleanup [--prefix flt] [--force]   removes leftovers of crashed runs
import { openSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ChaosNet, NAME_PREFIX_DEFAULT, NODES_MAX, chaosSupport, cleanup, kill, pause, resume } from '../src/chaos/index.js';

function print(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Runs a command's body; an operating error is printed as one line and exits non-zero. */
function action<A>(body: (args: A) => Promise<void> | void, needsNetwork = true): (args: A) => Promise<void> {
  return async (args) => {
    try {
      if (needsNetwork) {
        const support = chaosSupport();
        if (!support.ok) throw new Error(support.reason);
      }
      await body(args);
    } catch (error) {
      process.stderr.write(`chaos: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}

/** "1,2" -> [1, 2]; anything but a comma-separated list of positive integers is refused. */
function parseGroup(text: string, what: string): number[] {
  const ids = String(text).split(',').map((s) => s.trim());
  if (ids.some((s) => !/^[1-9]\d*$/.test(s))) throw new Error(`${what} must be node ids like 1,2 (got ${JSON.stringify(text)})`);
  return ids.map(Number);
}

function withNet<T>(y: Argv<T>) {
  return y.option('net', { type: 'string', demandOption: true, describe: 'the net name that `create` printed' });
}

function withPid<T>(y: Argv<T>) {
  return y
    .option('pid', { type: 'number', demandOption: true, describe: 'process id' })
    .check((a) => {
      if (!Number.isInteger(a.pid) || a.pid <= 1) throw new Error(`--pid must be a process id greater than 1 (got ${a.pid})`);
      return true;
    });
}

await yargs(hideBin(process.argv))
  .scriptName('chaos')
  .usage('$0 <command> [options]\n\nNetwork and process faults for a local Flotilla cluster (network commands need root).')
  .parserConfiguration({ 'populate--': true })
  .command('create', 'create a net of N namespaces on one bridge; prints it as JSON', (y) =>
    y
      .option('nodes', { type: 'number', demandOption: true, describe: `number of nodes, 1..${NODES_MAX}` })
      .option('prefix', { type: 'string', default: NAME_PREFIX_DEFAULT, describe: 'name prefix (a-z, 0-9, up to 8)' })
      .check((a) => {
        if (!Number.isInteger(a.nodes) || a.nodes < 1 || a.nodes > NODES_MAX) throw new Error(`--nodes must be an integer in 1..${NODES_MAX} (got ${a.nodes})`);
        return true;
      }),
  action(async (a) => print((await ChaosNet.create({ nodes: a.nodes, prefix: a.prefix, keepOnExit: true })).info())))
  .command('run', 'start `-- CMD ARGS...` inside a node\'s namespace, detached; prints its pid', (y) =>
    withNet(y)
      .option('node', { type: 'number', demandOption: true, describe: 'node id' })
      .option('log', { type: 'string', describe: 'append the process\'s stdout and stderr to this file' })
      .check((a) => {
        const rest = (a['--'] ?? []) as unknown[];
        if (rest.length === 0) throw new Error('give the command after --, e.g. run --net NAME --node 1 -- node server.js');
        return true;
      }),
  action(async (a) => {
    const [cmd, ...args] = ((a['--'] ?? []) as unknown[]).map(String);
    const out = a.log === undefined ? 'ignore' : openSync(a.log, 'a');
    const net = await ChaosNet.open(a.net);
    const child = net.spawn(a.node, cmd ?? '', args, { detached: true, stdio: ['ignore', out, out] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    print({ net: a.net, node: a.node, pid: child.pid });
  }))
  .command('partition <groupA> <groupB>', 'drop traffic between two groups of nodes, e.g. `1,2 3`', (y) =>
    withNet(y)
      .positional('groupA', { type: 'string', demandOption: true, describe: 'node ids, comma-separated' })
      .positional('groupB', { type: 'string', demandOption: true, describe: 'node ids, comma-separated' })
      .option('one-way', { type: 'boolean', default: false, describe: 'drop only what group A sends to group B' }),
  action(async (a) => {
    const groupA = parseGroup(a.groupA, 'group A');
    const groupB = parseGroup(a.groupB, 'group B');
    const net = await ChaosNet.open(a.net);
    if (a.oneWay) await net.partitionOneWay(groupA, groupB);
    else await net.partition(groupA, groupB);
  }))
  .command('isolate <node>', 'cut one node off from all others', (y) =>
    withNet(y).positional('node', { type: 'string', demandOption: true, describe: 'node id' }),
  action(async (a) => {
    const [id] = parseGroup(a.node, 'node');
    if (id === undefined || String(a.node).includes(',')) throw new Error(`isolate takes one node id (got ${JSON.stringify(a.node)})`);
    await (await ChaosNet.open(a.net)).isolate(id);
  }))
  .command('heal', 'remove every network fault', (y) => withNet(y), action(async (a) => (await ChaosNet.open(a.net)).heal()))
  .command('destroy', 'kill the processes in the net, then delete its namespaces', (y) => withNet(y),
    action(async (a) => (await ChaosNet.open(a.net)).destroy()))
  .command('cleanup', 'remove namespaces (and their processes) left by crashed runs', (y) =>
    y
      .option('prefix', { type: 'string', default: NAME_PREFIX_DEFAULT, describe: 'only names with this prefix' })
      .option('force', { type: 'boolean', default: false, describe: 'also remove nets whose creating process still runs' }),
  action(async (a) => print(await cleanup(a.prefix, a.force))))
  .command('kill', 'kill -9 a process', (y) => withPid(y), action((a) => kill(a.pid), false))
  .command('pause', 'SIGSTOP a process', (y) => withPid(y), action((a) => pause(a.pid), false))
  .command('resume', 'SIGCONT a paused process', (y) => withPid(y), action((a) => resume(a.pid), false))
  .demandCommand(1, 'give a command')
  .strict()
  .help()
  .parseAsync();
