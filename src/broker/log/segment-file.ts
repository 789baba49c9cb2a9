// Reading batches out of a segment's .log file: positioned reads in chunks, walking batch headers
// without decoding records. Every problem found is a CorruptRecordError naming the file and the
// byte position in it.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { CorruptRecordError } from './errors.js';
import { BATCH_HEADER_BYTES, checkBatchCrc, checkBatchHeader, type BatchHeader } from './record-batch.js';

/** Bytes read at a time when walking a file; bigger batches are read whole on their own. */
export const WALK_CHUNK_BYTES = 64 * 1024;

export interface WalkedBatch {
  readonly header: BatchHeader;
  readonly position: number;
  /** The whole batch (CRC checked), only when the walk asked for whole batches. */
  readonly bytes: Buffer | undefined;
}

/** Opens a file for positioned reads and writes, creating it if missing. */
export async function openReadWrite(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return open(path, 'w+');
  }
}

/** Up to `length` bytes at `position`, fewer at the end of the file. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function relocate(e: unknown, position: number, file: string): unknown {
  return e instanceof CorruptRecordError ? new CorruptRecordError(e.offset, position, e.reason, file) : e;
}

/**
 * Walks the batches of `fh` from `from` to `end`, checking each header (and with `whole`, reading
 * each batch and checking its CRC). Throws at the first bad batch; stops early if `visit` says so.
 */
export async function walkBatches(
  fh: FileHandle,
  file: string,
  range: { from: number; end: number; whole: boolean },
  visit: (b: WalkedBatch) => boolean | void,
): Promise<void> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkAt = range.from;
  for (let pos = range.from; pos < range.end; ) {
    if (pos + BATCH_HEADER_BYTES > chunkAt + chunk.length) {
      chunk = await readAt(fh, pos, Math.min(WALK_CHUNK_BYTES, range.end - pos));
      chunkAt = pos;
    }
    let header: BatchHeader;
    try {
      header = checkBatchHeader(chunk, pos - chunkAt, range.end - pos);
    } catch (e) {
      throw relocate(e, pos, file);
    }
    let bytes: Buffer | undefined;
    if (range.whole) {
      if (pos + header.sizeBytes > chunkAt + chunk.length) {
        chunk = await readAt(fh, pos, Math.max(header.sizeBytes, Math.min(WALK_CHUNK_BYTES, range.end - pos)));
        chunkAt = pos;
      }
      bytes = chunk.subarray(pos - chunkAt, pos - chunkAt + header.sizeBytes);
      try {
        checkBatchCrc(bytes, 0, header);
      } catch (e) {
        throw relocate(e, pos, file);
      }
    }
    if (visit({ header, position: pos, bytes }) === false) return;
    pos += header.sizeBytes;
  }
}
