// IncrementalAlterConfigs (key 44), versions 0-1; flexible from 1. Summarised from apache/kafka
// clients/src/main/resources/common/message/IncrementalAlterConfigs{Request,Response}.json:
//
//   IncrementalAlterConfigsRequest v0 => resources:[resource_type:INT8 resource_name:STRING
//                                                   configs:[name:STRING config_operation:INT8 value:NULLABLE_STRING]]
//                                        validate_only:BOOL
//   IncrementalAlterConfigsRequest v1 => v0, flexible (compact arrays/strings, TAG_BUFFER per struct and at the end)
//
//   IncrementalAlterConfigsResponse v0 => throttle_time_ms:INT32
//                                         responses:[error_code:INT16 error_message:NULLABLE_STRING
//                                                    resource_type:INT8 resource_name:STRING]
//   IncrementalAlterConfigsResponse v1 => v0, flexible
//
// config_operation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT (AlterConfigOp.OpType).
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const INCREMENTAL_ALTER_CONFIGS_FLEXIBLE_FROM = 1;

export const CONFIG_OPERATION = Object.freeze({ SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 });

export interface AlterableConfig {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

export interface AlterConfigsResource {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly configs: readonly AlterableConfig[];
}

export interface IncrementalAlterConfigsRequest {
  readonly resources: readonly AlterConfigsResource[];
  readonly validateOnly: boolean;
}

export interface AlterConfigsResourceResponse {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface IncrementalAlterConfigsResponse {
  readonly throttleTimeMs: number;
  readonly responses: readonly AlterConfigsResourceResponse[];
}

const flexible = (version: number) => version >= INCREMENTAL_ALTER_CONFIGS_FLEXIBLE_FROM;

// ---- request ----

export function decodeIncrementalAlterConfigsRequest(r: Reader, version: number): IncrementalAlterConfigsRequest {
  const f = flexible(version);
  const resources = r.versionedArray(f, (inner) => {
    const resourceType = inner.int8();
    const resourceName = inner.versionedString(f);
    const configs = inner.versionedArray(f, (c) => {
      const config = { name: c.versionedString(f), configOperation: c.int8(), value: c.versionedNullableString(f) };
      if (f) c.skipTaggedFields();
      return config;
    });
    if (f) inner.skipTaggedFields();
    return { resourceType, resourceName, configs };
  });
  const validateOnly = r.bool();
  if (f) r.skipTaggedFields();
  return { resources, validateOnly };
}

export function encodeIncrementalAlterConfigsRequest(w: Writer, version: number, request: IncrementalAlterConfigsRequest): void {
  const f = flexible(version);
  w.versionedArray(f, request.resources, (out, res) => {
    out.int8(res.resourceType).versionedString(f, res.resourceName);
    out.versionedArray(f, res.configs, (c, config) => {
      c.versionedString(f, config.name).int8(config.configOperation).versionedString(f, config.value);
      if (f) c.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  w.bool(request.validateOnly);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeIncrementalAlterConfigsResponse(w: Writer, version: number, response: IncrementalAlterConfigsResponse): void {
  const f = flexible(version);
  w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.responses, (out, res) => {
    out.int16(res.errorCode).versionedString(f, res.errorMessage).int8(res.resourceType).versionedString(f, res.resourceName);
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

export function decodeIncrementalAlterConfigsResponse(r: Reader, version: number): IncrementalAlterConfigsResponse {
  const f = flexible(version);
  const throttleTimeMs = r.int32();
  const responses = r.versionedArray(f, (inner) => {
    const res = { errorCode: inner.int16(), errorMessage: inner.versionedNullableString(f), resourceType: inner.int8(), resourceName: inner.versionedString(f) };
    if (f) inner.skipTaggedFields();
    return res;
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, responses };
}
