// The Raft simulator's command line (options in sim-cli.ts):
//
//   npm run sim -- --seeds 10000               seeds 1..10000 (--from S to start elsewhere)
//   npm run sim -- --seed 1234 --verbose       one seed, printing every event
//   npm run sim -- --seeds 500 --bug stale-read
import type { PlantedBug } from '../src/raft/core/types.js';
import { SEED_SECONDS_MAX, replayCommand, runSeeds } from '../test/raft/sim/pool.js';
import { EVENTS_DEFAULT, runSimulation } from '../test/raft/sim/simulation.js';
import { runSimulatorCli } from './sim-cli.js';

const BUGS: readonly PlantedBug[] = ['no-vote-persist', 'commit-old-term', 'no-log-check', 'stale-read'];

await runSimulatorCli({
  name: 'sim',
  bugs: BUGS,
  bugDescription: 'plant a known bug in the core',
  eventsDefault: EVENTS_DEFAULT,
  secondsMax: SEED_SECONDS_MAX,
  runOne: (seed, spec, verbose) => {
    const result = runSimulation({ seed, events: spec.events, bugs: spec.bugs, ...(verbose ? { verbose } : {}) });
    console.log(`seed ${seed}: ${JSON.stringify(result.params)} trace hash ${result.traceHash.toString(16)}`);
    return result;
  },
  runSeeds,
  replayCommand,
  statKeys: ['events', 'simMs', 'leaders', 'committed', 'writesAcked', 'readsOk', 'crashes', 'partitions', 'confChanges', 'livenessMs'],
});
