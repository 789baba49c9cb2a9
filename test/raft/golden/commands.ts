// The golden-script interpreter: one handler per command, each returning its output lines.
// The language (see test/raft/testdata/*.txt for examples; positions print as term/index):
//
//   add-nodes N [voters=(..)] [learners=(..)] [seed=S] [<RaftConfig field>=V ...]
//   add-node ID [voters=(..)] [learners=(..)] [...]   a new node; its initial conf defaults to the
//                                                      bootstrap conf of add-nodes
//   campaign ID | propose ID DATA... | propose-conf-change ID add-voter|add-learner|remove NODE
//   read-index ID CTX | transfer-leadership from=ID to=ID | compact ID INDEX
//   tick ID [N] | tick-all [N] [until=change] | tick-heartbeat ID | tick-election ID
//   process-ready [ID...] | deliver-msgs [ID...] [drop=(..)] [from=(..)] [type=(..)] | stabilize [ID...]
//   partition 1 | 2 3 (unlisted nodes form one more group) | heal | crash ID | restart ID
//   raft-state | raft-log ID | status ID | app-state ID
//
// State changes (role, term, leader, membership, leader transfer) print the moment they happen.
// tick-election ticks a leader electionTicks times (one CheckQuorum period) and anyone else
// 2*electionTicks-1 times (past any randomized timeout, but not past two). A line starting with
// VIOLATION means the core broke a Raft safety property (two leaders in a term, two different
// entries applied at one index, committed entries out of order); no expected output may hold one.
import { type ConfChange, type LogIndex, type ProposeResult, type RaftConfig, type RequestResult, defaultRaftConfig, logIndex, nodeId } from '../../../src/raft/core/types.js';
import { Cluster, PartialOutputError, appValues } from './cluster.js';
import { type Command } from './datadriven.js';
import { formatConf, formatEntry, formatRefusal, formatSnapshot, formatStatus } from './format.js';

type Handler = (c: Cluster, cmd: Command) => string[];

const text = new TextEncoder();

function int(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n)) throw new Error(`${what} must be an integer, got ${value ?? 'nothing'}`);
  return n;
}

const arg = (cmd: Command, i: number, what: string): number => int(cmd.positional[i], what);

function keyedInt(cmd: Command, key: string): number | undefined {
  const v = cmd.keyed.get(key);
  return v === undefined ? undefined : int(v[0], key);
}

function required(cmd: Command, key: string): number {
  const v = keyedInt(cmd, key);
  if (v === undefined) throw new Error(`${cmd.name} needs ${key}=`);
  return v;
}

const idSet = (values: readonly string[] | undefined): Set<number> | undefined => (values ? new Set(values.map((v) => int(v, 'node id'))) : undefined);

const positionalIds = (cmd: Command): number[] => cmd.positional.map((p) => int(p, 'node id'));

const NOT_CONFIG = new Set(['voters', 'learners', 'seed']);

/** RaftConfig overrides from keyed args, matched case-insensitively to the field names. */
function configFor(id: number, cmd: Command): RaftConfig {
  const config: Record<string, unknown> = { ...defaultRaftConfig(nodeId(id)) };
  const fields = new Map(Object.keys(config).map((k) => [k.toLowerCase(), k]));
  for (const [key, values] of cmd.keyed) {
    if (NOT_CONFIG.has(key)) continue;
    const field = fields.get(key.toLowerCase());
    if (!field || field === 'id') throw new Error(`unknown option ${key}`);
    const value = values[0] ?? '';
    config[field] = typeof config[field] === 'boolean' ? value === 'true' : int(value, key);
  }
  return config as unknown as RaftConfig;
}

const seedFor = (cmd: Command, id: number): number => (keyedInt(cmd, 'seed') ?? 0) * 1000 + id;

function addNodes(c: Cluster, cmd: Command): string[] {
  const count = arg(cmd, 0, 'node count');
  const first = Math.max(0, ...c.nodes.keys()) + 1;
  const created = Array.from({ length: count }, (_, i) => first + i);
  const learners = [...(idSet(cmd.keyed.get('learners')) ?? [])];
  const voters = [...(idSet(cmd.keyed.get('voters')) ?? created.filter((id) => !learners.includes(id)))];
  c.bootstrap = { voters: voters.map(nodeId), learners: learners.map(nodeId) };
  return created.flatMap((id) => c.addNode(configFor(id, cmd), c.bootstrap, seedFor(cmd, id)));
}

function addNode(c: Cluster, cmd: Command): string[] {
  const id = arg(cmd, 0, 'node id');
  const voters = idSet(cmd.keyed.get('voters'));
  const learners = idSet(cmd.keyed.get('learners'));
  const conf = voters || learners ? { voters: [...(voters ?? [])].map(nodeId), learners: [...(learners ?? [])].map(nodeId) } : c.bootstrap;
  return c.addNode(configFor(id, cmd), conf, seedFor(cmd, id));
}

function proposeResult(r: ProposeResult): string {
  return r.ok ? `ok term=${r.term} index=${r.firstIndex}` : formatRefusal(r.refusal);
}

const requestResult = (r: RequestResult): string => (r.ok ? 'ok' : formatRefusal(r.refusal));

/** Runs a request on a node: its result line, then whatever it changed. */
function request<T>(c: Cluster, id: number, op: (raw: ReturnType<Cluster['raw']>) => T, show: (r: T) => string): string[] {
  const { result, changes } = c.act(id, op);
  return [show(result), ...changes];
}

function propose(c: Cluster, cmd: Command): string[] {
  const data = cmd.positional.slice(1).map((d) => text.encode(d));
  return request(c, arg(cmd, 0, 'node id'), (raw) => raw.propose(data), proposeResult);
}

const CONF_KINDS: readonly ConfChange['kind'][] = ['add-voter', 'add-learner', 'remove'];

function proposeConfChange(c: Cluster, cmd: Command): string[] {
  const kind = CONF_KINDS.find((k) => k === cmd.positional[1]);
  if (!kind) throw new Error(`conf change kind must be one of ${CONF_KINDS.join('|')}`);
  const cc: ConfChange = { kind, node: nodeId(arg(cmd, 2, 'node id')) };
  return request(c, arg(cmd, 0, 'node id'), (raw) => raw.proposeConfChange(cc), proposeResult);
}

function readIndex(c: Cluster, cmd: Command): string[] {
  const ctx = cmd.positional[1];
  if (ctx === undefined) throw new Error('read-index needs a ctx');
  return request(c, arg(cmd, 0, 'node id'), (raw) => raw.readIndex(ctx), requestResult);
}

function transferLeadership(c: Cluster, cmd: Command): string[] {
  const to = nodeId(required(cmd, 'to'));
  return request(c, required(cmd, 'from'), (raw) => raw.transferLeadership(to), requestResult);
}

function campaign(c: Cluster, cmd: Command): string[] {
  return c.act(arg(cmd, 0, 'node id'), (raw) => raw.campaign()).changes;
}

/**
 * Ticks every live node once per round, in id order, as a shared clock would. With until=change
 * it stops after the first round in which some node changed, so a script can catch the first
 * randomized timeout to expire without knowing its length.
 */
function tickAll(c: Cluster, cmd: Command): string[] {
  const rounds = cmd.positional[0] === undefined ? 1 : arg(cmd, 0, 'tick count');
  const untilChange = cmd.keyed.get('until')?.[0] === 'change';
  const out: string[] = [];
  for (let k = 1; k <= rounds; k++) {
    for (const id of c.sortedIds().filter((i) => c.node(i).up)) {
      out.push(...c.act(id, (raw) => raw.tick()).changes.map((l) => `tick ${k}: ${l}`));
    }
    if (untilChange && out.length > 0) break;
  }
  return out;
}

/**
 * Enough ticks for exactly one timeout: a leader's check-quorum period (electionTicks), or for
 * anyone else 2*electionTicks-1, which passes any randomized timeout in [e, 2e) but cannot pass
 * two of them.
 */
function tickElection(c: Cluster, cmd: Command): string[] {
  const id = arg(cmd, 0, 'node id');
  const e = c.node(id).config.electionTicks;
  return c.tick(id, c.raw(id).status().role === 'leader' ? e : 2 * e - 1);
}

function processReady(c: Cluster, cmd: Command): string[] {
  const chosen = positionalIds(cmd);
  const targets = chosen.length > 0 ? chosen : c.sortedIds().filter((id) => c.node(id).up);
  return targets.flatMap((id) => c.processReady(id));
}

function deliverMsgs(c: Cluster, cmd: Command): string[] {
  const chosen = positionalIds(cmd);
  const drop = idSet(cmd.keyed.get('drop'));
  // `deliver-msgs drop=3` only drops; with no ids and no drop, everything is delivered.
  const to = chosen.length > 0 ? new Set(chosen) : drop ? new Set<number>() : undefined;
  const types = cmd.keyed.get('type');
  return c.deliver({ to, drop, from: idSet(cmd.keyed.get('from')), types: types ? new Set(types) : undefined });
}

function stabilize(c: Cluster, cmd: Command): string[] {
  const chosen = positionalIds(cmd);
  return c.stabilize(chosen.length > 0 ? chosen : c.sortedIds());
}

function partition(c: Cluster, cmd: Command): string[] {
  const groups: number[][] = [[]];
  for (const word of cmd.positional) {
    if (word === '|') groups.push([]);
    else groups.at(-1)?.push(int(word, 'node id'));
  }
  return [c.setPartition(groups.filter((g) => g.length > 0))];
}

function heal(c: Cluster): string[] {
  c.partition = undefined;
  return ['healed'];
}

function raftState(c: Cluster): string[] {
  return c.sortedIds().map((id) => {
    const raw = c.node(id).raw;
    if (!raw) return `${id}: down`;
    const s = raw.status();
    const member = s.conf.voters.includes(s.id) ? 'voter' : s.conf.learners.includes(s.id) ? 'learner' : 'non-member';
    return `${id}: ${s.role} (${member}) term=${s.term} leader=${s.leader} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}`;
  });
}

/** The log as persisted in storage: what a crash would keep. */
function raftLog(c: Cluster, cmd: Command): string[] {
  const persisted = c.node(arg(cmd, 0, 'node id')).storage.loadSync();
  const meta = persisted.snapshot.meta;
  const head = meta.index > 0 ? [`snapshot ${meta.term}/${meta.index} ${formatConf(meta.conf)}`] : [];
  const out = [...head, ...persisted.entries.map(formatEntry)];
  return out.length > 0 ? out : ['empty log'];
}

function compact(c: Cluster, cmd: Command): string[] {
  const index: LogIndex = logIndex(arg(cmd, 1, 'index'));
  return [`Snapshot ${formatSnapshot(c.compact(arg(cmd, 0, 'node id'), index))}`];
}

function appState(c: Cluster, cmd: Command): string[] {
  const node = c.node(arg(cmd, 0, 'node id'));
  return [`applied=${node.appliedIndex} values=[${appValues(node).join(' ')}]`];
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['add-nodes', addNodes],
  ['add-node', addNode],
  ['campaign', campaign],
  ['propose', propose],
  ['propose-conf-change', proposeConfChange],
  ['read-index', readIndex],
  ['transfer-leadership', transferLeadership],
  ['tick', (c, cmd) => c.tick(arg(cmd, 0, 'node id'), cmd.positional[1] === undefined ? 1 : arg(cmd, 1, 'tick count'))],
  ['tick-all', tickAll],
  ['tick-heartbeat', (c, cmd) => c.tick(arg(cmd, 0, 'node id'), c.node(arg(cmd, 0, 'node id')).config.heartbeatTicks)],
  ['tick-election', tickElection],
  ['process-ready', processReady],
  ['deliver-msgs', deliverMsgs],
  ['stabilize', stabilize],
  ['partition', partition],
  ['heal', heal],
  ['crash', (c, cmd) => c.crash(arg(cmd, 0, 'node id'))],
  ['restart', (c, cmd) => c.restart(arg(cmd, 0, 'node id'))],
  ['compact', compact],
  ['raft-state', raftState],
  ['raft-log', raftLog],
  ['status', (c, cmd) => formatStatus(c.raw(arg(cmd, 0, 'node id')).status())],
  ['app-state', appState],
]);

/** Runs one command; its output, or "ok" when it printed nothing. Errors become output lines. */
export function runCommand(c: Cluster, cmd: Command): string {
  const handler = HANDLERS.get(cmd.name);
  if (!handler) return `error: unknown command ${cmd.name}`;
  try {
    const lines = handler(c, cmd);
    return lines.length > 0 ? lines.join('\n') : 'ok';
  } catch (err) {
    const before = err instanceof PartialOutputError ? err.lines : [];
    return [...before, `error: ${err instanceof Error ? err.message : String(err)}`].join('\n');
  }
}
