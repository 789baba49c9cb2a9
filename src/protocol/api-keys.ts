// The Kafka APIs this broker serves and the version range of each: the one table ApiVersions
// answers from, so it advertises only what is implemented (DESIGN.md section 5). An API joins the
// table in the same change as its codec and handler.

export const API_KEYS = Object.freeze({
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  ApiVersions: 18,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  CreateTopics: 19,
  DeleteTopics: 20,
  DescribeConfigs: 32,
  CreatePartitions: 37,
  IncrementalAlterConfigs: 44,
  DescribeCluster: 60,
});

export type ApiName = keyof typeof API_KEYS;

export interface ApiRange {
  readonly apiKey: number;
  readonly name: ApiName;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first flexible version (compact types, tagged fields, request header v2). */
  readonly flexibleFrom: number;
}

const range = (name: ApiName, minVersion: number, maxVersion: number, flexibleFrom: number): ApiRange =>
  Object.freeze({ apiKey: API_KEYS[name], name, minVersion, maxVersion, flexibleFrom });

export const SUPPORTED_APIS: readonly ApiRange[] = Object.freeze([
  range('Produce', 3, 9, 9),
  range('Fetch', 4, 12, 12),
  // v7 adds the max-timestamp query (-3, KIP-734); earlier versions refuse it per partition.
  range('ListOffsets', 0, 7, 6),
  range('Metadata', 0, 12, 9),
  range('ApiVersions', 0, 3, 3),
  range('CreateTopics', 0, 7, 5),
  range('DeleteTopics', 0, 6, 4),
  range('InitProducerId', 0, 4, 2),
  range('OffsetForLeaderEpoch', 0, 4, 4),
  range('DescribeConfigs', 0, 4, 4),
  range('CreatePartitions', 0, 3, 2),
  range('IncrementalAlterConfigs', 0, 1, 1),
  range('DescribeCluster', 0, 1, 0),
]);

const BY_KEY: ReadonlyMap<number, ApiRange> = new Map(SUPPORTED_APIS.map((a) => [a.apiKey, a]));

export const apiRange = (apiKey: number): ApiRange | undefined => BY_KEY.get(apiKey);

export const isSupported = (apiKey: number, version: number): boolean => {
  const a = BY_KEY.get(apiKey);
  return a !== undefined && version >= a.minVersion && version <= a.maxVersion;
};

export const isFlexible = (api: ApiRange, version: number): boolean => version >= api.flexibleFrom;

/** The request header version of a supported API version: 2 when flexible, else 1. */
export const requestHeaderVersion = (api: ApiRange, version: number): 1 | 2 => (isFlexible(api, version) ? 2 : 1);

/** The response header version: 1 when flexible, except ApiVersions, which always uses 0 (KIP-511). */
export const responseHeaderVersion = (api: ApiRange, version: number): 0 | 1 =>
  api.apiKey !== API_KEYS.ApiVersions && isFlexible(api, version) ? 1 : 0;
