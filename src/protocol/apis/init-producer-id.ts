// InitProducerId (key 22), versions 0-4; flexible from 2. Summarised from apache/kafka
// clients/src/main/resources/common/message/InitProducerId{Request,Response}.json:
//
//   InitProducerIdRequest v0-1 => transactional_id:NULLABLE_STRING transaction_timeout_ms:INT32
//   InitProducerIdRequest v2   => v0, flexible (compact nullable string, TAG_BUFFER at the end)
//   InitProducerIdRequest v3-4 => v2 + producer_id:INT64 (default -1) producer_epoch:INT16 (default -1)
//                                 (a producer resuming after INVALID_PRODUCER_EPOCH names its old id)
//
//   InitProducerIdResponse v0-1 => throttle_time_ms:INT32 error_code:INT16 producer_id:INT64 producer_epoch:INT16
//   InitProducerIdResponse v2-4 => v0, flexible (v4 may answer PRODUCER_FENCED)
//
// Idempotent producers send a null transactional id; the answer is a fresh (producer id, epoch).
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';
import { readInt64Number, writeInt64Number } from './fields.js';

export const INIT_PRODUCER_ID_FLEXIBLE_FROM = 2;

export interface InitProducerIdRequest {
  /** null for an idempotent, non-transactional producer. */
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** The producer's current id; decoded default before v3: -1 (none). */
  readonly producerId: number;
  /** The producer's current epoch; decoded default before v3: -1 (none). */
  readonly producerEpoch: number;
}

export interface InitProducerIdResponse {
  readonly throttleTimeMs: number;
  readonly errorCode: number;
  /** -1 when errorCode is set. */
  readonly producerId: number;
  readonly producerEpoch: number;
}

const flexible = (version: number) => version >= INIT_PRODUCER_ID_FLEXIBLE_FROM;

export function decodeInitProducerIdRequest(r: Reader, version: number): InitProducerIdRequest {
  const f = flexible(version);
  const transactionalId = r.versionedNullableString(f);
  const transactionTimeoutMs = r.int32();
  const producerId = version >= 3 ? readInt64Number(r, 'producer id') : -1;
  const producerEpoch = version >= 3 ? r.int16() : -1;
  if (f) r.skipTaggedFields();
  return { transactionalId, transactionTimeoutMs, producerId, producerEpoch };
}

export function encodeInitProducerIdRequest(w: Writer, version: number, request: InitProducerIdRequest): void {
  const f = flexible(version);
  w.versionedString(f, request.transactionalId).int32(request.transactionTimeoutMs);
  if (version >= 3) writeInt64Number(w, request.producerId).int16(request.producerEpoch);
  if (f) w.emptyTaggedFields();
}

export function encodeInitProducerIdResponse(w: Writer, version: number, response: InitProducerIdResponse): void {
  w.int32(response.throttleTimeMs).int16(response.errorCode);
  writeInt64Number(w, response.producerId).int16(response.producerEpoch);
  if (flexible(version)) w.emptyTaggedFields();
}

export function decodeInitProducerIdResponse(r: Reader, version: number): InitProducerIdResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  const producerId = readInt64Number(r, 'producer id');
  const producerEpoch = r.int16();
  if (flexible(version)) r.skipTaggedFields();
  return { throttleTimeMs, errorCode, producerId, producerEpoch };
}
