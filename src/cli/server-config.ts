// `flotilla server` flags and server.properties keys -> ServerConfig (src/server/config.ts).
//
// Flags are Kafka's config names in kebab case (`--node-id`, `--controller-quorum` for
// controller.quorum.voters, `--data-dir` for log.dirs); the file uses Kafka's dotted names. A flag
// overrides the file, the file overrides SERVER_DEFAULTS. Every problem is collected and reported
// at once (ConfigError), so an operator fixes a file in one pass. Unknown file keys are only
// warnings: real Kafka files carry many settings flotilla does not have.
import { parsePeers } from '../raft/peers.js';
import { type NodeId, nodeId } from '../raft/core/types.js';
import { CONTROLLER_LISTENER, INTERNAL_LISTENER, type Listener, type Role, SERVER_DEFAULTS, type ServerConfig } from '../server/config.js';
import { parseProperties } from './properties.js';

const PORT_MAX = 65_535;
const INT32_MAX = 2_147_483_647;
/** Kafka's replication factor is an int16. */
const REPLICATION_FACTOR_MAX = 32_767;
const ROLES: readonly Role[] = ['broker', 'controller'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid server configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface ParsedServerConfig {
  readonly config: ServerConfig;
  /** Ignored file keys and overridden duplicates: worth logging, not worth refusing to start. */
  readonly warnings: readonly string[];
}

/** One setting: its flag (without dashes) and its server.properties key(s). */
interface Setting {
  readonly flag: string;
  readonly keys: readonly string[];
}

const setting = (flag: string, ...keys: string[]): Setting => ({ flag, keys });

/** The settings; `SETTINGS.x.flag` are also the yargs options of `flotilla server`. */
export const SETTINGS = {
  nodeId: setting('node-id', 'node.id'),
  roles: setting('roles', 'process.roles'),
  controllerQuorum: setting('controller-quorum', 'controller.quorum.voters'),
  listeners: setting('listeners', 'listeners'),
  advertisedListeners: setting('advertised-listeners', 'advertised.listeners'),
  dataDir: setting('data-dir', 'log.dirs', 'log.dir', 'metadata.log.dir'),
  rack: setting('rack', 'broker.rack'),
  brokerHeartbeatIntervalMs: setting('broker-heartbeat-interval-ms', 'broker.heartbeat.interval.ms'),
  brokerSessionTimeoutMs: setting('broker-session-timeout-ms', 'broker.session.timeout.ms'),
  metadataSnapshotBytesMax: setting('metadata-log-max-record-bytes-between-snapshots', 'metadata.log.max.record.bytes.between.snapshots'),
  metadataSnapshotRecordsMax: setting('metadata-snapshot-max-records', 'metadata.snapshot.max.records'),
  defaultPartitions: setting('num-partitions', 'num.partitions'),
  defaultReplicationFactor: setting('default-replication-factor', 'default.replication.factor'),
  autoLeaderRebalance: setting('auto-leader-rebalance-enable', 'auto.leader.rebalance.enable'),
  leaderImbalanceCheckIntervalSeconds: setting('leader-imbalance-check-interval-seconds', 'leader.imbalance.check.interval.seconds'),
  electionTimeoutMs: setting('controller-quorum-election-timeout-ms', 'controller.quorum.election.timeout.ms'),
  raftTickMs: setting('raft-tick-ms', 'raft.tick.ms'),
  replicaLagTimeMsMax: setting('replica-lag-time-max-ms', 'replica.lag.time.max.ms'),
  replicaFetchWaitMsMax: setting('replica-fetch-wait-max-ms', 'replica.fetch.wait.max.ms'),
  fsync: setting('fsync', 'flotilla.fsync'),
  autoCreateTopics: setting('auto-create-topics-enable', 'auto.create.topics.enable'),
  segmentFilesOpenMax: setting('max-open-segment-files', 'flotilla.max.open.segment.files'),
} as const;

type SettingName = keyof typeof SETTINGS;

/** Kafka keys flotilla reads only to check that they agree with its fixed choices. */
const CONTROLLER_LISTENER_NAMES_KEY = 'controller.listener.names';

/** Flag values as yargs hands them over (kebab-case keys; other keys are ignored). */
export type ServerFlags = Readonly<Record<string, unknown>>;

/** A raw value and where it came from, for messages: `--node-id` or `node.id (line 3)`. */
interface Raw {
  readonly text: string;
  readonly label: string;
}

export function parseServerConfig(flags: ServerFlags, propertiesText?: string): ParsedServerConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const file = propertiesText === undefined ? new Map<string, Raw>() : readFile(propertiesText, problems, warnings);
  const raw = (name: SettingName): Raw | undefined => fromFlag(flags, SETTINGS[name].flag, problems) ?? fromFile(file, name, problems);
  const config = build(raw, problems);
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return { config, warnings };
}

function fromFlag(flags: ServerFlags, flag: string, problems: string[]): Raw | undefined {
  const value = flags[flag];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    problems.push(`--${flag} is given ${value.length} times; give it once`);
    return undefined;
  }
  return { text: String(value).trim(), label: `--${flag}` };
}

function fromFile(file: ReadonlyMap<string, Raw>, name: SettingName, problems: string[]): Raw | undefined {
  const found = SETTINGS[name].keys.flatMap((key) => file.get(key) ?? []);
  const first = found[0];
  if (first && found.some((r) => r.text !== first.text)) {
    problems.push(`${found.map((r) => `${r.label} "${r.text}"`).join(' and ')} differ: flotilla keeps the metadata log inside the one data directory`);
  }
  return first;
}

/** The file's known keys (later duplicates win, as in java.util.Properties); unknown keys warn. */
function readFile(text: string, problems: string[], warnings: string[]): Map<string, Raw> {
  const known = new Set<string>(Object.values(SETTINGS).flatMap((s) => s.keys));
  const file = new Map<string, Raw>();
  for (const entry of parseProperties(text)) {
    const label = `${entry.key} (line ${entry.line})`;
    if (entry.key === CONTROLLER_LISTENER_NAMES_KEY) {
      if (entry.value.toUpperCase() !== CONTROLLER_LISTENER) problems.push(`${label}: flotilla's controller listener is named ${CONTROLLER_LISTENER}, got "${entry.value}"`);
      continue;
    }
    if (!known.has(entry.key)) {
      warnings.push(`server.properties line ${entry.line}: ${entry.key} is not a flotilla setting; ignored`);
      continue;
    }
    const earlier = file.get(entry.key);
    if (earlier) warnings.push(`server.properties line ${entry.line}: ${entry.key} is set again (first at ${earlier.label}); the later value wins`);
    file.set(entry.key, { text: entry.value, label });
  }
  return file;
}

type RawOf = (name: SettingName) => Raw | undefined;

function build(raw: RawOf, problems: string[]): ServerConfig | undefined {
  const required = (name: SettingName): Raw | undefined => {
    const r = raw(name);
    if (r === undefined || r.text === '') problems.push(`--${SETTINGS[name].flag} (${SETTINGS[name].keys[0]}) is required`);
    return r?.text === '' ? undefined : r;
  };
  const idRaw = required('nodeId');
  const id = idRaw && parseInteger(idRaw, 1, INT32_MAX, problems);
  const rolesRaw = required('roles');
  const roles = rolesRaw && parseRoles(rolesRaw, problems);
  const quorumRaw = required('controllerQuorum');
  const quorum = quorumRaw && parseQuorum(quorumRaw, problems);
  const listenersRaw = required('listeners');
  const listeners = listenersRaw && parseListeners(listenersRaw, problems);
  const advertisedRaw = raw('advertisedListeners');
  const advertised = advertisedRaw && parseListeners(advertisedRaw, problems);
  const dataDir = parseDataDir(required('dataDir'), problems);
  const timing = parseTiming(raw, problems);
  if (id === undefined || roles === undefined || quorum === undefined || listeners === undefined || dataDir === undefined || timing === undefined) return undefined;
  if (advertisedRaw && advertised === undefined) return undefined;
  const node = nodeId(id);
  checkRoles(node, roles, quorum, listeners, problems);
  const advertisedListeners = advertisedRaw && advertised ? checkAdvertised(advertisedRaw.label, advertised, listeners, problems) : listeners.filter(isClientListener);
  return { nodeId: node, roles, controllerQuorum: quorum, listeners, advertisedListeners, dataDir, rack: parseRack(raw('rack'), problems), ...timing };
}

type Timing = Omit<ServerConfig, 'nodeId' | 'roles' | 'controllerQuorum' | 'listeners' | 'advertisedListeners' | 'dataDir' | 'rack'>;

function parseTiming(raw: RawOf, problems: string[]): Timing | undefined {
  const int = (name: SettingName, fallback: number, min = 1, max = INT32_MAX): number | undefined => {
    const r = raw(name);
    return r === undefined ? fallback : parseInteger(r, min, max, problems);
  };
  const timing = {
    brokerHeartbeatIntervalMs: int('brokerHeartbeatIntervalMs', SERVER_DEFAULTS.brokerHeartbeatIntervalMs),
    brokerSessionTimeoutMs: int('brokerSessionTimeoutMs', SERVER_DEFAULTS.brokerSessionTimeoutMs),
    metadataSnapshotBytesMax: int('metadataSnapshotBytesMax', SERVER_DEFAULTS.metadataSnapshotBytesMax, 1, Number.MAX_SAFE_INTEGER),
    metadataSnapshotRecordsMax: int('metadataSnapshotRecordsMax', SERVER_DEFAULTS.metadataSnapshotRecordsMax),
    defaultPartitions: int('defaultPartitions', SERVER_DEFAULTS.defaultPartitions),
    defaultReplicationFactor: int('defaultReplicationFactor', SERVER_DEFAULTS.defaultReplicationFactor, 1, REPLICATION_FACTOR_MAX),
    autoLeaderRebalance: parseBoolean(raw('autoLeaderRebalance'), SERVER_DEFAULTS.autoLeaderRebalance, problems),
    leaderImbalanceCheckIntervalMs: secondsToMs(int('leaderImbalanceCheckIntervalSeconds', SERVER_DEFAULTS.leaderImbalanceCheckIntervalMs / 1000)),
    electionTimeoutMs: int('electionTimeoutMs', SERVER_DEFAULTS.electionTimeoutMs),
    raftTickMs: int('raftTickMs', SERVER_DEFAULTS.raftTickMs),
    replicaLagTimeMsMax: int('replicaLagTimeMsMax', SERVER_DEFAULTS.replicaLagTimeMsMax),
    replicaFetchWaitMsMax: int('replicaFetchWaitMsMax', SERVER_DEFAULTS.replicaFetchWaitMsMax, 0),
    fsync: parseFsync(raw('fsync'), problems),
    autoCreateTopics: parseBoolean(raw('autoCreateTopics'), SERVER_DEFAULTS.autoCreateTopics, problems),
    segmentFilesOpenMax: int('segmentFilesOpenMax', SERVER_DEFAULTS.segmentFilesOpenMax),
  };
  if (Object.values(timing).some((v) => v === undefined)) return undefined;
  const t = timing as Timing;
  lessThan(raw, ['brokerHeartbeatIntervalMs', t.brokerHeartbeatIntervalMs], ['brokerSessionTimeoutMs', t.brokerSessionTimeoutMs], problems);
  lessThan(raw, ['raftTickMs', t.raftTickMs], ['electionTimeoutMs', t.electionTimeoutMs], problems);
  lessThan(raw, ['replicaFetchWaitMsMax', t.replicaFetchWaitMsMax], ['replicaLagTimeMsMax', t.replicaLagTimeMsMax], problems);
  return t;
}

function parseFsync(r: Raw | undefined, problems: string[]): 'always' | 'never' | undefined {
  if (r === undefined) return SERVER_DEFAULTS.fsync;
  const text = r.text.toLowerCase();
  if (text === 'always' || text === 'never') return text;
  problems.push(`${r.label}: expected always or never, got "${r.text}"`);
  return undefined;
}

const secondsToMs = (s: number | undefined): number | undefined => (s === undefined ? undefined : s * 1000);

/** A heartbeat must fit in a session, a raft tick in an election timeout, or the node cannot work. */
function lessThan(raw: RawOf, [a, av]: [SettingName, number], [b, bv]: [SettingName, number], problems: string[]): void {
  if (av >= bv) problems.push(`${describe(raw, a, av)} must be less than ${describe(raw, b, bv)}`);
}

function describe(raw: RawOf, name: SettingName, value: number): string {
  const r = raw(name);
  return r ? `${r.label} (${value})` : `--${SETTINGS[name].flag} (${value}, the default)`;
}

function parseInteger(r: Raw, min: number, max: number, problems: string[]): number | undefined {
  const n = /^-?\d+$/.test(r.text) ? Number(r.text) : NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  problems.push(`${r.label}: expected an integer from ${min} to ${max}, got "${r.text}"`);
  return undefined;
}

function parseBoolean(r: Raw | undefined, fallback: boolean, problems: string[]): boolean | undefined {
  if (r === undefined) return fallback;
  const text = r.text.toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  problems.push(`${r.label}: expected true or false, got "${r.text}"`);
  return undefined;
}

function parseRack(r: Raw | undefined, problems: string[]): string | null {
  if (r === undefined) return SERVER_DEFAULTS.rack;
  if (r.text === '') problems.push(`${r.label}: the rack is empty; omit it instead`);
  return r.text;
}

function parseRoles(r: Raw, problems: string[]): Set<Role> | undefined {
  const roles = new Set<Role>();
  let ok = true;
  for (const part of r.text.split(',').map((s) => s.trim())) {
    const role = ROLES.find((x) => x === part);
    if (role === undefined) {
      problems.push(`${r.label}: unknown role "${part}" (expected broker, controller, or broker,controller)`);
      ok = false;
    } else if (roles.has(role)) {
      problems.push(`${r.label}: role ${role} is given twice`);
      ok = false;
    } else {
      roles.add(role);
    }
  }
  return ok ? roles : undefined;
}

function parseQuorum(r: Raw, problems: string[]): Map<NodeId, string> | undefined {
  try {
    const quorum = parsePeers(r.text);
    const tooBig = [...quorum.keys()].filter((id) => id > INT32_MAX);
    if (tooBig.length === 0) return quorum;
    problems.push(`${r.label}: node id ${tooBig[0]} is larger than ${INT32_MAX}`);
  } catch (error) {
    problems.push(`${r.label}: ${(error as Error).message}`);
  }
  return undefined;
}

function parseDataDir(r: Raw | undefined, problems: string[]): string | undefined {
  if (r === undefined) return undefined;
  const dirs = r.text.split(',').map((s) => s.trim());
  if (dirs.length === 1) return dirs[0];
  problems.push(`${r.label}: flotilla keeps one data directory per node, got ${dirs.length}`);
  return undefined;
}

const LISTENER_RE = /^([A-Za-z_][A-Za-z0-9_]*):\/\/([^:/\s]+):(\d+)$/;

/** `NAME://HOST:PORT,...` as Kafka's listeners; names are case-insensitive (kept upper case). */
export function parseListeners(r: Raw, problems: string[]): Listener[] | undefined {
  const listeners: Listener[] = [];
  const before = problems.length;
  for (const part of r.text.split(',').map((s) => s.trim())) {
    const match = LISTENER_RE.exec(part);
    if (!match?.[1] || !match[2] || !match[3]) {
      problems.push(`${r.label}: invalid listener "${part}": expected NAME://HOST:PORT, e.g. PLAINTEXT://127.0.0.1:9092`);
      continue;
    }
    const listener = { name: match[1].toUpperCase(), host: match[2], port: Number(match[3]) };
    if (listener.port > PORT_MAX) problems.push(`${r.label}: invalid listener "${part}": port ${listener.port} is out of range 0..${PORT_MAX}`);
    else if (listeners.some((l) => l.name === listener.name)) problems.push(`${r.label}: listener name ${listener.name} is given twice`);
    else checkSameAddress(r.label, listener, listeners, problems);
    listeners.push(listener);
  }
  return problems.length === before ? listeners : undefined;
}

function checkSameAddress(label: string, listener: Listener, others: readonly Listener[], problems: string[]): void {
  const clash = others.find((l) => l.port !== 0 && l.port === listener.port && l.host === listener.host);
  if (clash) problems.push(`${label}: ${clash.name} and ${listener.name} both use ${listener.host}:${listener.port}`);
}

function isClientListener(l: Listener): boolean {
  return l.name !== CONTROLLER_LISTENER && l.name !== INTERNAL_LISTENER;
}

/** The rules of config.ts: which gRPC listener each kind of node has, and where clients connect. */
function checkRoles(id: NodeId, roles: ReadonlySet<Role>, quorum: ReadonlyMap<NodeId, string>, listeners: readonly Listener[], problems: string[]): void {
  const byName = new Map(listeners.map((l) => [l.name, l]));
  const voters = [...quorum.keys()].join(',');
  if (roles.has('controller')) {
    const entry = quorum.get(id);
    const controller = byName.get(CONTROLLER_LISTENER);
    if (entry === undefined) problems.push(`node ${id} has the controller role but is not in --controller-quorum (voters ${voters})`);
    if (controller === undefined) problems.push(`a controller needs a ${CONTROLLER_LISTENER} listener${entry ? ` at its --controller-quorum address ${entry}` : ''}`);
    else if (entry !== undefined && `${controller.host}:${controller.port}` !== entry) {
      problems.push(`the ${CONTROLLER_LISTENER} listener ${controller.host}:${controller.port} differs from node ${id}'s --controller-quorum entry ${entry}`);
    }
    if (byName.has(INTERNAL_LISTENER)) problems.push(`a controller serves node-to-node traffic on its ${CONTROLLER_LISTENER} listener; ${INTERNAL_LISTENER} is for broker-only nodes`);
  } else {
    if (quorum.has(id)) problems.push(`node ${id} is in --controller-quorum but has no controller role (--roles ${[...roles].join(',')})`);
    if (byName.has(CONTROLLER_LISTENER)) problems.push(`a broker-only node has no ${CONTROLLER_LISTENER} listener`);
    if (!byName.has(INTERNAL_LISTENER)) problems.push(`a broker-only node needs an ${INTERNAL_LISTENER} listener for node-to-node gRPC, e.g. ${INTERNAL_LISTENER}://127.0.0.1:0`);
  }
  const clients = listeners.filter(isClientListener);
  if (roles.has('broker') && clients.length === 0) problems.push(`a broker needs a Kafka listener besides ${CONTROLLER_LISTENER} and ${INTERNAL_LISTENER}, e.g. PLAINTEXT://127.0.0.1:9092`);
  if (!roles.has('broker') && clients.length > 0) problems.push(`a controller-only node serves no Kafka clients; remove listener ${clients.map((l) => l.name).join(', ')}`);
}

/** Advertised listeners name client listeners, with an address a client can dial. */
function checkAdvertised(label: string, advertised: readonly Listener[], listeners: readonly Listener[], problems: string[]): Listener[] {
  const names = listeners.filter(isClientListener).map((l) => l.name);
  for (const a of advertised) {
    const where = `${label}: ${a.name}`;
    if (!isClientListener(a)) problems.push(`${where} is a node-to-node listener; only Kafka listeners are advertised`);
    else if (!names.includes(a.name)) problems.push(`${where} is not one of the Kafka listeners (${names.join(', ') || 'none'})`);
    if (a.port === 0) problems.push(`${where} advertises port 0; advertise the port clients connect to`);
    if (a.host === '0.0.0.0') problems.push(`${where} advertises the non-routable address 0.0.0.0`);
  }
  return [...advertised];
}
