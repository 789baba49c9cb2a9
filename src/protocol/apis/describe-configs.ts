// DescribeConfigs (key 32), versions 0-4; flexible from 4. Summarised from apache/kafka
// clients/src/main/resources/common/message/DescribeConfigs{Request,Response}.json:
//
//   DescribeConfigsRequest v0   => resources:[resource_type:INT8 resource_name:STRING
//                                             configuration_keys:[STRING] (nullable: every key)]
//   DescribeConfigsRequest v1-2 => v0 + include_synonyms:BOOL
//   DescribeConfigsRequest v3   => v1 + include_documentation:BOOL
//   DescribeConfigsRequest v4   => v3, flexible (compact arrays/strings, TAG_BUFFER per struct and at the end)
//
//   DescribeConfigsResponse v0 => throttle_time_ms:INT32
//                                 results:[error_code:INT16 error_message:NULLABLE_STRING resource_type:INT8
//                                          resource_name:STRING
//                                          configs:[name:STRING value:NULLABLE_STRING read_only:BOOL
//                                                   is_default:BOOL is_sensitive:BOOL]]
//   DescribeConfigsResponse v1-2 => configs:[name value read_only config_source:INT8 is_sensitive
//                                            synonyms:[name:STRING value:NULLABLE_STRING source:INT8]]
//   DescribeConfigsResponse v3   => v1 configs + config_type:INT8 documentation:NULLABLE_STRING
//   DescribeConfigsResponse v4   => v3, flexible
//
// v0 has is_default where later versions have config_source: a config is default when its source
// is DEFAULT_CONFIG (5); a v0 decoder reads back 5 or Kafka's placeholder -1.
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const DESCRIBE_CONFIGS_FLEXIBLE_FROM = 4;

/** ConfigResource.Type values this broker describes. */
export const RESOURCE_TYPE = Object.freeze({ TOPIC: 2, BROKER: 4 });
const SOURCE_DEFAULT_CONFIG = 5;
/** The schema's placeholder for config_source where a version does not carry it. */
const SOURCE_UNKNOWN_PLACEHOLDER = -1;

export interface DescribeConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  /** null: every key. */
  readonly configurationKeys: readonly string[] | null;
}

export interface DescribeConfigsRequest {
  readonly resources: readonly DescribeConfigsResource[];
  readonly includeSynonyms: boolean;
  readonly includeDocumentation: boolean;
}

export interface DescribeConfigsSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
}

export interface DescribeConfigsResourceResult {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  readonly configSource: number;
  readonly isSensitive: boolean;
  readonly synonyms: readonly DescribeConfigsSynonym[];
  readonly configType: number;
  readonly documentation: string | null;
}

export interface DescribeConfigsResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly DescribeConfigsResult[];
}

const flexible = (version: number) => version >= DESCRIBE_CONFIGS_FLEXIBLE_FROM;

// ---- request ----

export function decodeDescribeConfigsRequest(r: Reader, version: number): DescribeConfigsRequest {
  const f = flexible(version);
  const resources = r.versionedArray(f, (inner) => {
    const resource = { resourceType: inner.int8(), resourceName: inner.versionedString(f), configurationKeys: inner.versionedNullableArray(f, (k) => k.versionedString(f)) };
    if (f) inner.skipTaggedFields();
    return resource;
  });
  const includeSynonyms = version >= 1 ? r.bool() : false;
  const includeDocumentation = version >= 3 ? r.bool() : false;
  if (f) r.skipTaggedFields();
  return { resources, includeSynonyms, includeDocumentation };
}

export function encodeDescribeConfigsRequest(w: Writer, version: number, request: DescribeConfigsRequest): void {
  const f = flexible(version);
  w.versionedArray(f, request.resources, (out, res) => {
    out.int8(res.resourceType).versionedString(f, res.resourceName);
    out.versionedArray(f, res.configurationKeys, (k, key) => void k.versionedString(f, key));
    if (f) out.emptyTaggedFields();
  });
  if (version >= 1) w.bool(request.includeSynonyms);
  if (version >= 3) w.bool(request.includeDocumentation);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeDescribeConfigsResponse(w: Writer, version: number, response: DescribeConfigsResponse): void {
  const f = flexible(version);
  w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.results, (out, res) => {
    out.int16(res.errorCode).versionedString(f, res.errorMessage).int8(res.resourceType).versionedString(f, res.resourceName);
    out.versionedArray(f, res.configs, (c, config) => writeConfig(c, version, config));
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

function writeConfig(w: Writer, version: number, c: DescribeConfigsResourceResult): void {
  const f = flexible(version);
  w.versionedString(f, c.name).versionedString(f, c.value).bool(c.readOnly);
  if (version === 0) w.bool(c.configSource === SOURCE_DEFAULT_CONFIG);
  else w.int8(c.configSource);
  w.bool(c.isSensitive);
  if (version >= 1) {
    w.versionedArray(f, c.synonyms, (out, s) => {
      out.versionedString(f, s.name).versionedString(f, s.value).int8(s.source);
      if (f) out.emptyTaggedFields();
    });
  }
  if (version >= 3) w.int8(c.configType).versionedString(f, c.documentation);
  if (f) w.emptyTaggedFields();
}

export function decodeDescribeConfigsResponse(r: Reader, version: number): DescribeConfigsResponse {
  const f = flexible(version);
  const throttleTimeMs = r.int32();
  const results = r.versionedArray(f, (inner) => {
    const errorCode = inner.int16();
    const errorMessage = inner.versionedNullableString(f);
    const resourceType = inner.int8();
    const resourceName = inner.versionedString(f);
    const configs = inner.versionedArray(f, (c) => readConfig(c, version));
    if (f) inner.skipTaggedFields();
    return { errorCode, errorMessage, resourceType, resourceName, configs };
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, results };
}

function readConfig(r: Reader, version: number): DescribeConfigsResourceResult {
  const f = flexible(version);
  const name = r.versionedString(f);
  const value = r.versionedNullableString(f);
  const readOnly = r.bool();
  const configSource = version === 0 ? (r.bool() ? SOURCE_DEFAULT_CONFIG : SOURCE_UNKNOWN_PLACEHOLDER) : r.int8();
  const isSensitive = r.bool();
  const synonyms = version >= 1 ? r.versionedArray(f, (s) => readSynonym(s, f)) : [];
  const configType = version >= 3 ? r.int8() : 0;
  const documentation = version >= 3 ? r.versionedNullableString(f) : null;
  if (f) r.skipTaggedFields();
  return { name, value, readOnly, configSource, isSensitive, synonyms, configType, documentation };
}

function readSynonym(r: Reader, f: boolean): DescribeConfigsSynonym {
  const synonym = { name: r.versionedString(f), value: r.versionedNullableString(f), source: r.int8() };
  if (f) r.skipTaggedFields();
  return synonym;
}
