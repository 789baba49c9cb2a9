// `flotilla dev` (what `npm start` runs): a local cluster of combined nodes in one command. It
// formats data directories (a fresh temp dir, removed on exit, unless --data-dir names one to
// keep and reuse), starts the nodes as child processes, waits until every broker is registered
// and unfenced, prints the bootstrap addresses, and stays up until Ctrl-C or SIGTERM, which stop
// every node cleanly.
import type { Argv } from 'yargs';
import { nodeId } from '../raft/core/types.js';
import { LocalCluster } from '../server/local-cluster.js';
import { UsageError } from './errors.js';

const NODES_DEFAULT = 3;
const NODES_MAX = 9;
const PARENT_POLL_MS = 1_000;

export function devCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'dev',
    'format and run a local cluster of combined broker+controller nodes; prints its bootstrap servers',
    (c) =>
      c
        .option('nodes', { type: 'number', default: NODES_DEFAULT, describe: `how many nodes (1..${NODES_MAX}), each a broker and a controller` })
        .option('data-dir', { type: 'string', describe: 'keep the cluster here (reused if already formatted); default: a temp dir removed on exit' }),
    (args) => runDev(args.nodes, args['data-dir']),
  );
}

async function runDev(nodes: number, dataDir: string | undefined): Promise<void> {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > NODES_MAX) throw new UsageError(`--nodes must be an integer from 1 to ${NODES_MAX}, got ${nodes}`);
  const cluster = await LocalCluster.create({ controllers: nodes, baseDir: dataDir, logLevel: process.env.FLOTILLA_LOG_LEVEL ?? 'warn', onStderr: (_, line) => process.stderr.write(`${line}\n`) });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= cluster.stop().then(() => process.exit(0), (error: unknown) => {
      console.error(`flotilla dev: stopping failed: ${(error as Error).message}`);
      process.exit(1);
    });
  };
  // Installed before the nodes start, so Ctrl-C during startup stops them too.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  watchParent(stop);
  try {
    await cluster.start();
    await cluster.waitBrokersUnfenced();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  if (stopping) return;
  for (const line of summary(cluster, dataDir === undefined)) console.log(line);
}

/**
 * `npm start` runs us under `sh -c`, and a SIGTERM to npm ends npm and the shell but never
 * reaches us: we would go on running, reparented, with nobody left to stop us. So when our
 * parent changes, stop as if signalled.
 */
function watchParent(stop: () => void): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, PARENT_POLL_MS).unref();
}

function summary(cluster: LocalCluster, temporary: boolean): string[] {
  const ready = cluster.ids().map((id) => cluster.node(nodeId(id)).ready);
  const kafka = ready.flatMap((r) => r?.kafka ?? []);
  const served = ready.every((r) => (r?.kafka?.length ?? 0) > 0);
  // A node whose ready line lists no Kafka listener is not serving Kafka: say so rather than
  // print addresses nobody answers on.
  const servers = served ? `bootstrap servers: ${kafka.join(',')}` : `bootstrap servers: ${cluster.bootstrapServers().join(',')} (registered, but not served yet: the Kafka protocol listener arrives with the data plane)`;
  const controllers = cluster.controllerAddresses().join(',');
  return [
    `flotilla dev: ${cluster.ids().length} nodes up, cluster ${cluster.clusterId}, data in ${cluster.baseDir}${temporary ? ' (removed on exit)' : ''}`,
    servers,
    `bootstrap controllers: ${controllers}`,
    `try: flotilla topics create --topic demo --partitions 3 --replication-factor 3 --bootstrap-controller ${controllers}`,
    'Ctrl-C stops the cluster.',
  ];
}
