// The follower fetch loop as simulator events, one fetch in flight per follower and leader, as
// follower-fetcher.ts's LeaderFetcher has: a tick sends a fetch to every leader the follower
// follows that has none in flight; the request arrives (or is lost), the leader answers at once
// (the simulator has no long poll: the tick period stands for it), the answer arrives (or is
// lost), and a fetch that hears nothing times out. After an answer that moved the log the
// follower asks again at once, as the real loop does.
import type { TopicId } from '../../../src/metadata/types.js';
import type { replicapb } from '../../../src/broker/replica/replica-service.js';
import type { SimBroker } from './broker.js';
import type { FetchInFlight, ReplEvent } from './events.js';
import { applyFetchReply, buildFetch, leadersFollowed, serveFetch } from './fetching.js';
import type { ReplParams, ReplPlantedBug } from './params.js';

/** A follower gives up on a fetch (lost, or its leader gone) after this long. */
const FETCH_TIMEOUT_MS = 100;
/** A slow follower waits this many lag times between fetches: its leader drops it from the ISR. */
const SLOW_FETCH_LAG_TIMES = 2;

export interface FetchWorld {
  readonly params: ReplParams;
  readonly bugs: ReadonlySet<ReplPlantedBug>;
  readonly brokers: readonly SimBroker[];
  readonly topicId: TopicId;
  readonly partitions: number;
  nowMs(): number;
  transmit(from: number, to: number): boolean;
  latencyMs(): number;
  schedule(delayMs: number, event: ReplEvent): void;
  note(text: string): void;
}

export class FetchDriver {
  truncations = 0;
  private seq = 0;

  constructor(private readonly world: FetchWorld) {}

  tick(b: SimBroker): void {
    const w = this.world;
    for (const [leader, indexes] of leadersFollowed(b, w.topicId, w.partitions)) {
      if (!b.inflight.has(leader)) this.send(b, leader, indexes);
    }
    const slow = w.nowMs() < b.slowUntilMs;
    const periodMs = slow ? SLOW_FETCH_LAG_TIMES * w.params.lagTimeMsMax : w.params.fetchPeriodsMs[b.id - 1]!;
    w.schedule(periodMs, { kind: 'fetch-tick', broker: b.id, gen: b.gen });
  }

  private send(b: SimBroker, leader: number, indexes: readonly number[]): void {
    const w = this.world;
    const { request, epochs } = buildFetch(b, w.topicId, indexes, w.params.fetchPartitionBytesMax);
    const fetch: FetchInFlight = { seq: ++this.seq, follower: b.id, followerGen: b.gen, leader, request, epochs };
    b.inflight.set(leader, fetch.seq);
    const delivered = w.transmit(b.id, leader);
    if (delivered) w.schedule(w.latencyMs(), { kind: 'fetch-arrive', fetch });
    w.schedule(FETCH_TIMEOUT_MS, { kind: 'fetch-timeout', fetch });
    w.note(`fetch #${fetch.seq} b${b.id}->b${leader}${delivered ? '' : ' lost'}`);
  }

  async arrive(f: FetchInFlight): Promise<void> {
    const w = this.world;
    const leader = w.brokers[f.leader - 1]!;
    if (!leader.alive || leader.manager === undefined) return w.note('the leader is down');
    const response = await serveFetch(leader, f.request, w.topicId, w.bugs);
    if (w.transmit(leader.id, f.follower)) w.schedule(w.latencyMs(), { kind: 'fetch-reply', fetch: f, response });
    else w.note('answer lost');
  }

  async reply(f: FetchInFlight, response: replicapb.IFetchResponse): Promise<void> {
    const w = this.world;
    const b = w.brokers[f.follower - 1]!;
    if (!b.alive || b.gen !== f.followerGen || b.inflight.get(f.leader) !== f.seq) return w.note('nobody waits for it');
    b.inflight.delete(f.leader);
    const applied = await applyFetchReply(b, w.topicId, f.epochs, response, w.bugs);
    this.truncations += applied.truncations;
    w.note(applied.notes.join(', '));
    // A slow follower is slow at every fetch, not only at its ticks.
    const indexes = leadersFollowed(b, w.topicId, w.partitions).get(f.leader);
    if (applied.progressed && indexes !== undefined && w.nowMs() >= b.slowUntilMs) this.send(b, f.leader, indexes);
  }

  timeout(f: FetchInFlight): void {
    const b = this.world.brokers[f.follower - 1]!;
    if (b.alive && b.gen === f.followerGen && b.inflight.get(f.leader) === f.seq) {
      b.inflight.delete(f.leader);
      this.world.note('timed out');
    }
  }
}
