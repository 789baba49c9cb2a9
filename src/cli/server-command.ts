// `flotilla server`: one node. Parses flags and --config (server-config.ts), refuses a data
// directory that is not formatted for this node, starts FlotillaServer, and prints one JSON line
// {"event":"ready",...} on stdout once it serves (logs are pino JSON on stderr), so scripts and
// LocalCluster know when to go on.
//
// Signals: the first SIGTERM or SIGINT asks for a controlled shutdown (the broker moves its
// leaderships away first, as Kafka's does) and exits 0; a second one while that runs stops at once.
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { withBoundPorts } from '../broker/kafka/serve.js';
import { checkIdentity, readMetaProperties } from '../metadata/data-dir.js';
import { CONTROLLER_LISTENER, INTERNAL_LISTENER, type Listener, type ServerConfig } from '../server/config.js';
import { FlotillaServer } from '../server/server.js';
import { type Logger, logger } from '../util/log.js';
import { CommandError, UsageError } from './errors.js';
import { ConfigError, parseServerConfig, type ParsedServerConfig, SETTINGS } from './server-config.js';


export function serverCommand<T>(y: Argv<T>): Argv<T> {
  return y.command(
    'server',
    'run one node (broker, controller, or both) from a formatted data directory',
    (c) => {
      let options = c
        .option('config', { type: 'string', describe: 'a server.properties file (Kafka\'s dotted names); flags override it' })
        .option('stop-with-parent', { type: 'boolean', hidden: true, describe: 'stop when stdin closes: the supervising parent (LocalCluster) is gone' });
      for (const s of Object.values(SETTINGS)) options = options.option(s.flag, { type: 'string', describe: s.keys.join(' / ') });
      return options;
    },
    (args) => runServer(args as unknown as Record<string, unknown>),
  );
}

async function loadConfig(args: Record<string, unknown>): Promise<ParsedServerConfig> {
  const file = typeof args.config === 'string' ? args.config : undefined;
  let text: string | undefined;
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --config ${file}: ${(error as Error).message}`);
    }
  }
  try {
    return parseServerConfig(args, text);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function runServer(args: Record<string, unknown>): Promise<void> {
  const { config, warnings } = await loadConfig(args);
  const log = logger('server', { node: config.nodeId });
  for (const w of warnings) log.warn(w);
  checkIdentity(await readMetaProperties(config.dataDir), { nodeId: config.nodeId }, config.dataDir);
  const server = await FlotillaServer.start(config, { log }).catch((error: unknown) => {
    throw new CommandError('SERVER_START_FAILED', `node ${config.nodeId} did not start: ${(error as Error).message}`);
  });
  server.node.on('fatal', (error) => {
    // The metadata log cannot go on (a disk error, say): exit so a supervisor restarts the node from disk.
    log.fatal({ err: error }, 'metadata log failed; exiting');
    log.flush?.();
    process.exit(1);
  });
  process.stdout.write(`${JSON.stringify(readyEvent(config, server))}\n`);
  handleSignals(server, log);
  if (args['stop-with-parent'] === true) stopWithParent(server, log);
}

/**
 * The ready line: every listener with its bound port (port 0 is allowed for INTERNAL and the Kafka
 * listeners), and `kafka`: the advertised addresses of the Kafka listeners this node serves, which
 * `flotilla dev` prints as bootstrap servers (absent on a controller-only node).
 */
function readyEvent(config: ServerConfig, server: FlotillaServer): Record<string, unknown> {
  const bound = new Map(server.kafkaListeners.map((l) => [l.name, l.port]));
  const address = (l: Listener) => `${l.host}:${isGrpc(l) ? server.grpcPort : (bound.get(l.name) ?? l.port)}`;
  const kafka = withBoundPorts(config.advertisedListeners, server.kafkaListeners).filter((l) => bound.has(l.name)).map((l) => `${l.host}:${l.port}`);
  return {
    event: 'ready',
    nodeId: config.nodeId,
    clusterId: server.clusterId,
    roles: [...config.roles],
    listeners: Object.fromEntries(config.listeners.map((l) => [l.name, address(l)])),
    ...(kafka.length > 0 ? { kafka } : {}),
  };
}

const isGrpc = (l: Listener) => l.name === CONTROLLER_LISTENER || l.name === INTERNAL_LISTENER;

function handleSignals(server: FlotillaServer, log: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: stopping without moving leaderships');
      server.stop().then(() => process.exit(0), (error: unknown) => exitFailed(log, error));
      return;
    }
    stopping = true;
    log.info({ signal }, 'controlled shutdown');
    server.controlledShutdown().then(() => process.exit(0), (error: unknown) => exitFailed(log, error));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * The parent holds our stdin pipe; the kernel closes it however the parent ends, kill -9
 * included, so a node never outlives the test or `flotilla dev` that started it.
 */
function stopWithParent(server: FlotillaServer, log: Logger): void {
  process.stdin.once('close', () => {
    log.warn('stdin closed: the parent process is gone; stopping');
    server.stop().then(() => process.exit(0), (error: unknown) => exitFailed(log, error));
  });
  process.stdin.resume();
}

function exitFailed(log: Logger, error: unknown): void {
  log.error({ err: error }, 'shutdown failed');
  log.flush?.();
  process.exit(1);
}
