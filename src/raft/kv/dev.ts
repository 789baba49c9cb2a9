// `npm start` (until the Kafka listener exists): a local 3-node raft cluster of real processes with
// LevelDB and gRPC, serving the Kv client service, in a temporary directory removed on exit.
// Prints the bootstrap servers once a leader is elected; Ctrl-C stops every node cleanly.
import { LocalKvCluster } from './cluster.js';

async function main(): Promise<void> {
  const started = performance.now();
  const cluster = await LocalKvCluster.start({ size: 3, logLevel: process.env.FLOTILLA_LOG_LEVEL ?? 'warn' });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping the cluster...');
    cluster.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const leader = await cluster.waitForLeader();
  const ms = (performance.now() - started).toFixed(0);
  console.log(`flotilla raft cluster ready in ${ms} ms: 3 nodes, leader is node ${leader}`);
  console.log(`bootstrap servers (raft Kv gRPC service, proto/kv.proto): ${cluster.kvAddresses().join(',')}`);
  console.log('The Kafka protocol listener arrives with the data plane. Press Ctrl-C to stop.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
