// Each node's metadata image rebuilt from its data directory, after its process is gone: the
// stored snapshot restored, then the stored entries up to a target index applied, exactly as
// RaftNode does at startup. The nodes themselves offer no per-node image (DescribeCluster answers
// only on the active controller), so this is how a chaos test compares what every node holds.
import { join } from 'node:path';
import { describeImage } from '../../src/metadata/controller-handlers.js';
import { METADATA_LOG_DIR } from '../../src/metadata/data-dir.js';
import { findImageViolations } from '../../src/metadata/image.js';
import { MetadataStateMachine } from '../../src/metadata/state-machine.js';
import { EntryType, type LogIndex, type PersistedState } from '../../src/raft/core/types.js';
import { LevelRaftStorage } from '../../src/raft/level-storage.js';
import { silentLogger } from '../../src/util/log.js';

export interface StoredLog {
  readonly dataDir: string;
  readonly state: PersistedState;
}

export interface DurableImage {
  /** The image as DescribeCluster would show it, without the offset (a snapshot taken at a no-op entry carries that entry's index). */
  readonly json: string;
  readonly violations: readonly string[];
}

/** Reads a stopped node's stored metadata log. */
export async function readStoredLog(dataDir: string): Promise<StoredLog> {
  const storage = await LevelRaftStorage.open(join(dataDir, METADATA_LOG_DIR), { log: silentLogger });
  try {
    return { dataDir, state: await storage.load() };
  } finally {
    await storage.close();
  }
}

export function snapshotIndex(log: StoredLog): number {
  return log.state.snapshot.meta.index;
}

export function lastIndex(log: StoredLog): number {
  return log.state.entries.at(-1)?.index ?? snapshotIndex(log);
}

/** The image after applying everything up to `target`; throws if the log cannot reach exactly there. */
export function imageAt(log: StoredLog, target: number): DurableImage {
  if (snapshotIndex(log) > target) throw new Error(`${log.dataDir}: its snapshot (${snapshotIndex(log)}) is past ${target}`);
  if (lastIndex(log) < target) throw new Error(`${log.dataDir}: its log ends at ${lastIndex(log)}, before ${target}`);
  const machine = new MetadataStateMachine({ log: silentLogger });
  if (snapshotIndex(log) > 0) machine.restore(log.state.snapshot);
  for (const entry of log.state.entries) {
    if (entry.index > target) break;
    if (entry.index <= snapshotIndex(log)) continue;
    if (entry.type === EntryType.Normal && entry.data.length > 0) machine.apply(entry);
  }
  const { metadataOffset: _offset, ...rest } = describeImage(machine.image, '', 0, 0 as LogIndex);
  return { json: JSON.stringify(rest), violations: findImageViolations(machine.image) };
}
