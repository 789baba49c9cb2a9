// What the workload, the nemesis and the liveness phase may see and do in a running simulation.
import type { SeededRandom } from '../../../src/raft/core/random.js';
import type { SimEvent } from './events.js';
import type { Checker } from './invariants.js';
import type { Network } from './network.js';
import type { SimParams } from './params.js';
import type { SimNode } from './sim-node.js';

export interface World {
  readonly random: SeededRandom;
  readonly params: SimParams;
  readonly nodes: readonly SimNode[];
  readonly network: Network;
  readonly checker: Checker;
  readonly nowMs: number;
  schedule(delayMs: number, event: SimEvent): void;
  /** Describes what the current event did, for the trace. */
  note(text: string): void;
  /** Drains the node's Ready after the caller poked its RawNode directly, checking invariants. */
  settle(node: SimNode): void;
  crash(node: SimNode): void;
  /** A live node that believes it leads, in the highest such term. */
  leader(): SimNode | undefined;
}

export function nodeById(world: World, id: number): SimNode | undefined {
  return world.nodes[id - 1];
}

export function randomNode(world: World): SimNode {
  return world.nodes[world.random.int(world.nodes.length)] as SimNode;
}
