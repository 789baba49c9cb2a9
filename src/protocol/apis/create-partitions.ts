// CreatePartitions (key 37), versions 0-3; flexible from 2. Summarised from apache/kafka
// clients/src/main/resources/common/message/CreatePartitions{Request,Response}.json:
//
//   CreatePartitionsRequest v0-1 => topics:[name:STRING count:INT32
//                                           assignments:[broker_ids:[INT32]] (nullable: place automatically)]
//                                   timeout_ms:INT32 validate_only:BOOL
//   CreatePartitionsRequest v2-3 => v0, flexible (compact arrays/strings, TAG_BUFFER per struct and at the end)
//
//   CreatePartitionsResponse v0-1 => throttle_time_ms:INT32 results:[name:STRING error_code:INT16 error_message:NULLABLE_STRING]
//   CreatePartitionsResponse v2-3 => v0, flexible
//
// `count` is the new total; `assignments` lists replicas of the added partitions only.
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export const CREATE_PARTITIONS_FLEXIBLE_FROM = 2;

export interface CreatePartitionsTopic {
  readonly name: string;
  readonly count: number;
  /** One broker list per new partition, or null to place them. */
  readonly assignments: readonly (readonly number[])[] | null;
}

export interface CreatePartitionsRequest {
  readonly topics: readonly CreatePartitionsTopic[];
  readonly timeoutMs: number;
  readonly validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  readonly throttleTimeMs: number;
  readonly results: readonly CreatePartitionsTopicResult[];
}

const flexible = (version: number) => version >= CREATE_PARTITIONS_FLEXIBLE_FROM;

// ---- request ----

export function decodeCreatePartitionsRequest(r: Reader, version: number): CreatePartitionsRequest {
  const f = flexible(version);
  const topics = r.versionedArray(f, (inner) => {
    const name = inner.versionedString(f);
    const count = inner.int32();
    const assignments = inner.versionedNullableArray(f, (a) => {
      const brokerIds = a.versionedArray(f, (x) => x.int32());
      if (f) a.skipTaggedFields();
      return brokerIds;
    });
    if (f) inner.skipTaggedFields();
    return { name, count, assignments };
  });
  const timeoutMs = r.int32();
  const validateOnly = r.bool();
  if (f) r.skipTaggedFields();
  return { topics, timeoutMs, validateOnly };
}

export function encodeCreatePartitionsRequest(w: Writer, version: number, request: CreatePartitionsRequest): void {
  const f = flexible(version);
  w.versionedArray(f, request.topics, (out, t) => {
    out.versionedString(f, t.name).int32(t.count);
    out.versionedArray(f, t.assignments, (a, brokerIds) => {
      a.versionedArray(f, brokerIds, (x, id) => void x.int32(id));
      if (f) a.emptyTaggedFields();
    });
    if (f) out.emptyTaggedFields();
  });
  w.int32(request.timeoutMs).bool(request.validateOnly);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeCreatePartitionsResponse(w: Writer, version: number, response: CreatePartitionsResponse): void {
  const f = flexible(version);
  w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.results, (out, t) => {
    out.versionedString(f, t.name).int16(t.errorCode).versionedString(f, t.errorMessage);
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

export function decodeCreatePartitionsResponse(r: Reader, version: number): CreatePartitionsResponse {
  const f = flexible(version);
  const throttleTimeMs = r.int32();
  const results = r.versionedArray(f, (inner) => {
    const result = { name: inner.versionedString(f), errorCode: inner.int16(), errorMessage: inner.versionedNullableString(f) };
    if (f) inner.skipTaggedFields();
    return result;
  });
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, results };
}
