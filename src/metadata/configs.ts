// Topic configs, as Kafka's TopicConfig/LogConfig: each key's type, default, validator and meaning.
//
// A topic's effective value of a key is, in order: the topic's own value (a Config record on the
// topic), the cluster-wide dynamic default (a Config record on the broker resource '' under the
// broker key, e.g. log.retention.ms), then the built-in default below, as Kafka resolves them.
//
// Broker configs: only the dynamic defaults that back a topic config are accepted (BROKER_CONFIGS),
// on the cluster resource '' or on one broker's id; they are validated as the topic key they back.
// Everything else a broker is configured with (listeners, directories, ...) is static, set in its
// properties file, and refused here with INVALID_CONFIG. The controller itself reads only the
// cluster default ('') when it needs an effective value (min.insync.replicas, unclean election).
import { configValue, type MetadataImage } from './image.js';
import type { ConfigResourceType } from './records.js';
import { INT32_MAX } from './types.js';

export type ConfigType = 'int' | 'long' | 'boolean' | 'string' | 'list';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  readonly defaultValue: string;
  /** Why `value` is not acceptable, or undefined if it is. */
  readonly validate: (value: string) => string | undefined;
  readonly doc: string;
}

/** The resource name of the cluster-wide broker config defaults. */
export const CLUSTER_DEFAULT_RESOURCE = '';

const INT64_MAX = 2n ** 63n - 1n;
const LONG_MAX_TEXT = INT64_MAX.toString();
const INTEGER_TEXT = /^-?[0-9]+$/;

function integerIn(value: string, min: bigint, max: bigint): string | undefined {
  const text = value.trim();
  if (!INTEGER_TEXT.test(text)) return `${JSON.stringify(value)} is not an integer`;
  const n = BigInt(text);
  if (n < min) return `${text} is below the minimum ${min}`;
  if (n > max) return `${text} is above the maximum ${max}`;
  return undefined;
}

const longAtLeast = (min: number) => (v: string) => integerIn(v, BigInt(min), INT64_MAX);
const intAtLeast = (min: number) => (v: string) => integerIn(v, BigInt(min), BigInt(INT32_MAX));

/** Kafka parses booleans trimmed and case-insensitively. */
function parseBoolean(value: string): boolean | undefined {
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}
const isBoolean = (v: string) => (parseBoolean(v) === undefined ? `${JSON.stringify(v)} is neither true nor false` : undefined);

const oneOf = (allowed: readonly string[]) => (v: string) =>
  allowed.includes(v.trim()) ? undefined : `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`;

function listOf(allowed: readonly string[]): (v: string) => string | undefined {
  return (v) => {
    const items = v.split(',').map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === '')) return `${JSON.stringify(v)} is not a non-empty comma-separated list`;
    const bad = items.find((s) => !allowed.includes(s));
    if (bad !== undefined) return `${JSON.stringify(bad)} is not one of ${allowed.join(', ')}`;
    return new Set(items).size === items.length ? undefined : `${JSON.stringify(v)} lists a value twice`;
  };
}

const def = (name: string, type: ConfigType, defaultValue: string, validate: ConfigDef['validate'], doc: string): ConfigDef =>
  Object.freeze({ name, type, defaultValue, validate, doc });

const DEFS: readonly ConfigDef[] = [
  def('retention.ms', 'long', '604800000', longAtLeast(-1), 'How long a log segment is kept before it is deleted (cleanup.policy delete); -1 keeps it forever.'),
  def('retention.bytes', 'long', '-1', longAtLeast(-1), 'The size a partition log may grow to before old segments are deleted; -1 means no limit.'),
  def('segment.bytes', 'int', '1073741824', intAtLeast(14), 'The size of one log segment file; retention and compaction work a segment at a time.'),
  def('segment.ms', 'long', '604800000', longAtLeast(1), 'The time after which a segment is rolled even if not full, so retention can delete it.'),
  def('segment.jitter.ms', 'long', '0', longAtLeast(0), 'Random jitter subtracted from segment.ms so partitions do not roll all at once.'),
  def('segment.index.bytes', 'int', '10485760', intAtLeast(4), 'The size of the offset index of a segment.'),
  def('index.interval.bytes', 'int', '4096', intAtLeast(0), 'How many bytes of log go between two offset index entries.'),
  def('min.insync.replicas', 'int', '1', intAtLeast(1), 'With acks=all, the fewest in-sync replicas that must hold a write for it to succeed (else NOT_ENOUGH_REPLICAS).'),
  def('cleanup.policy', 'list', 'delete', listOf(['delete', 'compact']), 'What happens to old segments: delete them, compact them by key, or both.'),
  def('unclean.leader.election.enable', 'boolean', 'false', isBoolean, 'Whether a replica outside the ISR may become leader when no in-sync replica is alive, at the cost of losing data.'),
  def('max.message.bytes', 'int', '1048588', intAtLeast(0), 'The largest record batch the topic accepts, after compression.'),
  def('compression.type', 'string', 'producer', oneOf(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']), 'The codec the log stores batches in; producer keeps what the producer sent.'),
  def('message.timestamp.type', 'string', 'CreateTime', oneOf(['CreateTime', 'LogAppendTime']), 'Whether record timestamps are the producer\'s or the time the leader appends them.'),
  def('delete.retention.ms', 'long', '86400000', longAtLeast(0), 'How long delete tombstones are kept in a compacted topic.'),
  def('file.delete.delay.ms', 'long', '60000', longAtLeast(0), 'How long a deleted segment file waits before it is removed from disk.'),
  def('min.compaction.lag.ms', 'long', '0', longAtLeast(0), 'The least time a record stays uncompacted.'),
  def('max.compaction.lag.ms', 'long', LONG_MAX_TEXT, longAtLeast(1), 'The longest time a record may stay uncompacted.'),
  def('flush.messages', 'long', LONG_MAX_TEXT, longAtLeast(1), 'Force an fsync after this many records (replication is the durability mechanism, so off by default).'),
  def('flush.ms', 'long', LONG_MAX_TEXT, longAtLeast(0), 'Force an fsync after this much time.'),
  def('preallocate', 'boolean', 'false', isBoolean, 'Whether to preallocate a segment file when it is created.'),
];

export const TOPIC_CONFIGS: ReadonlyMap<string, ConfigDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Broker (dynamic default) key -> the topic key it is the default of, as Kafka's LogConfig synonyms. */
export const BROKER_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['log.retention.ms', 'retention.ms'],
  ['log.retention.bytes', 'retention.bytes'],
  ['log.segment.bytes', 'segment.bytes'],
  ['log.roll.ms', 'segment.ms'],
  ['log.roll.jitter.ms', 'segment.jitter.ms'],
  ['log.index.size.max.bytes', 'segment.index.bytes'],
  ['log.index.interval.bytes', 'index.interval.bytes'],
  ['min.insync.replicas', 'min.insync.replicas'],
  ['log.cleanup.policy', 'cleanup.policy'],
  ['unclean.leader.election.enable', 'unclean.leader.election.enable'],
  ['message.max.bytes', 'max.message.bytes'],
  ['compression.type', 'compression.type'],
  ['log.message.timestamp.type', 'message.timestamp.type'],
  ['log.cleaner.delete.retention.ms', 'delete.retention.ms'],
  ['log.segment.delete.delay.ms', 'file.delete.delay.ms'],
  ['log.cleaner.min.compaction.lag.ms', 'min.compaction.lag.ms'],
  ['log.cleaner.max.compaction.lag.ms', 'max.compaction.lag.ms'],
  ['log.flush.interval.messages', 'flush.messages'],
  ['log.flush.interval.ms', 'flush.ms'],
  ['log.preallocate', 'preallocate'],
]);

const BROKER_KEY_OF_TOPIC_KEY: ReadonlyMap<string, string> = new Map([...BROKER_CONFIGS].map(([broker, topic]) => [topic, broker]));

/** Why `value` is not valid for topic config `key`, or undefined if it is (an unknown key is invalid). */
export function validateTopicConfig(key: string, value: string): string | undefined {
  const d = TOPIC_CONFIGS.get(key);
  if (d === undefined) return `unknown topic config ${JSON.stringify(key)}`;
  const reason = d.validate(value);
  return reason === undefined ? undefined : `invalid value for ${key}: ${reason}`;
}

/** Why `value` is not valid for broker config `key`, or undefined if it is (only BROKER_CONFIGS are dynamic). */
export function validateBrokerConfig(key: string, value: string): string | undefined {
  const topicKey = BROKER_CONFIGS.get(key);
  if (topicKey === undefined) return `broker config ${JSON.stringify(key)} is not dynamically alterable`;
  const reason = TOPIC_CONFIGS.get(topicKey)?.validate(value);
  return reason === undefined ? undefined : `invalid value for ${key}: ${reason}`;
}

/** Why `key` is not a config this resource type accepts, or undefined if it is one. */
export function configKeyViolation(type: ConfigResourceType, key: string): string | undefined {
  if (type === 'topic') return TOPIC_CONFIGS.has(key) ? undefined : `unknown topic config ${JSON.stringify(key)}`;
  return BROKER_CONFIGS.has(key) ? undefined : `broker config ${JSON.stringify(key)} is not dynamically alterable`;
}

/** The effective value of topic config `key` for `topic`: its own, else the cluster default, else Kafka's default. */
export function topicConfigValue(image: MetadataImage, topic: string, key: string): string {
  const d = TOPIC_CONFIGS.get(key);
  // Callers name keys in code, so an unknown one is a bug, not bad input.
  if (d === undefined) throw new RangeError(`unknown topic config ${JSON.stringify(key)}`);
  const own = configValue(image, 'topic', topic, key);
  if (own !== undefined) return own;
  const brokerKey = BROKER_KEY_OF_TOPIC_KEY.get(key);
  const clusterDefault = brokerKey === undefined ? undefined : configValue(image, 'broker', CLUSTER_DEFAULT_RESOURCE, brokerKey);
  return clusterDefault ?? d.defaultValue;
}

/** A numeric config's effective value (longs past 2^53 lose precision, which only the "no limit" values reach). */
export function topicConfigNumber(image: MetadataImage, topic: string, key: string): number {
  return Number(topicConfigValue(image, topic, key).trim());
}

export function topicConfigBoolean(image: MetadataImage, topic: string, key: string): boolean {
  return parseBoolean(topicConfigValue(image, topic, key)) ?? false;
}

export function topicConfigList(image: MetadataImage, topic: string, key: string): string[] {
  return topicConfigValue(image, topic, key).split(',').map((s) => s.trim());
}

export const minInsyncReplicas = (image: MetadataImage, topic: string): number => topicConfigNumber(image, topic, 'min.insync.replicas');

export const uncleanLeaderElection = (image: MetadataImage, topic: string): boolean => topicConfigBoolean(image, topic, 'unclean.leader.election.enable');
