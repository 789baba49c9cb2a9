// Opening a partition log directory: find the segments, recover the ones that may hold unflushed
// writes, and trust (after checking) the indexes of the rest.
//
// Segments wholly below the recovery point were fsynced (flush or roll) and keep their indexes if
// those are consistent; otherwise the indexes are rebuilt from the .log. Segments reaching the
// recovery point are walked batch by batch (length, magic, CRC-32C, contiguous offsets):
// - in the last segment, the first bad batch and everything after it is a torn or corrupt tail,
//   cut off and logged (file, byte position, offset);
// - in an earlier segment it is not a tail: the open fails with a CorruptRecordError naming the file
//   and offset, rather than silently dropping the good segments after it.
// A loaded sealed segment gives its pooled handles back at once: reads reopen its .log on demand.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../util/log.js';
import { CorruptRecordError } from './errors.js';
import type { FilePool } from './file-pool.js';
import { decodeOffsetEntries, decodeTimeEntries } from './indexes.js';
import { Segment, segmentFileName } from './segment.js';
import { offset, type Offset } from './types.js';

const LOG_FILE = /^(\d{20})\.log$/;
const INDEX_FILE = /^(\d{20})\.(index|timeindex)$/;

export interface LoadContext {
  readonly dir: string;
  readonly indexIntervalBytes: number;
  readonly recoveryPoint: Offset;
  readonly logger: Logger;
  readonly files: FilePool;
}

/** The segments of `dir`, oldest first, recovered; a fresh segment at 0 if there are none. */
export async function loadSegments(ctx: LoadContext): Promise<Segment[]> {
  await mkdir(ctx.dir, { recursive: true });
  const bases = await listSegmentBases(ctx.dir);
  if (bases.length === 0) return [await Segment.open(ctx.dir, offset(0), ctx.indexIntervalBytes, ctx.files)];
  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      const seg = await Segment.open(ctx.dir, bases[i]!, ctx.indexIntervalBytes, ctx.files);
      segments.push(seg);
      const next = bases[i + 1];
      if (next === undefined) {
        await recoverTail(seg, ctx.logger);
      } else {
        await loadSealed(seg, next, next > ctx.recoveryPoint, ctx.logger);
        await seg.close();
      }
    }
  } catch (e) {
    for (const s of segments) await s.close();
    throw e;
  }
  return segments;
}

/** Base offsets of the .log files, sorted; leftovers (tmp files, orphan indexes) are removed. */
async function listSegmentBases(dir: string): Promise<Offset[]> {
  const names = await readdir(dir);
  const bases = names.flatMap((n) => (LOG_FILE.test(n) ? [offset(Number(LOG_FILE.exec(n)![1]))] : []));
  const logs = new Set(bases.map((b) => segmentFileName(b, '.log')));
  for (const n of names) {
    const m = INDEX_FILE.exec(n);
    const orphan = m !== null && !logs.has(`${m[1]}.log`);
    if (orphan || n.endsWith('.tmp')) await rm(join(dir, n), { force: true });
  }
  return bases.sort((a, b) => a - b);
}

async function recoverTail(seg: Segment, logger: Logger): Promise<void> {
  const bad = await seg.scan();
  if (bad !== undefined) {
    const droppedBytes = seg.sizeBytes - bad.position;
    // seg.nextOffset: the scan stopped there, so it is the first offset lost (a torn header has none).
    logger.warn(
      { file: seg.logFile, position: bad.position, offset: seg.nextOffset, reason: bad.error.reason, droppedBytes },
      'truncating a torn or corrupt tail of the log',
    );
    await seg.truncateFile(bad.position);
    return;
  }
  await seg.writeIndexFiles();
}

async function loadSealed(seg: Segment, nextBase: Offset, unflushed: boolean, logger: Logger): Promise<void> {
  if (unflushed || !(await loadIndexes(seg))) {
    if (!unflushed) logger.info({ file: seg.logFile }, 'rebuilding the indexes of a segment');
    const bad = await seg.scan();
    if (bad !== undefined) throw bad.error;
    await seg.writeIndexFiles();
    await seg.seal();
  }
  if (seg.nextOffset !== nextBase) {
    throw new CorruptRecordError(seg.nextOffset, seg.sizeBytes, `segment ends before offset ${seg.nextOffset} but the next one starts at ${nextBase}`, seg.logFile);
  }
}

/** Reads and checks the index files; false if they are missing or do not match the .log. */
async function loadIndexes(seg: Segment): Promise<boolean> {
  const offsets = decodeOffsetEntries(await readOrEmpty(join(seg.dir, segmentFileName(seg.baseOffset, '.index'))), seg.sizeBytes);
  const times = decodeTimeEntries(await readOrEmpty(join(seg.dir, segmentFileName(seg.baseOffset, '.timeindex'))));
  if (offsets === undefined || times === undefined) return false;
  if (seg.indexFilesMissing) return false;
  seg.offsetEntries = offsets;
  seg.timeEntries = times;
  try {
    await seg.accountTail();
  } catch (e) {
    if (e instanceof CorruptRecordError) return false;
    throw e;
  }
  const lastTime = times.at(-1);
  return seg.indexCoversTail && (lastTime === undefined || seg.baseOffset + lastTime.relativeOffset < seg.nextOffset);
}

async function readOrEmpty(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  }
}
