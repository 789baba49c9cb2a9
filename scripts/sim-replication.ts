// The replication simulator's command line (test/broker/sim: real ReplicaManagers over memory logs,
// a controller running the real commands, a producing client and a nemesis, on virtual time;
// options in sim-cli.ts):
//
//   npm run sim:replication -- --seeds 500                  seeds 1..500 (--from S to start elsewhere)
//   npm run sim:replication -- --seed 25 --verbose          one seed, printing every event
//   npm run sim:replication -- --seeds 200 --bug hw-on-send
import { REPL_PLANTED_BUGS } from '../test/broker/sim/params.js';
import { REPL_SEED_SECONDS_MAX, replReplayCommand, runReplSeed, runReplSeeds } from '../test/broker/sim/pool.js';
import { REPL_EVENTS_DEFAULT, type ReplStats } from '../test/broker/sim/simulation.js';
import { runSimulatorCli } from './sim-cli.js';

const STAT_KEYS: readonly (keyof ReplStats)[] = ['events', 'simMs', 'produced', 'acked', 'leaderEpochs', 'isrChanges', 'truncations', 'crashes', 'cuts', 'fencings', 'livenessMs'];

await runSimulatorCli({
  name: 'sim-replication',
  bugs: REPL_PLANTED_BUGS,
  bugDescription: 'plant a known bug at a seam the simulator controls (test/broker/sim/params.ts)',
  eventsDefault: REPL_EVENTS_DEFAULT,
  secondsMax: REPL_SEED_SECONDS_MAX,
  runOne: async (seed, spec, verbose) => {
    const result = await runReplSeed(seed, spec, verbose);
    console.log(`seed ${seed}: trace hash ${result.traceHash.toString(16)}`);
    return result;
  },
  runSeeds: runReplSeeds,
  replayCommand: replReplayCommand,
  statKeys: STAT_KEYS,
});
