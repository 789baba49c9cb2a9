// Small checkpoint files written atomically: write `<file>.tmp`, fsync it, rename over the file,
// fsync the directory, so a crash leaves either the old contents or the new, never a mix.
// Format as Kafka's checkpoint files: a version line, a count line, then one entry per line.
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { offset, type Offset } from './types.js';

const CHECKPOINT_VERSION = 0;

export class CorruptCheckpointError extends Error {
  override readonly name = 'CorruptCheckpointError';
  readonly code = 'CORRUPT_CHECKPOINT';
  readonly retriable = false;
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`checkpoint ${file}: ${reason}`);
  }
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncPath(dirname(path), 'r');
}

/** Writes entries (each a list of numbers) under Kafka's version/count header. */
export async function writeCheckpoint(path: string, entries: readonly (readonly number[])[]): Promise<void> {
  const lines = [String(CHECKPOINT_VERSION), String(entries.length), ...entries.map((e) => e.join(' '))];
  await writeFileAtomic(path, `${lines.join('\n')}\n`);
}

/** The entries of a checkpoint, each with `width` numbers; undefined if the file does not exist. */
export async function readCheckpoint(path: string, width: number): Promise<number[][] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== String(CHECKPOINT_VERSION)) throw new CorruptCheckpointError(path, `version line ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) throw new CorruptCheckpointError(path, `count ${lines[1]} for ${lines.length - 2} entries`);
  return lines.slice(2).map((line) => {
    const nums = line.split(' ').map(Number);
    if (nums.length !== width || !nums.every(Number.isSafeInteger)) throw new CorruptCheckpointError(path, `entry ${JSON.stringify(line)}`);
    return nums;
  });
}

/** One offset in a file of its own: a partition's high-water mark, or a log's recovery point. */
export class OffsetCheckpoint {
  constructor(readonly path: string) {}

  async read(): Promise<Offset | undefined> {
    const entries = await readCheckpoint(this.path, 1);
    if (entries === undefined) return undefined;
    if (entries.length !== 1) throw new CorruptCheckpointError(this.path, `${entries.length} entries, expected 1`);
    return offset(entries[0]![0]!);
  }

  write(value: Offset): Promise<void> {
    return writeCheckpoint(this.path, [[value]]);
  }
}

/** The high-water mark a replica persists so a restart does not expose less than it had. */
export class HighWatermarkCheckpoint extends OffsetCheckpoint {}
