// Each replica's partition log read from a stopped node's data directory, the way the broker opens
// it at startup (DiskPartitionLog: recovery of the tail included), so that a chaos test can hold
// every replica's bytes against the others and against what the leader served. Consumers can read
// only the leader, so this is how the followers' copies are seen at all.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DiskPartitionLog } from '../../src/broker/log/disk-log.js';
import { readBatchHeader } from '../../src/broker/log/record-batch.js';
import { offset } from '../../src/broker/log/types.js';
import { partitionName } from '../../src/broker/replica/replica-manager.js';
import { silentLogger } from '../../src/util/log.js';

const READ_BYTES = 1024 * 1024;

export interface ReplicaLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly batches: number;
  /** sha256 of the batches below `upTo` (the HW the reader saw), bytes as stored. */
  readonly sha256UpTo: string;
  /** sha256 of every batch. */
  readonly sha256: string;
  /** Per leader epoch (as stamped in the batches), the first offset: where leaderships began. */
  readonly epochStarts: ReadonlyArray<readonly [number, number]>;
}

/** Reads node `dataDir`'s replica of `topic`-`partition`; `upTo` bounds the first hash. */
export async function readReplicaLog(dataDir: string, topic: string, partition: number, upTo: number): Promise<ReplicaLog> {
  const log = await DiskPartitionLog.open(join(dataDir, partitionName(topic, partition)), { logger: silentLogger });
  try {
    const below = createHash('sha256');
    const all = createHash('sha256');
    const epochStarts: Array<[number, number]> = [];
    let batches = 0;
    for (let next = log.logStartOffset; next < log.logEndOffset; ) {
      const read = await log.read(offset(next), READ_BYTES, log.logEndOffset);
      if (read.nextOffset <= next) throw new Error(`${dataDir}: a read at ${next} made no progress`);
      for (const slice of read.slices) {
        for (let at = 0; at < slice.length; ) {
          const h = readBatchHeader(slice, at);
          const batch = slice.subarray(at, at + h.sizeBytes);
          all.update(batch);
          if (h.baseOffset + h.lastOffsetDelta < upTo) below.update(batch);
          if (epochStarts.at(-1)?.[0] !== h.partitionLeaderEpoch) epochStarts.push([h.partitionLeaderEpoch, h.baseOffset]);
          batches++;
          at += h.sizeBytes;
        }
      }
      next = read.nextOffset;
    }
    return { logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, batches, sha256UpTo: below.digest('hex'), sha256: all.digest('hex'), epochStarts };
  } finally {
    await log.close();
  }
}
