// The safety invariants, checked incrementally as each node persists, applies and reports status,
// so that "after every event" costs O(what the event changed) rather than O(every log).
//
// Global facts kept for the whole run:
//   leaderOfTerm    the first node seen leading each term (at most one leader per term, ever);
//   seen            (index, term) -> the entry and its predecessor's term, for log matching: two logs
//                   agreeing on (index, term) must agree on the entry and, inductively, on all before;
//   committedAt     the first entry known committed at each index; it must never change;
//   canon           the sequence of applied values; every node's state machine is a prefix of it.
import type { Entry, HardState, Snapshot, Status } from '../../../src/raft/core/types.js';
import { StableLog } from './stable-log.js';
import { SimViolation } from './violation.js';

/** Terms stay far below this in any run, so (index, term) packs into one safe integer key. */
const TERM_KEY_SPAN = 1 << 24;

interface Seen {
  readonly entry: Entry;
  readonly prevTerm: number;
  readonly node: number;
}

/** The hard state a node last wrote (synced or not). */
interface Written {
  term: number;
  vote: number;
  commit: number;
}

export interface PersistBatchView {
  readonly mustSync: boolean;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
}

export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term || a.index !== b.index || a.type !== b.type) return false;
  if (a.data.byteLength !== b.data.byteLength) return false;
  for (let i = 0; i < a.data.byteLength; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

export const describeEntry = (e: Entry): string => `${e.index}/t${e.term}/${e.type === 0 ? 'n' : 'cc'}[${Array.from(e.data).join(',')}]`;

export class Checker {
  private readonly leaderOfTerm = new Map<number, number>();
  private readonly seen = new Map<number, Seen>();
  private readonly committedAt: (Entry | undefined)[] = [];
  private committedMax = 0;
  private readonly written = new Map<number, Written>();
  private readonly memCommit = new Map<number, number>();
  readonly canon: number[] = [];

  get committedIndexMax(): number {
    return this.committedMax;
  }

  get termsWithLeader(): number {
    return this.leaderOfTerm.size;
  }

  // ---- status, after every event that touched a node --------------------------------------

  status(s: Status): void {
    if (s.role === 'leader') this.leaderInTerm(s.id, s.term);
    const before = this.memCommit.get(s.id) ?? 0;
    if (s.commit < before) this.fail('commit-regressed', `node ${s.id} commit went from ${before} to ${s.commit} without a restart`);
    this.memCommit.set(s.id, s.commit);
  }

  leaderInTerm(id: number, t: number): void {
    const other = this.leaderOfTerm.get(t);
    if (other === undefined) this.leaderOfTerm.set(t, id);
    else if (other !== id) this.fail('one-leader-per-term', `nodes ${other} and ${id} were both leader in term ${t}`);
  }

  /**
   * A crash: what survived replaces what was written. Only an unsynced commit index may be lost;
   * the term and vote were written with mustSync, so they must have survived.
   */
  crashed(node: number, survived: HardState): void {
    const w = this.writtenOf(node);
    if (survived.term !== w.term || survived.vote !== w.vote) this.fail('persist-contract', `node ${node} lost term/vote ${w.term}/${w.vote} in a crash (survived ${survived.term}/${survived.vote}): written without mustSync`);
    w.commit = survived.commit;
  }

  /** A restart: commit may restart from the durable value, but not below it. */
  restarted(s: Status): void {
    const floor = this.writtenOf(s.id).commit;
    if (s.commit < floor) this.fail('commit-regressed', `node ${s.id} restarted with commit ${s.commit} below its durable commit ${floor}`);
    this.memCommit.set(s.id, s.commit);
    this.status(s);
  }

  // ---- persistence ----------------------------------------------------------------------------

  /** Checks one Ready's durable write against everything known, then applies it to `log`. */
  persist(node: number, log: StableLog, batch: PersistBatchView): void {
    if (!batch.mustSync) this.unsyncedWrite(node, batch);
    if (batch.snapshot !== undefined) this.installSnapshot(node, log, batch.snapshot);
    if (batch.entries.length > 0) this.appendEntries(node, log, batch.entries);
    if (batch.hardState !== undefined) this.hardState(node, log, batch.hardState);
  }

  /** Without sync, a write may only move the commit index: anything else could be lost. */
  private unsyncedWrite(node: number, batch: PersistBatchView): void {
    const w = this.writtenOf(node);
    const hs = batch.hardState;
    const what = batch.snapshot !== undefined ? 'a snapshot' : batch.entries.length > 0 ? 'entries' : hs !== undefined && (hs.term !== w.term || hs.vote !== w.vote) ? `term/vote ${hs.term}/${hs.vote}` : undefined;
    if (what !== undefined) this.fail('persist-contract', `node ${node} was told to write ${what} without sync (mustSync false)`);
  }

  private installSnapshot(node: number, log: StableLog, snap: Snapshot): void {
    const { index, term } = snap.meta;
    const d = this.writtenOf(node);
    if (index < d.commit) this.fail('committed-entry-changed', `node ${node} installed snapshot ${index}/t${term} below its commit ${d.commit}, discarding committed entries`);
    const c = this.committedAt[index];
    if (c !== undefined && c.term !== term) this.fail('committed-entry-changed', `node ${node} installed snapshot ${index}/t${term} but the committed entry there is ${describeEntry(c)}`);
    log.install(snap.meta);
  }

  private appendEntries(node: number, log: StableLog, entries: readonly Entry[]): void {
    const first = (entries[0] as Entry).index;
    const oldLast = log.lastIndex();
    if (first <= log.snapIndex || first > oldLast + 1) this.fail('persist-contract', `node ${node} persisted entries from ${first} but its stable log spans (${log.snapIndex}, ${oldLast}]`);
    let prevTerm = log.term(first - 1) as number;
    let expected = first;
    for (const e of entries) {
      if (e.index !== expected++) this.fail('persist-contract', `node ${node} persisted non-contiguous entries: ${describeEntry(e)} where ${expected - 1} was due`);
      // Terms only grow along a log; a dip means an entry was spliced in from a stale leader.
      if (e.term < prevTerm) this.fail('log-matching', `node ${node} persisted ${describeEntry(e)} after an entry of term ${prevTerm}`);
      this.matchSeen(node, e, prevTerm);
      this.overwrites(node, log.entry(e.index), e);
      prevTerm = e.term;
    }
    const newLast = first + entries.length - 1;
    const lostTo = Math.min(oldLast, this.committedMax);
    for (let i = newLast + 1; i <= lostTo; i++) {
      const c = this.committedAt[i];
      const old = log.entry(i);
      if (c !== undefined && old !== undefined && sameEntry(c, old)) this.fail('committed-entry-changed', `node ${node} truncated its log to ${newLast}, dropping committed entry ${describeEntry(c)}`);
    }
    log.append(entries);
  }

  private matchSeen(node: number, e: Entry, prevTerm: number): void {
    if (e.term >= TERM_KEY_SPAN) throw new Error(`term ${e.term} is beyond what the simulator's log-matching keys hold`);
    const key = e.index * TERM_KEY_SPAN + e.term;
    const s = this.seen.get(key);
    if (s === undefined) {
      this.seen.set(key, { entry: e, prevTerm, node });
      return;
    }
    if (!sameEntry(s.entry, e)) this.fail('log-matching', `at ${e.index}/t${e.term} node ${s.node} has ${describeEntry(s.entry)} but node ${node} has ${describeEntry(e)}`);
    if (s.prevTerm !== prevTerm) this.fail('log-matching', `${e.index}/t${e.term} follows term ${s.prevTerm} on node ${s.node} but term ${prevTerm} on node ${node}`);
  }

  /**
   * A node replacing its copy of a committed entry. (A node that never had the committed entry may
   * hold anything there: a lagging node, or a stale leader appending to its own log.)
   */
  private overwrites(node: number, old: Entry | undefined, e: Entry): void {
    const c = this.committedAt[e.index];
    if (c !== undefined && old !== undefined && sameEntry(c, old) && !sameEntry(c, e)) this.fail('committed-entry-changed', `node ${node} overwrote committed ${describeEntry(c)} with ${describeEntry(e)}`);
  }

  private hardState(node: number, log: StableLog, hs: HardState): void {
    const d = this.writtenOf(node);
    if (hs.term < d.term) this.fail('durable-state-regressed', `node ${node} persisted term ${hs.term} after term ${d.term}`);
    if (hs.term === d.term && d.vote !== 0 && hs.vote !== d.vote) this.fail('durable-state-regressed', `node ${node} changed its durable vote in term ${hs.term} from ${d.vote} to ${hs.vote}`);
    if (hs.commit < d.commit) this.fail('durable-state-regressed', `node ${node} persisted commit ${hs.commit} after commit ${d.commit}`);
    if (hs.commit > log.lastIndex()) this.fail('persist-contract', `node ${node} persisted commit ${hs.commit} beyond its stable log end ${log.lastIndex()}`);
    for (let i = Math.max(d.commit, log.snapIndex) + 1; i <= hs.commit; i++) this.committed(node, log.entry(i) as Entry);
    d.term = hs.term;
    d.vote = hs.vote;
    d.commit = hs.commit;
  }

  writtenCommit(node: number): number {
    return this.writtenOf(node).commit;
  }

  writtenTerm(node: number): number {
    return this.writtenOf(node).term;
  }

  private writtenOf(node: number): Written {
    let w = this.written.get(node);
    if (w === undefined) {
      w = { term: 0, vote: 0, commit: 0 };
      this.written.set(node, w);
    }
    return w;
  }

  /** Records `e` as committed, or checks it against what was committed there before. */
  committed(node: number, e: Entry): void {
    const c = this.committedAt[e.index];
    if (c === undefined) {
      this.committedAt[e.index] = e;
      if (e.index > this.committedMax) this.committedMax = e.index;
    } else if (!sameEntry(c, e)) {
      this.fail('committed-entry-changed', `node ${node} committed ${describeEntry(e)} but ${describeEntry(c)} was committed there before`);
    }
  }

  /** Local compaction must sit at a committed position. */
  compacted(node: number, log: StableLog, snap: Snapshot): void {
    const c = this.committedAt[snap.meta.index];
    if (snap.meta.index > 0 && c !== undefined && c.term !== snap.meta.term) this.fail('committed-entry-changed', `node ${node} compacted at ${snap.meta.index}/t${snap.meta.term} but committed there is ${describeEntry(c)}`);
    log.compact(snap.meta);
  }

  // ---- state machines ---------------------------------------------------------------------------

  /** A node appended `value` at position `pos` of its state machine. */
  appliedValue(node: number, pos: number, value: number): void {
    if (pos < this.canon.length) {
      if (this.canon[pos] !== value) this.fail('state-machine-divergence', `node ${node} applied value ${value} at position ${pos} where others applied ${this.canon[pos]}`);
    } else if (pos === this.canon.length) {
      this.canon.push(value);
    } else {
      this.fail('state-machine-divergence', `node ${node} applied value ${value} at position ${pos}, past the ${this.canon.length} values applied anywhere`);
    }
  }

  /** A node restored its state machine from a snapshot holding `values`. */
  restoredValues(node: number, values: readonly number[]): void {
    for (let pos = 0; pos < values.length; pos++) this.appliedValue(node, pos, values[pos] as number);
  }

  fail(invariant: SimViolation['invariant'], detail: string): never {
    throw new SimViolation(invariant, detail);
  }
}
