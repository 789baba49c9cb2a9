// Operating errors of the partition log (STYLE.md point 11): each carries a stable `code` and a
// `retriable` flag so a request handler maps it to a Kafka error without parsing messages.
// Broken invariants use assert instead and crash.
import type { Offset } from './types.js';

/** Bytes that are not a valid RecordBatch v2: bad length, magic or CRC. Maps to CORRUPT_MESSAGE. */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
  readonly code = 'CORRUPT_MESSAGE';
  readonly retriable = true;
  constructor(
    /** The batch's offset as far as it could be read (its baseOffset field), or -1 if unknown. */
    readonly offset: number,
    /** The byte position of the batch in its buffer or file. */
    readonly position: number,
    readonly reason: string,
    /** The segment file, when the bytes came from disk. */
    readonly file?: string,
  ) {
    super(`corrupt record batch at offset ${offset} (byte ${position}${file === undefined ? '' : ` of ${file}`}): ${reason}`);
  }
}

export type LogErrorCode =
  /** A read below the log start offset or above the log end offset. */
  | 'OFFSET_OUT_OF_RANGE'
  /** A follower append whose first offset is not the log end offset, or batches out of order. */
  | 'NON_CONTIGUOUS_APPEND'
  /** One append larger than a segment may hold. */
  | 'RECORD_LIST_TOO_LARGE'
  /** A LogConfig the log cannot apply (the controller refuses such values; this guards the log itself). */
  | 'INVALID_CONFIG'
  /** The log was closed. */
  | 'CLOSED';

const RETRIABLE: Readonly<Record<LogErrorCode, boolean>> = {
  OFFSET_OUT_OF_RANGE: false,
  NON_CONTIGUOUS_APPEND: false,
  RECORD_LIST_TOO_LARGE: false,
  INVALID_CONFIG: false,
  CLOSED: true,
};

export class LogError extends Error {
  override readonly name = 'LogError';
  readonly retriable: boolean;
  constructor(
    readonly code: LogErrorCode,
    message: string,
    readonly offset?: Offset,
  ) {
    super(message);
    this.retriable = RETRIABLE[code];
  }
}
