// Field helpers the admin API codecs share: topic ids on the wire and the tagged-field sections
// that carry a known tag (CreateTopicsResponse's TopicConfigErrorCode, tag 0).
import { uuidFromBytes, uuidToBytes } from '../../metadata/types.js';
import { MalformedRequestError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** Kafka's "no topic id" (the all-zero UUID). */
export const NO_TOPIC_ID = '00000000-0000-0000-0000-000000000000';

export function readTopicId(r: Reader): string {
  const text = uuidFromBytes(r.uuid());
  if (text === undefined) throw new MalformedRequestError('uuid');
  return text;
}

export function writeTopicId(w: Writer, id: string): void {
  w.uuid(uuidToBytes(id));
}

/** Readers of the tags a struct defines, by tag number. */
export type TaggedReaders = Readonly<Record<number, (r: Reader) => void>>;

/**
 * A tagged-field section: tags named in `known` are read by their reader, which must consume exactly
 * the declared size; any other tag is skipped. Tags must ascend, as Kafka requires.
 */
export function readTaggedFields(r: Reader, known: TaggedReaders): void {
  const count = r.unsignedVarint();
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.unsignedVarint();
    if (tag <= previous) throw new MalformedRequestError(`tagged field ${tag} after ${previous}`);
    previous = tag;
    const size = r.unsignedVarint();
    const start = r.offset;
    const read = known[tag];
    if (read === undefined) skipBytes(r, size);
    else read(r);
    if (r.offset - start !== size) throw new MalformedRequestError(`tagged field ${tag} declared ${size} bytes, read ${r.offset - start}`);
  }
}

function skipBytes(r: Reader, n: number): void {
  if (n > r.remaining) throw new MalformedRequestError(`tagged field of ${n} bytes with ${r.remaining} left`);
  for (let i = 0; i < n; i++) r.int8();
}
