// Field helpers the API codecs share: int64 values carried as JS numbers, topic ids, and
// tagged-field sections whose tags we decode or write (Reader.skipTaggedFields only skips).
//
// Offsets, timestamps and producer ids are int64 on the wire, but every one we deal in fits in
// 2^53, so the typed bodies use `number`. A peer sending a value past that is refused rather than
// rounded: a rounded offset would silently fetch or acknowledge the wrong record.
import { uuidFromBytes, uuidToBytes } from '../../metadata/types.js';
import { MalformedRequestError } from '../errors.js';
import type { Reader } from '../reader.js';
import { Writer } from '../writer.js';

/** Kafka's "no topic id" (Uuid.ZERO_UUID): a topic named rather than identified. */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** A topic id (UUID) in canonical text form. */
export function readTopicId(r: Reader): string {
  const text = uuidFromBytes(r.uuid());
  if (text === undefined) throw new MalformedRequestError('uuid');
  return text;
}

export function writeTopicId(w: Writer, id: string): void {
  w.uuid(uuidToBytes(id));
}

/** Reads an int64 that must be a safe integer (|n| < 2^53). */
export function readInt64Number(r: Reader, what: string): number {
  const value = r.int64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new MalformedRequestError(`${what} ${value} is past 2^53`);
  return Number(value);
}

/** Writes a safe integer as int64; anything else is our bug (RangeError, like Writer). */
export function writeInt64Number(w: Writer, value: number): Writer {
  if (!Number.isSafeInteger(value)) throw new RangeError(`int64 value is not a safe integer: ${value}`);
  return w.int64(BigInt(value));
}

/**
 * Reads a tagged-field section. `read(tag)` decodes a tag it knows from `r` and returns true, or
 * returns false to have the field skipped. A known field must use exactly its declared size, and
 * tags must ascend, as Kafka requires.
 */
export function readTaggedFields(r: Reader, read: (tag: number) => boolean): void {
  const count = r.unsignedVarint();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.unsignedVarint();
    if (tag <= previous) throw new MalformedRequestError(`tagged field ${tag} after ${previous}`);
    previous = tag;
    const sizeBytes = r.unsignedVarint();
    if (sizeBytes > r.remaining) throw new MalformedRequestError(`tagged field ${tag} of ${sizeBytes} bytes, ${r.remaining} left`);
    const start = r.offset;
    if (!read(tag)) r.skip(sizeBytes, `tagged field ${tag}`);
    if (r.offset - start !== sizeBytes) throw new MalformedRequestError(`tagged field ${tag} declared ${sizeBytes} bytes, used ${r.offset - start}`);
  }
}

/** One tagged field to write: its tag and a function writing its value. */
export type TaggedField = readonly [tag: number, write: (w: Writer) => void];

/** Writes a tagged-field section holding `fields` (in ascending tag order). */
export function writeTaggedFields(w: Writer, fields: readonly TaggedField[]): void {
  w.unsignedVarint(fields.length);
  let previous = -1;
  for (const [tag, write] of fields) {
    if (tag <= previous) throw new RangeError(`tagged field ${tag} written after ${previous}`);
    previous = tag;
    // The size comes first on the wire, so the value is written aside to measure it.
    const value = new Writer();
    write(value);
    w.unsignedVarint(tag).unsignedVarint(value.written.length).raw(value.written);
  }
}
