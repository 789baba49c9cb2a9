// Helpers of the partition log tests: temp dirs, batches of known sizes and timestamps, and reading
// back what a log holds as (baseOffset, lastOffset) pairs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionLog, ReadResult } from '../../src/broker/log/partition-log.js';
import { checkBatches, lastOffsetOf } from '../../src/broker/log/record-batch.js';
import { encodeBatch } from '../../src/broker/log/records.js';
import { offset, type LeaderEpoch, type Offset } from '../../src/broker/log/types.js';

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-log-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const epoch = (n: number): LeaderEpoch => n as LeaderEpoch;

/** A batch of `count` records with `valueBytes` each, timestamps from `timestamp` on, one ms apart. */
export function batch(count: number, timestamp = 1_000, valueBytes = 10, tag = 0): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    timestamp: timestamp + i,
    key: Buffer.from(`k${String(tag).padStart(4, '0')}-${String(i).padStart(4, '0')}`), // fixed width: same-shaped batches have equal sizes
    value: Buffer.alloc(valueBytes, (tag + i) % 251),
  }));
  return encodeBatch({ records });
}

export const concat = (r: ReadResult): Buffer => Buffer.concat(r.slices as Buffer[]);

/** [baseOffset, lastOffset] of every batch in a read. */
export function ranges(r: ReadResult): [number, number][] {
  return checkBatches(concat(r)).map(({ header }) => [header.baseOffset, lastOffsetOf(header)]);
}

/** Everything from the log start, read in pieces of `maxBytes`. */
export async function readAll(log: PartitionLog, maxBytes = 1 << 20, from: Offset = log.logStartOffset): Promise<Buffer> {
  const parts: Buffer[] = [];
  let next = from;
  while (next < log.logEndOffset) {
    const r = await log.read(next, maxBytes, log.logEndOffset);
    if (r.nextOffset === next) throw new Error(`read at ${next} made no progress`);
    parts.push(concat(r));
    next = r.nextOffset;
  }
  return Buffer.concat(parts);
}

export const offsets = (...n: number[]): Offset[] => n.map(offset);
