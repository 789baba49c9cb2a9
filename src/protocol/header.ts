// Request and response headers (https://kafka.apache.org/protocol#protocol_messages):
//
//   RequestHeader v0 => request_api_key:int16 request_api_version:int16 correlation_id:int32
//   RequestHeader v1 => v0 + client_id:NULLABLE_STRING
//   RequestHeader v2 => v1 + TAG_BUFFER   (client_id stays a plain nullable string, not compact)
//   ResponseHeader v0 => correlation_id:int32
//   ResponseHeader v1 => correlation_id:int32 TAG_BUFFER
//
// Which header version a request uses depends on its API and version: v2 for flexible versions,
// v1 otherwise (v0 is only ControlledShutdown v0, which we do not serve). ApiVersions always
// answers with response header v0 so that a client can parse the answer before it knows which
// versions we speak (KIP-511).
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** The fixed part every header version starts with; enough to pick the rest. */
export function readHeaderPrefix(r: Reader): { apiKey: number; apiVersion: number; correlationId: number } {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/** Reads the rest of a header of `headerVersion` after its prefix. */
export function readHeaderRest(r: Reader, prefix: ReturnType<typeof readHeaderPrefix>, headerVersion: 0 | 1 | 2): RequestHeader {
  const clientId = headerVersion >= 1 ? r.nullableString() : null;
  if (headerVersion === 2) r.skipTaggedFields();
  return { ...prefix, clientId };
}

export function readRequestHeader(r: Reader, headerVersion: 0 | 1 | 2): RequestHeader {
  return readHeaderRest(r, readHeaderPrefix(r), headerVersion);
}

export function writeRequestHeader(w: Writer, header: RequestHeader, headerVersion: 0 | 1 | 2): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  if (headerVersion >= 1) w.nullableString(header.clientId);
  if (headerVersion === 2) w.emptyTaggedFields();
}

export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.emptyTaggedFields();
}

export function readResponseHeader(r: Reader, headerVersion: 0 | 1): number {
  const correlationId = r.int32();
  if (headerVersion === 1) r.skipTaggedFields();
  return correlationId;
}
