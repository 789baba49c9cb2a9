#!/usr/bin/env node
// The `flotilla` command: `random-cluster-id` and `format` (as kafka-storage.sh), `server` (one
// node), `dev` (a local cluster), and the admin commands `quorum`, `topics`, `configs`, `brokers`.
// Invalid flags print what is wrong and the usage, and exit 2; a command that fails (a controller's
// error, no controller reachable) prints `flotilla: <CODE>: <message>` and exits 1.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { DataDirError, formatDataDir, randomClusterId } from '../metadata/data-dir.js';
import { nodeId } from '../raft/core/types.js';
import { parsePeers } from '../raft/peers.js';
import { adminCommands } from './admin.js';
import { devCommand } from './dev.js';
import { CommandError } from './errors.js';
import { serverCommand } from './server-command.js';

async function main(argv: string[]): Promise<void> {
  const y = yargs(argv)
    .scriptName('flotilla')
    .usage('$0 <command> [options]')
    .command('random-cluster-id', 'print a new random cluster id', {}, () => {
      console.log(randomClusterId());
    })
    .command(
      'format',
      'format a data directory for a node (once, before its first start)',
      (y) =>
        y
          .option('cluster-id', { type: 'string', demandOption: true, describe: 'from `flotilla random-cluster-id`; the same for every node' })
          .option('node-id', { type: 'number', demandOption: true, describe: 'this node id' })
          .option('data-dir', { type: 'string', demandOption: true, describe: 'directory to format' })
          .option('initial-controllers', { type: 'string', describe: 'the metadata quorum at birth, ID@HOST:PORT,...; omit on broker-only nodes' }),
      async (args) => {
        const voters = args['initial-controllers'] ? [...parsePeers(args['initial-controllers']).keys()] : [];
        const meta = await formatDataDir({ dataDir: args['data-dir'], clusterId: args['cluster-id'], nodeId: nodeId(args['node-id']), initialVoters: voters });
        console.log(`formatted ${args['data-dir']}: cluster ${meta.clusterId}, node ${meta.nodeId}${voters.length ? `, initial controllers ${voters.join(',')}` : ''}`);
      },
    )
  await adminCommands(devCommand(serverCommand(y)))
    .demandCommand(1, 'a command is required')
    .strict()
    .fail((msg, err, y) => {
      if (err instanceof CommandError) {
        console.error(`flotilla: ${err.code}: ${err.message}`);
        process.exit(1);
      }
      const reason = err instanceof DataDirError || (err && !msg) ? err.message : msg;
      console.error(`flotilla: ${reason}\n\n${y.help()}`);
      process.exit(2);
    })
    .help()
    .parseAsync();
}

main(hideBin(process.argv)).catch((error: unknown) => {
  console.error(`flotilla: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
