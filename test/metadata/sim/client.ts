// The client: an admin tool that mostly creates topics (1..4 partitions, replication factor 1..3,
// some allowing unclean leader election), sometimes deletes one or adds partitions to one. One
// request at a time; it follows NOT_CONTROLLER hints, and tries another controller when a request
// got no answer by the time of the next one.
import type { Reply, Request } from './events.js';
import { CLIENT_ENDPOINT } from './events.js';
import type { FleetWorld } from './brokers.js';

/** The client stops creating topics at this many, so images stay small. */
const TOPICS_MAX = 10;
const CLIENT_DELETE_RATE = 0.1;
const CLIENT_GROW_RATE = 0.15;
const UNCLEAN_TOPIC_RATE = 0.2;
const PARTITIONS_MAX = 4;
const REPLICATION_FACTOR_MAX = 3;

export class SimClient {
  /** Topics it created (name -> partitions, as far as it knows). */
  private readonly topics = new Map<string, number>();
  private target = 1;
  private seq = 0;
  private awaiting: Request | undefined;

  constructor(private readonly world: FleetWorld) {}

  /** One admin request: mostly create a topic, sometimes delete one or add partitions to one. */
  request(): void {
    const r = this.world.random;
    // The last request got no answer: its controller is down or cut off, try another.
    if (this.awaiting !== undefined) this.target = this.randomController();
    const names = [...this.topics.keys()];
    const name = names[r.int(Math.max(1, names.length))];
    const roll = r.float();
    let request: Request;
    if (name !== undefined && roll < CLIENT_DELETE_RATE) request = { kind: 'delete-topic', name };
    else if (name !== undefined && roll < CLIENT_DELETE_RATE + CLIENT_GROW_RATE) request = { kind: 'create-partitions', req: { name, count: (this.topics.get(name) ?? 1) + 1 + r.int(2), assignments: null } };
    else if (this.topics.size < TOPICS_MAX) request = this.newTopic();
    else return;
    this.awaiting = request;
    this.world.send({ from: CLIENT_ENDPOINT, to: this.target, incarnation: 0, seq: ++this.seq, request });
  }

  private newTopic(): Request {
    const r = this.world.random;
    // Some topics prefer availability to durability, which takes the unclean election path.
    const configs = new Map<string, string>(r.chance(UNCLEAN_TOPIC_RATE) ? [['unclean.leader.election.enable', 'true']] : []);
    const req = { name: `t${this.seq + 1}`, numPartitions: 1 + r.int(PARTITIONS_MAX), replicationFactor: 1 + r.int(REPLICATION_FACTOR_MAX), assignments: null, configs };
    return { kind: 'create-topic', req };
  }

  /** A request refused (NOT_CONTROLLER, too few unfenced brokers) is not retried; the next is a new one. */
  reply(r: Reply): void {
    const request = this.awaiting;
    if (r.seq !== this.seq || request === undefined) return;
    this.awaiting = undefined;
    if (r.error === 'NOT_CONTROLLER' && r.leaderHint > 0) {
      // Straight to the controller named, as the controller client does.
      this.target = r.leaderHint;
      this.awaiting = request;
      return this.world.send({ from: CLIENT_ENDPOINT, to: r.leaderHint, incarnation: 0, seq: ++this.seq, request });
    }
    if (r.error === 'NOT_CONTROLLER') this.target = this.randomController();
    if (r.error !== undefined) return;
    if (request.kind === 'create-topic') this.topics.set(request.req.name, request.req.numPartitions);
    if (request.kind === 'delete-topic') this.topics.delete(request.name);
    if (request.kind === 'create-partitions') this.topics.set(request.req.name, request.req.count);
  }

  private randomController(): number {
    return 1 + this.world.random.int(this.world.controllers.length);
  }
}
