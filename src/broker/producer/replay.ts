// Reading batch headers out of bytes and out of a partition log, to feed the producer state: a
// produce request's batches before a leader check, a follower's fetched batches, and the log's
// batches after a snapshot when the state is rebuilt.
import assert from 'node:assert/strict';
import type { PartitionLog } from '../log/partition-log.js';
import { checkBatchHeader, lastOffsetOf, type BatchHeader } from '../log/record-batch.js';
import type { Offset } from '../log/types.js';
import { REPLAY_READ_BYTES_MAX } from './limits.js';
import type { ProducerStateTable } from './producer-state.js';

/**
 * The headers of the batches in `buf`, in order. Each header's shape is checked (length, magic,
 * counts) so bad bytes throw a CorruptRecordError instead of misleading the walk; CRCs are left to
 * the log's append.
 */
export function batchHeadersOf(buf: Buffer): BatchHeader[] {
  const headers: BatchHeader[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const h = checkBatchHeader(buf, pos);
    headers.push(h);
    pos += h.sizeBytes;
  }
  return headers;
}

/**
 * Applies every batch of `log` from `from` to its end to `table`, reading at most `readBytesMax` at
 * a time (or one whole batch, if larger); returns the number of batches applied. The log must not
 * change meanwhile (the replica is loading).
 */
export async function replayLog(table: ProducerStateTable, log: PartitionLog, from: Offset, readBytesMax = REPLAY_READ_BYTES_MAX): Promise<number> {
  let applied = 0;
  for (let next = from; next < log.logEndOffset; ) {
    const read = await log.read(next, readBytesMax, log.logEndOffset);
    assert.ok(read.nextOffset > next, `reading the log at ${next} made no progress`);
    for (const slice of read.slices) {
      for (const h of batchHeadersOf(slice)) {
        // A read starts with the whole batch holding `next`, which may begin below it.
        if (lastOffsetOf(h) < next) continue;
        table.onAppended(h);
        applied++;
      }
    }
    next = read.nextOffset;
  }
  return applied;
}
