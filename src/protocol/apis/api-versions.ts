// ApiVersions (key 18), versions 0-3; flexible from 3. Summarised from apache/kafka
// clients/src/main/resources/common/message/ApiVersions{Request,Response}.json:
//
//   ApiVersionsRequest v0-v2 => (empty body)
//   ApiVersionsRequest v3    => client_software_name:COMPACT_STRING client_software_version:COMPACT_STRING TAG_BUFFER
//
//   ApiVersionsResponse v0    => error_code:int16 [api_key:int16 min_version:int16 max_version:int16]
//   ApiVersionsResponse v1-v2 => v0 + throttle_time_ms:int32
//   ApiVersionsResponse v3    => error_code:int16 [api_key min_version max_version TAG_BUFFER](compact)
//                                throttle_time_ms:int32 TAG_BUFFER
//                                (tagged: 0 SupportedFeatures, 1 FinalizedFeaturesEpoch, 2 FinalizedFeatures,
//                                 3 ZkMigrationReady; we send none)
//
// The response header is always v0, even for v3 (see header.ts). An unsupported request version is
// answered with UNSUPPORTED_VERSION in the v0 format, listing our ranges, so the client can retry
// with a version we speak (librdkafka falls back from v3 to v0 this way).
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const API_VERSIONS_FLEXIBLE_FROM = 3;

export interface ApiVersionsRequest {
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
}

export interface ApiVersionEntry {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export interface ApiVersionsResponse {
  readonly errorCode: number;
  readonly apiKeys: readonly ApiVersionEntry[];
  readonly throttleTimeMs: number;
}

export function decodeApiVersionsRequest(r: Reader, version: number): ApiVersionsRequest {
  if (version < API_VERSIONS_FLEXIBLE_FROM) return { clientSoftwareName: null, clientSoftwareVersion: null };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.skipTaggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

export function encodeApiVersionsRequest(w: Writer, version: number, request: ApiVersionsRequest): void {
  if (version < API_VERSIONS_FLEXIBLE_FROM) return;
  w.compactString(request.clientSoftwareName ?? '').compactString(request.clientSoftwareVersion ?? '').emptyTaggedFields();
}

export function encodeApiVersionsResponse(w: Writer, version: number, response: ApiVersionsResponse): void {
  const flexible = version >= API_VERSIONS_FLEXIBLE_FROM;
  w.int16(response.errorCode);
  w.versionedArray(flexible, response.apiKeys, (out, a) => {
    out.int16(a.apiKey).int16(a.minVersion).int16(a.maxVersion);
    if (flexible) out.emptyTaggedFields();
  });
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (flexible) w.emptyTaggedFields();
}

export function decodeApiVersionsResponse(r: Reader, version: number): ApiVersionsResponse {
  const flexible = version >= API_VERSIONS_FLEXIBLE_FROM;
  const errorCode = r.int16();
  const apiKeys = r.versionedArray(flexible, (inner) => {
    const entry = { apiKey: inner.int16(), minVersion: inner.int16(), maxVersion: inner.int16() };
    if (flexible) inner.skipTaggedFields();
    return entry;
  });
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  if (flexible) r.skipTaggedFields();
  return { errorCode, apiKeys, throttleTimeMs };
}
