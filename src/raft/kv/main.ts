// Process entry of a raft test cluster node:
//   node dist/src/raft/kv/main.js --id 1 --peers 1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093 \
//     --kv-listen 127.0.0.1:0 --data-dir /tmp/n1
// Prints one JSON line {"event":"ready","id":..,"kvPort":..} on stdout once serving; logs go to stderr.
// SIGTERM/SIGINT stop it cleanly; the tests also kill -9 it.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { nodeId } from '../core/types.js';
import { parsePeers } from '../peers.js';
import { logger } from '../../util/log.js';
import { KvServer } from './server.js';

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('raft-kv')
    .usage('$0 --id N --peers 1@host:port,... --data-dir DIR [--kv-listen host:port]')
    .option('id', { type: 'number', demandOption: true, describe: 'this node id (must appear in --peers)' })
    .option('peers', { type: 'string', demandOption: true, describe: 'every voter: ID@HOST:PORT,...' })
    .option('data-dir', { type: 'string', demandOption: true, describe: 'LevelDB directory (formatted on first start)' })
    .option('kv-listen', { type: 'string', default: '127.0.0.1:0', describe: 'address of the Kv client service' })
    .option('tick-ms', { type: 'number', default: 50 })
    .option('election-ticks', { type: 'number', default: 10 })
    .option('snapshot-every', { type: 'number', default: 10_000, describe: 'compact the log every N applied entries' })
    .strict()
    .fail((msg, err, y) => {
      console.error(`${err?.message ?? msg}\n\n${y.help()}`);
      process.exit(2);
    })
    .parse();
  const id = nodeId(argv.id);
  const peers = parsePeers(argv.peers);
  const log = logger('raft-kv', { node: id });
  await KvServer.formatIfNeeded(argv['data-dir'], [...peers.keys()]);
  const server = await KvServer.start({ id, peers, kvListen: argv['kv-listen'], dataDir: argv['data-dir'], tickMs: argv['tick-ms'], electionTicks: argv['election-ticks'], snapshotEveryEntries: argv['snapshot-every'], log });
  server.node.on('fatal', (error: Error) => {
    log.fatal({ err: error }, 'raft node failed; exiting');
    process.exit(1);
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready', id, kvPort: server.kvPort })}\n`);
  const stop = () => {
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
