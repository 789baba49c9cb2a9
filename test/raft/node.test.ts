// RaftNode, the driver of the Raft core: clusters of real nodes (real timers, MemoryRaftStorage,
// InMemoryNetwork) electing, replicating, batching, reading, transferring leadership, failing,
// restarting and catching up by snapshot. Every wait is on a condition with a generous deadline.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { SeededRandom } from '../../src/raft/core/random.js';
import { type Entry, type LogIndex, type NodeId, type Snapshot, defaultRaftConfig, nodeId } from '../../src/raft/core/types.js';
import { RaftError, isRaftError } from '../../src/raft/errors.js';
import { InMemoryNetwork } from '../../src/raft/memory-transport.js';
import { type LeaderChange, RaftNode, type RaftNodeOptions } from '../../src/raft/node.js';
import type { StateMachine } from '../../src/raft/state-machine.js';
import { MemoryRaftStorage, type PersistBatch, initialState } from '../../src/raft/storage.js';
import { silentLogger } from '../../src/util/log.js';
import { waitUntil } from '../support/wait.js';

const TICK_MS = 10;

const enc = new TextEncoder();
const dec = new TextDecoder();

async function rejection(promise: Promise<unknown>): Promise<RaftError> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof RaftError, `expected a RaftError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** The test's state machine: a list of strings; applying returns the list's new length. */
class ListMachine implements StateMachine<number> {
  items: string[] = [];
  restores = 0;

  apply(entry: Entry): number {
    this.items.push(dec.decode(entry.data));
    return this.items.length;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify(this.items));
  }

  restore(snapshot: Snapshot): void {
    this.items = JSON.parse(dec.decode(snapshot.data)) as string[];
    this.restores++;
  }
}

/** Memory storage that counts persist calls and can be made to fail, like a disk that died. */
class CountingStorage extends MemoryRaftStorage {
  persistCalls = 0;
  failing = false;

  override async persist(batch: PersistBatch): Promise<void> {
    this.persistCalls++;
    if (this.failing) throw new Error('disk on fire');
    await super.persist(batch);
  }
}

interface Member {
  readonly id: NodeId;
  readonly storage: CountingStorage;
  machine: ListMachine;
  node: RaftNode<number> | undefined;
}

type ExtraOptions = Partial<Pick<RaftNodeOptions<number>, 'proposalTimeoutMs' | 'snapshotEveryEntries' | 'pendingProposalsMax'>>;

class Cluster {
  readonly net = new InMemoryNetwork();
  private readonly members = new Map<NodeId, Member>();

  constructor(private readonly extra: ExtraOptions = {}) {}

  static async of(size: number, extra: ExtraOptions = {}): Promise<Cluster> {
    const cluster = new Cluster(extra);
    running.push(cluster);
    const voters = Array.from({ length: size }, (_, i) => nodeId(i + 1));
    for (const id of voters) await cluster.add(id, voters);
    return cluster;
  }

  /** Formats and starts a node whose initial membership is `voters`/`learners`. */
  async add(id: NodeId, voters: readonly NodeId[], learners: readonly NodeId[] = []): Promise<RaftNode<number>> {
    const member: Member = { id, storage: new CountingStorage(initialState(voters, learners)), machine: new ListMachine(), node: undefined };
    this.members.set(id, member);
    return this.start(id);
  }

  /** Starts (or restarts) a node from its storage with a fresh, empty state machine. */
  async start(id: NodeId): Promise<RaftNode<number>> {
    const member = this.member(id);
    assert.equal(member.node, undefined, `node ${id} is already running`);
    member.machine = new ListMachine();
    member.node = await RaftNode.start({
      config: defaultRaftConfig(id),
      storage: member.storage,
      transport: this.net.transport(id),
      stateMachine: member.machine,
      tickMs: TICK_MS,
      random: new SeededRandom(id * 7919),
      log: silentLogger,
      ...this.extra,
    });
    return member.node;
  }

  async stop(id: NodeId): Promise<void> {
    const member = this.member(id);
    await member.node?.stop();
    member.node = undefined;
  }

  async stopAll(): Promise<void> {
    for (const id of this.members.keys()) await this.stop(id);
  }

  member(id: NodeId): Member {
    const member = this.members.get(id);
    assert(member, `no node ${id}`);
    return member;
  }

  node(id: NodeId): RaftNode<number> {
    const node = this.member(id).node;
    assert(node, `node ${id} is not running`);
    return node;
  }

  items(id: NodeId): readonly string[] {
    return this.member(id).machine.items;
  }

  runningVoters(): RaftNode<number>[] {
    return [...this.members.values()].flatMap((m) => (m.node && m.node.status().conf.voters.includes(m.id) ? [m.node] : []));
  }

  /** Waits until one running node leads and every running voter (but `except`) agrees on it. */
  async waitLeader(except: readonly NodeId[] = []): Promise<RaftNode<number>> {
    let leader: RaftNode<number> | undefined;
    await waitUntil('an agreed leader', () => {
      const nodes = this.runningVoters().filter((n) => !except.includes(n.id));
      leader = nodes.find((n) => n.isLeader());
      return leader !== undefined && nodes.every((n) => n.leaderId() === leader?.id);
    });
    assert(leader);
    return leader;
  }

  async waitItems(ids: readonly NodeId[], expected: readonly string[]): Promise<void> {
    await waitUntil(`nodes ${ids.join(',')} to apply ${expected.length} items`, () => ids.every((id) => this.items(id).length >= expected.length));
    for (const id of ids) assert.deepEqual(this.items(id), expected, `items on node ${id}`);
  }
}

const running: Cluster[] = [];
afterEach(async () => {
  for (const cluster of running.splice(0)) await cluster.stopAll();
});

const ids = (...ns: number[]) => ns.map(nodeId);
const others = (leader: RaftNode<number>, all: readonly NodeId[]) => all.filter((id) => id !== leader.id);
const ALL = ids(1, 2, 3);

describe('RaftNode', () => {
  test('three nodes elect a leader, replicate, and report it through the leader event', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    const changes: LeaderChange[] = [];
    const follower = cluster.node(others(leader, ALL)[0] ?? nodeId(0));
    follower.on('leader', (c) => changes.push(c));

    const applied = await leader.propose(enc.encode('a'));
    assert.equal(applied.result, 1);
    assert(applied.index >= 2, 'the first proposal follows the leader\'s no-op');
    await cluster.waitItems(ALL, ['a']);

    // Transferring away makes the follower observe a change of leader.
    await leader.transferLeadership(follower.id);
    await waitUntil('a leader event on the new leader', () => changes.some((c) => c.role === 'leader' && c.leader === follower.id));
  });

  test('a follower rejects proposals with NOT_LEADER naming the leader', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    for (const id of others(leader, ALL)) {
      const error = await rejection(cluster.node(id).propose(enc.encode('x')));
      assert.equal(error.code, 'NOT_LEADER');
      assert.equal(error.leader, leader.id);
      assert.equal(error.retriable, true);
      const readError = await rejection(cluster.node(id).read());
      assert.equal(readError.code, 'NOT_LEADER');
      assert.equal(readError.leader, leader.id);
    }
  });

  test('500 concurrent proposals resolve in order, apply identically everywhere, and are batched', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    const storage = cluster.member(leader.id).storage;
    const persistsBefore = storage.persistCalls;

    const values = Array.from({ length: 500 }, (_, i) => `v${i}`);
    const results = await Promise.all(values.map((v) => leader.propose(enc.encode(v))));

    for (let i = 1; i < results.length; i++) {
      const [prev, cur] = [results[i - 1], results[i]];
      assert(prev && cur && cur.index > prev.index, `indexes increase at ${i}`);
      assert.equal(cur.result, prev.result + 1);
    }
    await cluster.waitItems(ALL, values);
    // Proposals made while a Ready is being persisted ride the next one: far fewer syncs than entries.
    const persists = storage.persistCalls - persistsBefore;
    assert(persists < 100, `${persists} persist calls for 500 proposals`);
  });

  test('read() on the leader reflects every write acknowledged before it', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    const values = Array.from({ length: 50 }, (_, i) => `w${i}`);
    const last = (await Promise.all(values.map((v) => leader.propose(enc.encode(v))))).at(-1);
    assert(last);
    const readIndex = await leader.read();
    assert(readIndex >= last.index, `read index ${readIndex} below the last write ${last.index}`);
    assert(leader.appliedIndex() >= readIndex);
    assert.deepEqual(cluster.items(leader.id), values);
  });

  test('a read pending on a leader that loses leadership is rejected with NOT_LEADER', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    await leader.propose(enc.encode('settled'));
    cluster.net.partition([[leader.id]]);
    // Never confirmed (no heartbeat answers) and, by CheckQuorum, the leader steps down.
    const error = await rejection(leader.read());
    assert.equal(error.code, 'NOT_LEADER');
  });

  test('leadership transfer hands over to the chosen node, which then accepts writes', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    await leader.propose(enc.encode('before'));
    const target = cluster.node(others(leader, ALL)[1] ?? nodeId(0));

    await leader.transferLeadership(target.id);
    assert.equal(leader.leaderId(), target.id);
    await waitUntil('the target to lead', () => target.isLeader());
    await target.propose(enc.encode('after'));
    await cluster.waitItems(ALL, ['before', 'after']);

    const error = await rejection(leader.transferLeadership(nodeId(9)));
    assert.equal(error.code, 'NOT_LEADER');
  });

  test('a proposal whose index is taken by a newer leader rejects LEADERSHIP_LOST', async () => {
    const cluster = await Cluster.of(3);
    const old = await cluster.waitLeader();
    await old.propose(enc.encode('committed'));
    cluster.net.partition([[old.id]]);
    const doomed = old.propose(enc.encode('doomed'));
    const fresh = await cluster.waitLeader([old.id]);
    await fresh.propose(enc.encode('new-era'));
    cluster.net.heal();
    const error = await rejection(doomed);
    assert.equal(error.code, 'LEADERSHIP_LOST');
    assert.equal(error.retriable, true);
    await cluster.waitItems(ALL, ['committed', 'new-era']);
  });

  test('a proposal that cannot commit rejects TIMEOUT, saying the outcome is unknown', async () => {
    const cluster = await Cluster.of(3, { proposalTimeoutMs: 300 });
    const leader = await cluster.waitLeader();
    cluster.net.partition([[leader.id]]);
    const error = await rejection(leader.propose(enc.encode('lost in space')));
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.retriable, false);
    assert.match(error.message, /unknown/);
  });

  test('proposals beyond pendingProposalsMax reject TOO_MANY_PENDING; empty ones are refused', async () => {
    const cluster = await Cluster.of(3, { pendingProposalsMax: 5 });
    const leader = await cluster.waitLeader();
    const accepted = Array.from({ length: 5 }, (_, i) => leader.propose(enc.encode(`p${i}`)));
    const error = await rejection(leader.propose(enc.encode('one too many')));
    assert.equal(error.code, 'TOO_MANY_PENDING');
    assert.equal(error.retriable, true);
    await Promise.all(accepted);
    assert.equal((await rejection(leader.propose(new Uint8Array(0)))).code, 'INVALID_PROPOSAL');
  });

  test('stop() rejects pending and later requests with STOPPED and is idempotent', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    // Its term's empty entry committed first, so the wait below sees this proposal, not that entry.
    await leader.propose(enc.encode('settled'));
    cluster.net.partition([[leader.id]]);
    const lastBefore = leader.status().lastIndex;
    const inFlight = leader.propose(enc.encode('in flight'));
    // Wait until it is in the leader's log (proposed to the core), not just queued.
    await waitUntil('the proposal to be appended', () => leader.status().lastIndex > lastBefore);
    await Promise.all([leader.stop(), leader.stop()]);
    const error = await rejection(inFlight);
    assert.equal(error.code, 'STOPPED');
    assert.equal(error.retriable, false, 'an in-flight proposal may still commit');
    assert.equal((await rejection(leader.propose(enc.encode('late')))).code, 'STOPPED');
    assert.equal((await rejection(leader.read())).code, 'STOPPED');
  });

  test('a failed persist is fatal: the node reports it and stops', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    const fatal: Error[] = [];
    leader.on('fatal', (e) => fatal.push(e));
    cluster.member(leader.id).storage.failing = true;
    const error = await rejection(leader.propose(enc.encode('never durable')));
    assert.equal(error.code, 'STOPPED');
    assert.match(error.message, /disk on fire/);
    assert.equal(fatal.length, 1);
    const later = await rejection(leader.propose(enc.encode('after')));
    assert.equal(later.code, 'STOPPED');
    assert.match(later.message, /disk on fire/, 'later rejections name the failure');
  });

  test('a restarted node recovers from its storage and catches up', async () => {
    const cluster = await Cluster.of(3);
    const leader = await cluster.waitLeader();
    const lagger = others(leader, ALL)[0] ?? nodeId(0);
    const first = ['a', 'b', 'c'];
    for (const v of first) await leader.propose(enc.encode(v));
    await cluster.waitItems(ALL, first);

    await cluster.stop(lagger);
    const second = ['d', 'e'];
    for (const v of second) await leader.propose(enc.encode(v));
    await cluster.start(lagger);
    await cluster.waitItems(ALL, [...first, ...second]);
  });

  test('snapshots compact the log; a restarted node and a new learner catch up by snapshot', async () => {
    const cluster = await Cluster.of(3, { snapshotEveryEntries: 20 });
    const leader = await cluster.waitLeader();
    const lagger = others(leader, ALL)[0] ?? nodeId(0);
    await cluster.stop(lagger);
    const values = Array.from({ length: 100 }, (_, i) => `s${i}`);
    for (let i = 0; i < values.length; i += 10) await Promise.all(values.slice(i, i + 10).map((v) => leader.propose(enc.encode(v))));

    const laggerLast = cluster.member(lagger).storage.lastIndex();
    const leaderSnapshot = () => cluster.member(leader.id).storage.loadSync().snapshot.meta.index;
    assert(leaderSnapshot() > laggerLast, `leader compacted to ${leaderSnapshot()}, beyond the lagger's ${laggerLast}`);
    assert(leader.status().snapshotIndex > laggerLast);

    await cluster.start(lagger);
    await cluster.waitItems(ALL, values);
    assert.equal(cluster.member(lagger).machine.restores, 1, 'the restarted node restored a snapshot');

    // A brand-new node learns everything as a learner, by snapshot.
    const learner = nodeId(4);
    await cluster.add(learner, []);
    const confIndex: LogIndex = await leader.proposeConfChange({ kind: 'add-learner', node: learner });
    assert(confIndex > 0);
    await cluster.waitItems([learner], values);
    assert.equal(cluster.member(learner).machine.restores, 1, 'the learner restored a snapshot');
    assert(isRaftError(await rejection(cluster.node(learner).propose(enc.encode('no'))), 'NOT_LEADER'));
  });
});
