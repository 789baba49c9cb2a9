// ApiVersions: our supported ranges, straight from the one table (src/protocol/api-keys.ts).
import { KAFKA_ERRORS } from '../../metadata/errors.js';
import { SUPPORTED_APIS } from '../../protocol/api-keys.js';
import type { ApiVersionsResponse } from '../../protocol/apis/api-versions.js';

const apiKeys = () => SUPPORTED_APIS.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));

export function handleApiVersions(): ApiVersionsResponse {
  return { errorCode: KAFKA_ERRORS.NONE.code, apiKeys: apiKeys(), throttleTimeMs: 0 };
}

/** The answer to an ApiVersions version we do not speak; the caller encodes it as v0 (KIP-511). */
export function unsupportedApiVersions(): ApiVersionsResponse {
  return { errorCode: KAFKA_ERRORS.UNSUPPORTED_VERSION.code, apiKeys: apiKeys(), throttleTimeMs: 0 };
}
