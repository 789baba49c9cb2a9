// The metadata simulator's command line (test/metadata/sim: controller raft cores, the active
// controller's commands, brokers and a client under seeded faults; options in sim-cli.ts):
//
//   npm run sim:metadata -- --seeds 1000                  seeds 1..1000 (--from S to start elsewhere)
//   npm run sim:metadata -- --seed 1234 --verbose         one seed, printing every event
//   npm run sim:metadata -- --seeds 200 --bug fence-keeps-leader
import { META_PLANTED_BUGS } from '../test/metadata/sim/params.js';
import { META_SEED_SECONDS_MAX, metaReplayCommand, runMetaSeeds } from '../test/metadata/sim/pool.js';
import { META_EVENTS_DEFAULT, type MetaStats, runMetaSimulation } from '../test/metadata/sim/simulation.js';
import { runSimulatorCli } from './sim-cli.js';

const STAT_KEYS: readonly (keyof MetaStats)[] = ['events', 'simMs', 'activations', 'commands', 'leaderEpochs', 'images', 'snapshotsRestored', 'topics', 'fencedAtEnd', 'controllerCrashes', 'brokerCrashes', 'shutdowns', 'partitions', 'livenessMs'];

await runSimulatorCli({
  name: 'sim:metadata',
  bugs: META_PLANTED_BUGS,
  bugDescription: 'plant a known bug in the harness driver',
  eventsDefault: META_EVENTS_DEFAULT,
  secondsMax: META_SEED_SECONDS_MAX,
  runOne: (seed, spec, verbose) => {
    const result = runMetaSimulation({ seed, events: spec.events, bugs: spec.bugs, ...(verbose ? { verbose } : {}) });
    console.log(`seed ${seed}: trace hash ${result.traceHash.toString(16)}`);
    return result;
  },
  runSeeds: runMetaSeeds,
  replayCommand: (seed, spec) => `${metaReplayCommand(seed, spec)}   (add --verbose to print every event)`,
  statKeys: STAT_KEYS,
});
