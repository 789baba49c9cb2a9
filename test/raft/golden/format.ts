// Text forms of the Raft core's values for golden scripts. Positions are written term/index, as
// etcd's raft does: `2/5` is the entry at index 5 written in term 2. Every line is deterministic.
import { decodeConfChange } from '../../../src/raft/core/conf-change.js';
import { type ConfState, type Entry, EntryType, type HardState, type Message, type PeerStatus, type Ready, type Refusal, type Snapshot, type SnapshotMeta, type Status } from '../../../src/raft/core/types.js';

const text = new TextDecoder();

export const ids = (list: readonly number[]): string => `(${list.join(',')})`;

export const formatConf = (conf: ConfState): string => `voters=${ids(conf.voters)} learners=${ids(conf.learners)}`;

export function formatEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} EntryConfChange ${cc.kind} ${cc.node}`;
  }
  return `${e.term}/${e.index} EntryNormal ${JSON.stringify(text.decode(e.data))}`;
}

const formatMeta = (meta: SnapshotMeta): string => `snap=${meta.term}/${meta.index} ${formatConf(meta.conf)}`;

export function formatSnapshot(s: Snapshot): string {
  return `${formatMeta(s.meta)} data=${JSON.stringify(text.decode(s.data))}`;
}

export function formatMessage(m: Message): string {
  return `${m.from}->${m.to} ${m.type} term=${m.term}${messageBody(m)}`;
}

function messageBody(m: Message): string {
  switch (m.type) {
    case 'prevote':
    case 'vote':
      return ` last=${m.lastTerm}/${m.lastIndex}${m.transfer ? ' transfer' : ''}`;
    case 'prevote-resp':
    case 'vote-resp':
      return m.reject ? ' rejected' : ' ok';
    case 'append': {
      const entries = m.entries.length > 0 ? ` entries=[${m.entries.map(formatEntry).join(', ')}]` : '';
      return ` prev=${m.prevTerm}/${m.prevIndex} commit=${m.commit}${entries}`;
    }
    case 'append-resp':
      return m.reject ? ` rejected index=${m.index} hint=${m.hintTerm}/${m.hintIndex}` : ` index=${m.index}`;
    case 'heartbeat':
      return ` commit=${m.commit}${m.readRound > 0 ? ` read=${m.readRound}` : ''}`;
    case 'heartbeat-resp':
      return m.readRound > 0 ? ` read=${m.readRound}` : '';
    case 'snapshot':
      return ` ${formatMeta(m.meta)} bytes=${m.offset}-${m.offset + m.data.length}/${m.totalBytes}${m.done ? ' done' : ''}`;
    case 'snapshot-resp':
      return ` index=${m.index} next=${m.nextOffset}${m.done ? ' done' : ''}`;
    case 'timeout-now':
      return '';
  }
}

export const formatHardState = (hs: HardState): string => `term=${hs.term} vote=${hs.vote} commit=${hs.commit}`;

/** The Ready as indented lines, empty sections left out; `note` may annotate a message (e.g. dropped). */
export function formatReady(rd: Ready, note: (m: Message) => string = () => ''): string[] {
  const out: string[] = [];
  if (rd.softState) out.push(`SoftState role=${rd.softState.role} leader=${rd.softState.leader}`);
  if (rd.hardState) out.push(`HardState ${formatHardState(rd.hardState)}`);
  if (rd.snapshot) out.push(`Snapshot ${formatSnapshot(rd.snapshot)}`);
  section(out, 'Entries', rd.entries.map(formatEntry));
  section(out, 'CommittedEntries', rd.committedEntries.map(formatEntry));
  section(out, 'ReadStates', rd.readStates.map((r) => `index=${r.index} ctx=${JSON.stringify(r.ctx)}`));
  section(out, 'Messages', rd.messages.map((m) => `${formatMessage(m)}${note(m)}`));
  return out;
}

function section(out: string[], title: string, lines: readonly string[]): void {
  if (lines.length === 0) return;
  out.push(`${title}:`, ...lines.map((l) => `  ${l}`));
}

export function formatRefusal(r: Refusal): string {
  switch (r.code) {
    case 'not-leader':
    case 'transferring':
      return `refused: ${r.code} (leader ${r.leader})`;
    case 'invalid-conf-change':
    case 'invalid-transfer':
      return `refused: ${r.code} (${r.reason})`;
    default:
      return `refused: ${r.code}`;
  }
}

export function formatPeer(p: PeerStatus): string {
  const flags = [p.learner ? 'learner' : 'voter', p.recentActive ? 'active' : 'inactive'];
  return `${p.id}: match=${p.match} next=${p.next} ${p.state} inflight=${p.inflight} ${flags.join(' ')}`;
}

export function formatStatus(s: Status): string[] {
  const out = [
    `${s.id}: ${s.role} term=${s.term} vote=${s.vote} leader=${s.leader}`,
    `commit=${s.commit} applied=${s.applied} last=${s.lastIndex} snapshot=${s.snapshotIndex}`,
    formatConf(s.conf),
  ];
  if (s.leadTransferee !== 0) out.push(`transferring to ${s.leadTransferee}`);
  if (s.peers.length > 0) out.push('peers:', ...s.peers.map((p) => `  ${formatPeer(p)}`));
  return out;
}
