// The AlterPartition transport of the simulated brokers: ReplicaManager's AlterPartitionSender
// ("resolves once answered"), over the lossy network to the controller. It behaves as Kafka's
// AlterPartitionManager and Partition together do:
//
// - a request that gets no answer in time is sent again, until one comes (or the broker dies);
// - an error answer is held back until the broker's metadata shows the partition past the epochs
//   the request was made at, unless the error itself proves that no attempt was applied
//   (INELIGIBLE_REPLICA: the controller checked the partition epoch was current). An
//   INVALID_UPDATE_VERSION or FENCED_LEADER_EPOCH may well follow an earlier attempt of this very
//   request that was applied and whose answer was lost; until the metadata says, the leader must
//   keep counting the pending ISR (Kafka's handleAlterPartitionError resets its pending state only
//   for INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED, and otherwise waits for the metadata);
// - every other answer is passed on at once.
//
// src's ReplicaManager forgets a pending ISR change on any failure (LeaderState.endAlter() with
// nothing), so a sender that gave up, or passed those errors on at once, would let the HW pass a
// replica the controller has just added to the ISR; planted variant 'alter-gives-up' is that
// sender, as a plain RPC with a deadline would be (see the report).
import type { MetadataImage, PartitionRegistration } from '../../../src/metadata/image.js';
import type { AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import type { SimBroker } from './broker.js';
import type { SimController } from './controller.js';
import type { AlterInFlight, ReplEvent } from './events.js';
import { CONTROLLER_NODE } from './nemesis.js';
import type { ReplPlantedBug } from './params.js';

type AlterRequest = Parameters<AlterPartitionSender>[0];
type AlterAnswer = Awaited<ReturnType<AlterPartitionSender>>;

/** Errors after which no attempt of the request can have been applied (see the header). */
const PROVES_NOT_APPLIED: ReadonlySet<string> = new Set(['INELIGIBLE_REPLICA', 'OPERATION_NOT_ATTEMPTED']);

/** An attempt that gets no answer within this long is sent again. */
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

interface Held {
  readonly alter: AlterInFlight;
  readonly answer: AlterAnswer;
}

export class AlterSender {
  isrChanges = 0;
  private seq = 0;
  private readonly held = new Set<Held>();

  constructor(private readonly world: AlterWorld) {}

  send(b: SimBroker, gen: number, request: AlterRequest): Promise<AlterAnswer> {
    return new Promise((resolve, reject) => {
      const alter: AlterInFlight = { seq: ++this.seq, broker: b.id, gen, request, resolve, reject, settled: false, answered: false, attempts: 0 };
      if (this.world.bugs.has('local-isr-shrink') && isShrink(b, request)) {
        alter.settled = true;
        this.world.note(`alter #${alter.seq} applied locally: isr [${request.newIsr.join(',')}]`);
        return resolve({ committed: { isr: request.newIsr, partitionEpoch: request.partitionEpoch + 1 } });
      }
      this.attempt(alter);
    });
  }

  private attempt(a: AlterInFlight): void {
    a.attempts++;
    const delivered = this.world.transmit(a.broker, CONTROLLER_NODE);
    if (delivered) this.world.schedule(this.world.latencyMs(), { kind: 'alter-arrive', alter: a });
    this.world.schedule(ALTER_TIMEOUT_MS, { kind: 'alter-timeout', alter: a, attempt: a.attempts });
    this.world.note(`alter #${a.seq} attempt ${a.attempts} p${a.request.partition} isr [${a.request.newIsr.join(',')}]${delivered ? '' : ' lost'}`);
  }

  arrive(a: AlterInFlight): void {
    const { answer, partition } = this.world.controller.alter(a.broker, a.request);
    if (answer.error === undefined) this.isrChanges++;
    if (this.world.transmit(CONTROLLER_NODE, a.broker)) this.world.schedule(this.world.latencyMs(), { kind: 'alter-reply', alter: a, answer, partition });
    else this.world.note(`${answer.error ?? 'committed'}; answer lost`);
  }

  reply(a: AlterInFlight, answer: AlterAnswer, _partition: PartitionRegistration | undefined): void {
    const b = this.live(a);
    if (b === undefined) return;
    a.answered = true;
    const unknown = answer.error !== undefined && !PROVES_NOT_APPLIED.has(answer.error);
    if (unknown && !this.world.bugs.has('alter-gives-up') && !shows(b.lastImage, a)) {
      this.held.add({ alter: a, answer });
      return this.world.note('held until the metadata shows the outcome');
    }
    this.settle(a, () => a.resolve(answer));
  }

  timeout(a: AlterInFlight, attempt: number): void {
    if (this.live(a) === undefined || a.answered || attempt !== a.attempts) return;
    if (this.world.bugs.has('alter-gives-up')) return this.settle(a, () => a.reject(new Error('AlterPartition timed out')));
    this.attempt(a);
  }

  /** Broker `b` applied `image`: held answers whose outcome it now shows are passed on. */
  imageApplied(b: SimBroker, image: MetadataImage): void {
    for (const h of [...this.held]) {
      const { alter: a } = h;
      if (a.settled || this.live(a) === undefined) {
        this.held.delete(h);
        continue;
      }
      if (a.broker !== b.id || !shows(image, a)) continue;
      this.held.delete(h);
      this.settle(a, () => a.resolve(h.answer));
    }
  }

  /** The sending broker, if the incarnation that sent `a` is still alive and waiting. */
  private live(a: AlterInFlight): SimBroker | undefined {
    const b = this.world.brokers[a.broker - 1]!;
    // A crashed incarnation's request is never answered: its process is gone.
    return a.settled || !b.alive || b.gen !== a.gen ? undefined : b;
  }

  private settle(a: AlterInFlight, how: () => void): void {
    a.settled = true;
    how();
  }
}

/** Whether `image` shows the partition past the state `a` was asked against (so its outcome is known). */
function shows(image: MetadataImage | undefined, a: AlterInFlight): boolean {
  if (image === undefined) return false;
  const reg = image.topicsById.get(a.request.topicId)?.partitions.get(a.request.partition);
  return reg === undefined || reg.leaderEpoch > a.request.leaderEpoch || (reg.leaderEpoch === a.request.leaderEpoch && reg.partitionEpoch > a.request.partitionEpoch);
}

function isShrink(b: SimBroker, request: AlterRequest): boolean {
  const role = b.partition(request.topicId, request.partition)?.role;
  return role?.kind === 'leader' && request.newIsr.length < role.state.isr.length;
}
