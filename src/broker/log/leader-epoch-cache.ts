// Leader epoch -> start offset (the first offset appended in that epoch), as Kafka's
// LeaderEpochFileCache (KIP-101, KIP-279). A follower asks the leader for the end offset of its own
// latest epoch and truncates whatever lies beyond, so divergent suffixes left by an old leader are
// removed before fetching.
//
// The cache is pure: mutators say whether they changed anything and the log persists the entries
// (checkpoint file `leader-epoch-checkpoint`) when they did.
import assert from 'node:assert/strict';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { offset, type LeaderEpoch, type Offset } from './types.js';

export interface EpochEntry {
  readonly epoch: LeaderEpoch;
  readonly startOffset: Offset;
}

export const UNDEFINED_EPOCH = -1 as LeaderEpoch;
export const UNDEFINED_EPOCH_OFFSET = -1 as Offset;

export interface EpochEndOffset {
  readonly epoch: LeaderEpoch;
  readonly endOffset: Offset;
}

const UNDEFINED_END: EpochEndOffset = Object.freeze({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });

export class LeaderEpochCache {
  #entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.#entries = [...entries];
    for (let i = 1; i < entries.length; i++) {
      assert.ok(entries[i]!.epoch > entries[i - 1]!.epoch && entries[i]!.startOffset >= entries[i - 1]!.startOffset, 'epoch entries out of order');
    }
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): LeaderEpoch | undefined {
    return this.#entries.at(-1)?.epoch;
  }

  /**
   * Records that `epoch` starts at `startOffset`, if it is newer than the latest. An older or equal
   * epoch changes nothing: batches of an epoch arrive in order after its first.
   */
  assign(epoch: LeaderEpoch, startOffset: Offset): boolean {
    const latest = this.#entries.at(-1);
    if (latest !== undefined && epoch <= latest.epoch) return false;
    // Entries starting at or after this one describe a suffix the log no longer has.
    this.#entries = this.#entries.filter((e) => e.startOffset < startOffset);
    this.#entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer: for the latest epoch, the log end offset; for an older
   * known epoch, the start offset of the next higher epoch, with the largest epoch at or below the
   * requested one; for an epoch below every known one, the first entry's start offset (that data was
   * removed, so the follower replicates from there); for an unknown newer epoch or an empty cache,
   * UNDEFINED.
   */
  endOffsetFor(epoch: LeaderEpoch, logEndOffset: Offset): EpochEndOffset {
    if (epoch === UNDEFINED_EPOCH || this.#entries.length === 0) return UNDEFINED_END;
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const higher = this.#entries.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return UNDEFINED_END;
    const floor = this.#entries[higher - 1];
    return { epoch: floor?.epoch ?? epoch, endOffset: this.#entries[higher]!.startOffset };
  }

  /** Drops entries starting at or after `endOffset` (the log was truncated to it). */
  truncateFromEnd(endOffset: Offset): boolean {
    const kept = this.#entries.filter((e) => e.startOffset < endOffset);
    const changed = kept.length !== this.#entries.length;
    this.#entries = kept;
    return changed;
  }

  /** The log now starts at `startOffset`: the epoch covering it starts there, older ones go. */
  truncateFromStart(startOffset: Offset): boolean {
    let covering = -1;
    for (let i = 0; i < this.#entries.length && this.#entries[i]!.startOffset <= startOffset; i++) covering = i;
    if (covering < 0 || (covering === 0 && this.#entries[0]!.startOffset === startOffset)) return false;
    const moved = { epoch: this.#entries[covering]!.epoch, startOffset };
    this.#entries = [moved, ...this.#entries.slice(covering + 1)];
    return true;
  }
}

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

export async function readEpochCheckpoint(path: string): Promise<EpochEntry[]> {
  const rows = (await readCheckpoint(path, 2)) ?? [];
  return rows.map(([epoch, start]) => ({ epoch: epoch! as LeaderEpoch, startOffset: offset(start!) }));
}

export function writeEpochCheckpoint(path: string, entries: readonly EpochEntry[]): Promise<void> {
  return writeCheckpoint(
    path,
    entries.map((e) => [e.epoch, e.startOffset]),
  );
}
