// Config entries as DescribeConfigs and CreateTopics (v5+) report them: each key's effective value,
// where it comes from, and the chain of synonyms behind it, resolved the way src/metadata/configs.ts
// resolves them for the data path, so what a client reads is what the cluster uses.
//
// A topic's value: its own (DYNAMIC_TOPIC_CONFIG), else the cluster-wide dynamic default of the
// broker key behind it (DYNAMIC_DEFAULT_BROKER_CONFIG), else the built-in default (DEFAULT_CONFIG,
// named by the broker key, as Kafka names it). Per-broker dynamic values are not part of a topic's
// chain here because the data path does not use them for topics.
//
// A broker's value of a dynamic key: its own (DYNAMIC_BROKER_CONFIG), else the cluster default,
// else the built-in default; its static settings are STATIC_BROKER_CONFIG and read-only.
import { BROKER_CONFIGS, CLUSTER_DEFAULT_RESOURCE, TOPIC_CONFIGS, type ConfigDef, type ConfigType } from '../../metadata/configs.js';
import { configValue, type MetadataImage } from '../../metadata/image.js';

/** DescribeConfigsResponse's ConfigSource numbering. */
export const CONFIG_SOURCE = Object.freeze({
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
});

/** DescribeConfigsResponse's ConfigType numbering (v3+). */
export const CONFIG_TYPE: Readonly<Record<ConfigType | 'unknown', number>> = Object.freeze({ unknown: 0, boolean: 1, string: 2, int: 3, long: 5, list: 7 });

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly source: number;
  readonly isSensitive: boolean;
  /** Every value that could apply, highest precedence first; the first is the entry itself. */
  readonly synonyms: readonly ConfigSynonym[];
  readonly configType: number;
  readonly documentation: string | null;
}

const BROKER_KEY_OF_TOPIC_KEY: ReadonlyMap<string, string> = new Map([...BROKER_CONFIGS].map(([broker, topic]) => [topic, broker]));

function entry(name: string, synonyms: readonly ConfigSynonym[], readOnly: boolean, type: ConfigType | 'unknown', documentation: string | null): ConfigEntry {
  const first = synonyms[0];
  // Every chain ends in a built-in or static value, so it is never empty.
  if (first === undefined) throw new Error(`config ${name} has no value at all`);
  return { name, value: first.value, readOnly, source: first.source, isSensitive: false, synonyms, configType: CONFIG_TYPE[type], documentation };
}

const present = (synonyms: readonly (ConfigSynonym | undefined)[]): ConfigSynonym[] => synonyms.filter((s): s is ConfigSynonym => s !== undefined);

function synonym(name: string, value: string | undefined, source: number): ConfigSynonym | undefined {
  return value === undefined ? undefined : { name, value, source };
}

/** Every topic config of a topic whose own settings are `own`, in TOPIC_CONFIGS order. */
export function topicConfigEntries(image: MetadataImage, own: ReadonlyMap<string, string>): ConfigEntry[] {
  return [...TOPIC_CONFIGS.values()].map((d) => {
    const brokerKey = BROKER_KEY_OF_TOPIC_KEY.get(d.name);
    const clusterDefault = brokerKey === undefined ? undefined : configValue(image, 'broker', CLUSTER_DEFAULT_RESOURCE, brokerKey);
    const chain = present([
      synonym(d.name, own.get(d.name), CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG),
      synonym(brokerKey ?? d.name, clusterDefault, CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG),
      synonym(brokerKey ?? d.name, d.defaultValue, CONFIG_SOURCE.DEFAULT_CONFIG),
    ]);
    return entry(d.name, chain, false, d.type, d.doc);
  });
}

/** The configs of topic `name` as stored in the image. */
export function topicOwnConfigs(image: MetadataImage, name: string): ReadonlyMap<string, string> {
  return image.configs.topic.get(name) ?? new Map<string, string>();
}

/** Broker `nodeId`'s configs: its static settings (read-only), then every dynamic key. */
export function brokerConfigEntries(image: MetadataImage, nodeId: number, staticConfigs: ReadonlyMap<string, string>): ConfigEntry[] {
  const statics = [...staticConfigs].map(([name, value]) => entry(name, [{ name, value, source: CONFIG_SOURCE.STATIC_BROKER_CONFIG }], true, 'unknown', null));
  const dynamics = [...BROKER_CONFIGS].map(([brokerKey, topicKey]) => {
    const d = topicDef(topicKey);
    const chain = present([
      synonym(brokerKey, configValue(image, 'broker', String(nodeId), brokerKey), CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG),
      synonym(brokerKey, configValue(image, 'broker', CLUSTER_DEFAULT_RESOURCE, brokerKey), CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG),
      synonym(brokerKey, d.defaultValue, CONFIG_SOURCE.DEFAULT_CONFIG),
    ]);
    return entry(brokerKey, chain, false, d.type, `The default of topic config ${topicKey}. ${d.doc}`);
  });
  return [...statics, ...dynamics];
}

/** The cluster-wide dynamic defaults that are set (Kafka lists only those for the '' broker resource). */
export function clusterDefaultEntries(image: MetadataImage): ConfigEntry[] {
  const set = image.configs.broker.get(CLUSTER_DEFAULT_RESOURCE) ?? new Map<string, string>();
  return [...set].map(([brokerKey, value]) => {
    const topicKey = BROKER_CONFIGS.get(brokerKey);
    const d = topicKey === undefined ? undefined : TOPIC_CONFIGS.get(topicKey);
    const chain = present([
      { name: brokerKey, value, source: CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG },
      synonym(brokerKey, d?.defaultValue, CONFIG_SOURCE.DEFAULT_CONFIG),
    ]);
    return entry(brokerKey, chain, false, d?.type ?? 'unknown', d === undefined ? null : `The default of topic config ${d.name}. ${d.doc}`);
  });
}

function topicDef(key: string): ConfigDef {
  const d = TOPIC_CONFIGS.get(key);
  // BROKER_CONFIGS maps only to keys of TOPIC_CONFIGS (configs.ts).
  if (d === undefined) throw new Error(`broker config backs unknown topic config ${key}`);
  return d;
}
