// The AlterPartition transport of the simulated brokers: ReplicaManager's AlterPartitionSender over
// the lossy network to the controller, a plain RPC with a deadline as the server's is
// (src/server/server.ts): one request, its answer passed on as it is, and a rejection when no
// answer comes in time (the request or the answer was lost, or the controller was cut off). What a
// lost answer leaves unknown (the change may have been committed) is the ReplicaManager's to
// handle: it keeps the change pending and sends it again until answered or until an image shows
// the partition's newer epoch.
import type { AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import type { SimBroker } from './broker.js';
import type { SimController } from './controller.js';
import type { AlterInFlight, ReplEvent } from './events.js';
import { CONTROLLER_NODE } from './nemesis.js';
import type { ReplPlantedBug } from './params.js';

type AlterRequest = Parameters<AlterPartitionSender>[0];
type AlterAnswer = Awaited<ReturnType<AlterPartitionSender>>;

/** A request that gets no answer within this long is rejected (the RPC's deadline). */
const ALTER_TIMEOUT_MS = 150;

export interface AlterWorld {
  readonly bugs: ReadonlySet<ReplPlantedBug>;
  readonly controller: SimController;
  readonly brokers: readonly SimBroker[];
  transmit(from: number, to: number): boolean;
  latencyMs(): number;
  schedule(delayMs: number, event: ReplEvent): void;
  note(text: string): void;
}

export class AlterSender {
  isrChanges = 0;
  private seq = 0;

  constructor(private readonly world: AlterWorld) {}

  send(b: SimBroker, gen: number, request: AlterRequest): Promise<AlterAnswer> {
    return new Promise((resolve, reject) => {
      const alter: AlterInFlight = { seq: ++this.seq, broker: b.id, gen, request, resolve, reject, settled: false };
      if (this.world.bugs.has('local-isr-shrink') && isShrink(b, request)) {
        alter.settled = true;
        this.world.note(`alter #${alter.seq} applied locally: isr [${request.newIsr.join(',')}]`);
        return resolve({ committed: { isr: request.newIsr, partitionEpoch: request.partitionEpoch + 1 } });
      }
      const delivered = this.world.transmit(b.id, CONTROLLER_NODE);
      if (delivered) this.world.schedule(this.world.latencyMs(), { kind: 'alter-arrive', alter });
      this.world.schedule(ALTER_TIMEOUT_MS, { kind: 'alter-timeout', alter });
      this.world.note(`alter #${alter.seq} p${request.partition} isr [${request.newIsr.join(',')}]${delivered ? '' : ' lost'}`);
    });
  }

  arrive(a: AlterInFlight): void {
    const answer = this.world.controller.alter(a.broker, a.request);
    if (answer.error === undefined) this.isrChanges++;
    if (this.world.transmit(CONTROLLER_NODE, a.broker)) this.world.schedule(this.world.latencyMs(), { kind: 'alter-reply', alter: a, answer });
    else this.world.note(`${answer.error ?? 'committed'}; answer lost`);
  }

  reply(a: AlterInFlight, answer: AlterAnswer): void {
    this.settle(a, () => a.resolve(answer));
  }

  timeout(a: AlterInFlight): void {
    this.settle(a, () => a.reject(new Error('AlterPartition timed out')));
  }

  private settle(a: AlterInFlight, how: () => void): void {
    const b = this.world.brokers[a.broker - 1]!;
    // A crashed incarnation's request is never answered: its process is gone.
    if (a.settled || !b.alive || b.gen !== a.gen) return;
    a.settled = true;
    how();
  }
}

function isShrink(b: SimBroker, request: AlterRequest): boolean {
  const role = b.partition(request.topicId, request.partition)?.role;
  return role?.kind === 'leader' && request.newIsr.length < role.state.isr.length;
}
