// The world a golden script runs in: RawNodes, each with a MemoryRaftStorage that is the only thing
// surviving a crash, a tiny replicated application, and a network that is a queue of messages the
// script delivers or drops explicitly. A message across a partition, or to a node that is down, is
// lost both when it is sent and when it would be delivered. Nothing happens unless a command says so.
import { RawNode } from '../../../src/raft/core/rawnode.js';
import { SeededRandom } from '../../../src/raft/core/random.js';
import { type ConfState, EntryType, type LogIndex, type Message, type RaftConfig, type Ready, type Snapshot } from '../../../src/raft/core/types.js';
import { MemoryRaftStorage, initialState } from '../../../src/raft/storage.js';
import { formatConf, formatEntry, formatMessage, formatReady, ids } from './format.js';

/** An applied data entry of the test application (a list of strings). */
interface AppliedValue {
  readonly index: number;
  readonly value: string;
}

/** What a script can see change on a node; a change is printed the moment it happens. */
interface Observed {
  readonly role: string;
  readonly term: number;
  readonly leader: number;
  readonly conf: string;
  readonly transferee: number;
}

export class GoldenNode {
  raw: RawNode | undefined;
  /** The application: data of every applied non-empty Normal entry; lost in a crash. */
  app: AppliedValue[] = [];
  /** Highest index handed to the application, to check committed entries arrive in order. */
  appliedIndex = 0;
  restarts = 0;
  seen: Observed | undefined;

  constructor(readonly id: number, readonly config: RaftConfig, readonly storage: MemoryRaftStorage, readonly seed: number) {}

  get up(): boolean {
    return this.raw !== undefined;
  }
}

export interface DeliverFilter {
  readonly to?: ReadonlySet<number>;
  readonly from?: ReadonlySet<number>;
  readonly types?: ReadonlySet<string>;
  readonly drop?: ReadonlySet<number>;
}

const text = new TextEncoder();
const textOut = new TextDecoder();
/** Bound on stabilize rounds: a correct core quiesces long before; more means a message loop. */
const STABILIZE_ROUNDS_MAX = 200;

export class Cluster {
  readonly nodes = new Map<number, GoldenNode>();
  /** Election safety: the leader of each term, once seen. */
  private readonly leaders = new Map<number, number>();
  /** State machine safety: the entry every node applied at each index, once seen. */
  private readonly appliedEntries = new Map<number, string>();
  queue: Message[] = [];
  /** Groups that can talk among themselves; undefined when the network is whole. */
  partition: number[][] | undefined;
  bootstrap: ConfState = { voters: [], learners: [] };

  node(id: number): GoldenNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: number): RawNode {
    const raw = this.node(id).raw;
    if (!raw) throw new Error(`node ${id} is down`);
    return raw;
  }

  sortedIds(): number[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  addNode(config: RaftConfig, conf: ConfState, seed: number): string[] {
    const id = config.id;
    if (this.nodes.has(id)) throw new Error(`node ${id} exists`);
    const storage = new MemoryRaftStorage(initialState(conf.voters, conf.learners));
    const node = new GoldenNode(id, config, storage, seed);
    this.nodes.set(id, node);
    node.raw = new RawNode(config, storage.loadSync(), new SeededRandom(seed));
    return [this.describe(node)];
  }

  /** Runs `op` on a live node and reports what it changed, in order. */
  act<T>(id: number, op: (raw: RawNode) => T): { result: T; changes: string[] } {
    const node = this.node(id);
    const raw = this.raw(id);
    const result = op(raw);
    return { result, changes: this.changes(node) };
  }

  /** Lines describing what changed on `node` since it was last observed. */
  changes(node: GoldenNode): string[] {
    const raw = node.raw;
    if (!raw) return [];
    const before = node.seen;
    const now = observe(raw);
    node.seen = now;
    if (!before) return [];
    const out: string[] = [];
    const id = node.id;
    if (now.role !== before.role || now.term !== before.term) out.push(`${id} became ${now.role} at term ${now.term}`, ...this.checkLeader(id, now));
    if (now.leader !== before.leader && now.role !== 'leader') out.push(now.leader === 0 ? `${id} has no leader` : `${id} follows leader ${now.leader}`);
    if (now.conf !== before.conf) out.push(`${id} switched to ${now.conf}`);
    if (now.transferee !== before.transferee) out.push(now.transferee === 0 ? `${id} is no longer transferring leadership` : `${id} is transferring leadership to ${now.transferee}`);
    return out;
  }

  private checkLeader(id: number, now: Observed): string[] {
    if (now.role !== 'leader') return [];
    const other = this.leaders.get(now.term);
    if (other !== undefined && other !== id) return [`VIOLATION: ${other} and ${id} both lead term ${now.term}`];
    this.leaders.set(now.term, id);
    return [];
  }

  describe(node: GoldenNode): string {
    const raw = node.raw;
    if (!raw) return `${node.id}: down`;
    node.seen = observe(raw);
    const s = raw.status();
    return `${node.id}: ${s.role} term=${s.term} vote=${s.vote} commit=${s.commit} last=${s.lastIndex} ${formatConf(s.conf)}`;
  }

  tick(id: number, count: number): string[] {
    const out: string[] = [];
    for (let k = 1; k <= count; k++) {
      const { changes } = this.act(id, (raw) => raw.tick());
      out.push(...changes.map((c) => `tick ${k}: ${c}`));
    }
    return out;
  }

  /** Drains one Ready following its contract: persist, send, apply, advance. */
  processReady(id: number): string[] {
    const node = this.node(id);
    const raw = this.raw(id);
    if (!raw.hasReady()) return [`> ${id} has no Ready`];
    const rd = raw.ready();
    const out = [`> ${id} handling Ready`, ...formatReady(rd, (m) => this.lost(m)).map((l) => `  ${l}`)];
    node.storage.persistSync({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    this.queue.push(...rd.messages.filter((m) => this.lost(m) === ''));
    out.push(...this.apply(node, rd).map((l) => `  ${l}`));
    raw.advance(rd);
    out.push(...this.changes(node).map((l) => `  ${l}`));
    return out;
  }

  /** The application's side of a Ready; returns violations of the apply order or of state machine safety. */
  private apply(node: GoldenNode, rd: Ready): string[] {
    const out: string[] = [];
    if (rd.snapshot) {
      node.app = restoreApp(rd.snapshot);
      node.appliedIndex = rd.snapshot.meta.index;
    }
    for (const e of rd.committedEntries) {
      if (e.index !== node.appliedIndex + 1) out.push(`VIOLATION: committed entry ${e.term}/${e.index} after applied index ${node.appliedIndex}`);
      const entry = formatEntry(e);
      const seen = this.appliedEntries.get(e.index);
      if (seen !== undefined && seen !== entry) out.push(`VIOLATION: ${node.id} applies ${entry} where ${seen} was applied`);
      this.appliedEntries.set(e.index, seen ?? entry);
      node.appliedIndex = e.index;
      if (e.type === EntryType.Normal && e.data.length > 0) node.app.push({ index: e.index, value: textOut.decode(e.data) });
    }
    return out;
  }

  /** Why the network loses `m` right now (a cut or a dead addressee), or '' if it carries it. */
  lost(m: Message): string {
    if (!this.canTalk(m.from, m.to)) return ' (dropped: partitioned)';
    const to = this.nodes.get(m.to);
    if (!to) return ` (dropped: no node ${m.to})`;
    return to.up ? '' : ` (dropped: ${m.to} is down)`;
  }

  canTalk(from: number, to: number): boolean {
    if (!this.partition) return true;
    return this.partition.some((group) => group.includes(from) && group.includes(to));
  }

  /** Delivers (or drops) the queued messages the filter selects, grouped by addressee. */
  deliver(filter: DeliverFilter): string[] {
    const selected = this.queue.filter((m) => selects(filter, m));
    if (selected.length === 0) return [];
    this.queue = this.queue.filter((m) => !selected.includes(m));
    const out: string[] = [];
    const recipients = [...new Set(selected.map((m) => m.to as number))].sort((a, b) => a - b);
    for (const to of recipients) {
      out.push(`> ${to} receiving messages`);
      for (const m of selected.filter((x) => x.to === to)) out.push(...keepOutput(out, () => this.deliverOne(m, filter)).map((l) => `  ${l}`));
    }
    return out;
  }

  private deliverOne(m: Message, filter: DeliverFilter): string[] {
    const line = formatMessage(m);
    if (filter.drop?.has(m.to)) return [`${line} (dropped)`];
    const lost = this.lost(m);
    if (lost !== '') return [`${line}${lost}`];
    const { changes } = this.act(m.to, (raw) => raw.step(m));
    return [line, ...changes.map((c) => `  ${c}`)];
  }

  /** Processes Readies and delivers messages among `only` until nothing moves. */
  stabilize(only: readonly number[]): string[] {
    const members = new Set(only);
    const out: string[] = [];
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      const ready = [...members].sort((a, b) => a - b).filter((id) => this.node(id).raw?.hasReady());
      for (const id of ready) out.push(...keepOutput(out, () => this.processReady(id)));
      const delivered = keepOutput(out, () => this.deliver({ to: members }));
      out.push(...delivered);
      if (ready.length === 0 && delivered.length === 0) return out;
    }
    throw new Error(`stabilize did not quiesce in ${STABILIZE_ROUNDS_MAX} rounds:\n${out.slice(-20).join('\n')}`);
  }

  crash(id: number): string[] {
    const node = this.node(id);
    if (!node.raw) throw new Error(`node ${id} is already down`);
    node.raw = undefined;
    node.app = [];
    node.appliedIndex = 0;
    node.seen = undefined;
    return [`${id} crashed`];
  }

  /** Rebuilds a node from its storage alone, as a real process would after a restart. */
  restart(id: number): string[] {
    const node = this.node(id);
    if (node.raw) throw new Error(`node ${id} is up`);
    const persisted = node.storage.loadSync();
    node.restarts++;
    node.app = restoreApp(persisted.snapshot);
    node.appliedIndex = persisted.snapshot.meta.index;
    node.raw = new RawNode(node.config, persisted, new SeededRandom(node.seed + 7919 * node.restarts));
    const hs = persisted.hardState;
    const snap = persisted.snapshot.meta;
    const loaded = `${id} restarted from storage: term=${hs.term} vote=${hs.vote} commit=${hs.commit} snapshot=${snap.term}/${snap.index} entries=${persisted.entries.length}`;
    return [loaded, this.describe(node)];
  }

  /** The application's snapshot at `index`: its values applied at or below it. */
  compact(id: number, index: LogIndex): Snapshot {
    const node = this.node(id);
    const values = node.app.filter((v) => v.index <= index).map((v) => v.value);
    const snapshot = this.raw(id).compact(index, text.encode(values.join(',')));
    node.storage.compactSync(snapshot);
    return snapshot;
  }

  setPartition(groups: number[][]): string {
    const listed = new Set(groups.flat());
    const rest = this.sortedIds().filter((id) => !listed.has(id));
    this.partition = rest.length > 0 ? [...groups, rest] : groups;
    return `partitioned ${this.partition.map((g) => ids(g)).join(' | ')}`;
  }
}

/** An error thrown part-way through a command, with the output printed before it. */
export class PartialOutputError extends Error {
  constructor(readonly lines: readonly string[], readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** Runs `step`; if it throws (say, a core assertion), the lines already in `out` survive in the error. */
function keepOutput<T>(out: readonly string[], step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof PartialOutputError) throw new PartialOutputError([...out, ...err.lines], err.reason);
    throw new PartialOutputError(out, err);
  }
}

function selects(filter: DeliverFilter, m: Message): boolean {
  if (filter.drop?.has(m.to)) return true;
  if (filter.to && !filter.to.has(m.to)) return false;
  if (filter.from && !filter.from.has(m.from)) return false;
  return !filter.types || filter.types.has(m.type);
}

function observe(raw: RawNode): Observed {
  const s = raw.status();
  return { role: s.role, term: s.term, leader: s.leader, conf: formatConf(s.conf), transferee: s.leadTransferee };
}

/** Snapshot data is the comma-separated list of applied values (an empty snapshot holds none). */
function restoreApp(snapshot: Snapshot): AppliedValue[] {
  const data = textOut.decode(snapshot.data);
  if (data === '') return [];
  return data.split(',').map((value) => ({ index: snapshot.meta.index, value }));
}

export const appValues = (node: GoldenNode): string[] => node.app.map((v) => v.value);
