// The simulated active controller: it owns the metadata image and changes it only through the real
// controller commands of src/metadata/controller (registerBroker, brokerHeartbeat, fenceBroker,
// alterPartition, electPreferredLeaders, createTopics), replayed as one batch each, as the metadata
// quorum would commit them. There is no raft here: the metadata simulator covers that; this one
// needs a controller that is always right, so what breaks is the replica layer.
//
// Broker sessions are the controller's: a heartbeat that arrives renews one; one that has not been
// renewed for sessionTimeoutMs is expired by fenceBroker, moving leaderships within the ISR.
import assert from 'node:assert/strict';
import { alterPartition, brokerHeartbeat, createTopics, electPreferredLeaders, fenceBroker, registerBroker, type ControllerResult } from '../../../src/metadata/controller/index.js';
import { EMPTY_IMAGE, type MetadataImage } from '../../../src/metadata/image.js';
import type { AlterPartitionSender } from '../../../src/broker/replica/replica-manager.js';
import { brokerEpoch, brokerId, type BrokerId } from '../../../src/metadata/types.js';
import { applyResult, idSource, incarnation } from '../../metadata/controller-support.js';

/**
 * A listener other than INTERNAL: ReplicaManager starts its own fetch loops only for leaders with an
 * INTERNAL endpoint, so without one it leaves every fetch to the simulator.
 */
const SIM_LISTENER = 'SIM';
/** Leader moves per preferred-leader election, as the controller's periodic task does them. */
const REBALANCE_LIMIT = 10;

type AlterRequest = Parameters<AlterPartitionSender>[0];
type AlterAnswer = Awaited<ReturnType<AlterPartitionSender>>;

export type HeartbeatOutcome = { readonly kind: 'registered'; readonly epoch: number } | { readonly kind: 'beat'; readonly fenced: boolean } | { readonly kind: 'refused'; readonly code: string };

export class SimController {
  private current: MetadataImage = EMPTY_IMAGE;
  private readonly lastHeartbeatMs = new Map<number, number>();
  private readonly newTopicId = idSource();

  /** `published` sees every new image, as the metadata log's replay would produce it. */
  constructor(private readonly published: (image: MetadataImage, what: string) => void) {}

  get image(): MetadataImage {
    return this.current;
  }

  private commit(result: ControllerResult<unknown>, what: string): void {
    const next = applyResult(this.current, result);
    if (next === this.current) return;
    this.current = next;
    this.published(next, what);
  }

  /** A broker of `generation` registers (fenced), or renews its session; `caughtUp` unfences it. */
  heartbeat(id: number, generation: number, epoch: number, caughtUp: boolean, nowMs: number, sessionTimeoutMs: number): HeartbeatOutcome {
    if (epoch < 0) return this.register(id, generation, nowMs, sessionTimeoutMs);
    const result = brokerHeartbeat(this.current, { brokerId: brokerId(id), brokerEpoch: brokerEpoch(epoch), caughtUp, wantFence: false, wantShutDown: false });
    if (result.response.error !== undefined) return { kind: 'refused', code: result.response.error.code };
    this.lastHeartbeatMs.set(id, nowMs);
    this.commit(result, `heartbeat b${id}`);
    return { kind: 'beat', fenced: result.response.isFenced };
  }

  private register(id: number, generation: number, nowMs: number, sessionTimeoutMs: number): HeartbeatOutcome {
    const sessionAlive = nowMs - (this.lastHeartbeatMs.get(id) ?? -Infinity) <= sessionTimeoutMs;
    const endpoints = [{ listener: SIM_LISTENER, host: `broker${id}`, port: 9092, securityProtocol: 'PLAINTEXT' as const }];
    const result = registerBroker(this.current, { brokerId: brokerId(id), incarnationId: incarnation(id, generation), endpoints, rack: null }, { sessionAlive });
    if (result.response.error !== undefined) return { kind: 'refused', code: result.response.error.code };
    this.lastHeartbeatMs.set(id, nowMs);
    this.commit(result, `register b${id}`);
    return { kind: 'registered', epoch: result.response.brokerEpoch };
  }

  /** Fences every unfenced broker whose session expired; returns their ids. */
  expireSessions(nowMs: number, sessionTimeoutMs: number): number[] {
    const expired = [...this.current.brokers.values()].filter((b) => !b.fenced && nowMs - (this.lastHeartbeatMs.get(b.id) ?? -Infinity) > sessionTimeoutMs).map((b) => b.id);
    for (const id of expired) this.fence(id);
    return expired;
  }

  /** Fences `id` now, as a session expiry would (a long GC pause, a slow network). */
  fence(id: BrokerId): void {
    this.commit(fenceBroker(this.current, id), `fence b${id}`);
  }

  /** The answer to an AlterPartition: an error, or the partition's ISR and epoch as committed. */
  alter(id: number, request: AlterRequest): AlterAnswer {
    const epoch = this.current.brokers.get(brokerId(id))?.epoch ?? brokerEpoch(-1);
    const result = alterPartition(this.current, { ...request, brokerId: brokerId(id), brokerEpoch: epoch });
    if (result.response.error !== undefined) return { error: result.response.error.code };
    this.commit(result, `alter-partition b${id} p${request.partition}`);
    const committed = result.response.partition;
    return committed === undefined ? {} : { committed: { isr: committed.isr, partitionEpoch: committed.partitionEpoch } };
  }

  /** Moves leadership back to preferred replicas that are in the ISR (a leader change without a failure). */
  rebalance(): number {
    const result = electPreferredLeaders(this.current, REBALANCE_LIMIT);
    this.commit(result, 'preferred-leader election');
    return result.response;
  }

  createTopic(name: string, partitions: number, replicationFactor: number, configs: ReadonlyMap<string, string>): void {
    const result = createTopics(this.current, [{ name, numPartitions: partitions, replicationFactor, assignments: null, configs }], { defaults: { numPartitions: 1, replicationFactor: 1 }, newTopicId: this.newTopicId, validateOnly: false });
    assert.equal(result.response[0]?.error, undefined, result.response[0]?.error?.message);
    this.commit(result, `create topic ${name}`);
  }
}
