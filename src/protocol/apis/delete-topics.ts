// DeleteTopics (key 20), versions 0-6; flexible from 4. Summarised from apache/kafka
// clients/src/main/resources/common/message/DeleteTopics{Request,Response}.json:
//
//   DeleteTopicsRequest v0-3 => topic_names:[STRING] timeout_ms:INT32
//   DeleteTopicsRequest v4-5 => v0, flexible (compact array/strings, TAG_BUFFER at the end)
//   DeleteTopicsRequest v6   => topics:[name:COMPACT_NULLABLE_STRING topic_id:UUID TAG_BUFFER] timeout_ms:INT32 TAG_BUFFER
//                               (a topic named by id has a null name)
//
//   DeleteTopicsResponse v0   => responses:[name:STRING error_code:INT16]
//   DeleteTopicsResponse v1-3 => throttle_time_ms:INT32 responses:[name error_code]
//   DeleteTopicsResponse v4   => v1, flexible (TAG_BUFFER per response and at the end)
//   DeleteTopicsResponse v5   => responses:[name error_code error_message:COMPACT_NULLABLE_STRING TAG_BUFFER]
//   DeleteTopicsResponse v6   => responses:[name:COMPACT_NULLABLE_STRING topic_id:UUID error_code error_message TAG_BUFFER]
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { ZERO_UUID, readTopicId, writeTopicId } from './fields.js';

export const DELETE_TOPICS_FLEXIBLE_FROM = 4;

export interface DeleteTopicState {
  /** Null when the topic is named by id (v6). */
  readonly name: string | null;
  /** ZERO_UUID when the topic is named (always before v6). */
  readonly topicId: string;
}

export interface DeleteTopicsRequest {
  readonly topics: readonly DeleteTopicState[];
  readonly timeoutMs: number;
}

export interface DeletableTopicResult {
  readonly name: string | null;
  readonly topicId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  readonly throttleTimeMs: number;
  readonly responses: readonly DeletableTopicResult[];
}

const flexible = (version: number) => version >= DELETE_TOPICS_FLEXIBLE_FROM;

// ---- request ----

export function decodeDeleteTopicsRequest(r: Reader, version: number): DeleteTopicsRequest {
  const f = flexible(version);
  const topics = version >= 6 ? r.compactArray(readTopicState) : r.versionedArray(f, (inner) => ({ name: inner.versionedString(f), topicId: ZERO_UUID }));
  const timeoutMs = r.int32();
  if (f) r.skipTaggedFields();
  return { topics, timeoutMs };
}

function readTopicState(r: Reader): DeleteTopicState {
  const state = { name: r.compactNullableString(), topicId: readTopicId(r) };
  r.skipTaggedFields();
  return state;
}

export function encodeDeleteTopicsRequest(w: Writer, version: number, request: DeleteTopicsRequest): void {
  const f = flexible(version);
  if (version >= 6) {
    w.compactArray(request.topics, (out, t) => {
      out.compactNullableString(t.name);
      writeTopicId(out, t.topicId);
      out.emptyTaggedFields();
    });
  } else {
    w.versionedArray(f, request.topics, (out, t) => void out.versionedString(f, t.name));
  }
  w.int32(request.timeoutMs);
  if (f) w.emptyTaggedFields();
}

// ---- response ----

export function encodeDeleteTopicsResponse(w: Writer, version: number, response: DeleteTopicsResponse): void {
  const f = flexible(version);
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.versionedArray(f, response.responses, (out, t) => {
    out.versionedString(f, t.name);
    if (version >= 6) writeTopicId(out, t.topicId);
    out.int16(t.errorCode);
    if (version >= 5) out.compactNullableString(t.errorMessage);
    if (f) out.emptyTaggedFields();
  });
  if (f) w.emptyTaggedFields();
}

export function decodeDeleteTopicsResponse(r: Reader, version: number): DeleteTopicsResponse {
  const f = flexible(version);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const responses = r.versionedArray(f, (inner) => readResult(inner, version));
  if (f) r.skipTaggedFields();
  return { throttleTimeMs, responses };
}

function readResult(r: Reader, version: number): DeletableTopicResult {
  const f = flexible(version);
  const name = version >= 6 ? r.compactNullableString() : r.versionedString(f);
  const topicId = version >= 6 ? readTopicId(r) : ZERO_UUID;
  const errorCode = r.int16();
  const errorMessage = version >= 5 ? r.compactNullableString() : null;
  if (f) r.skipTaggedFields();
  return { name, topicId, errorCode, errorMessage };
}
