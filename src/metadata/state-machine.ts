// The metadata log's state machine on RaftNode: every node (controller or broker) replays the same
// committed record batches in the same order into its MetadataImage, and tells publishers (the
// controller, the broker's replica manager, tests) about each new image with what changed.
//
// Two kinds of bad entry, handled differently on purpose:
// - bytes that do not decode as a record batch stop the node with an error naming the log index
//   (MetadataDecodeError): nothing of the entry is applied, and going on would skip facts;
// - a batch that decodes but does not fit the image (MetadataReplayError: a controller bug) is
//   refused whole, the same way on every node since replay is deterministic, so all images stay
//   equal; it is logged and counted, and the proposer gets the refusal as its result.
import type { Entry, LogIndex, Snapshot } from '../raft/core/types.js';
import type { StateMachine } from '../raft/state-machine.js';
import { logger, type Logger } from '../util/log.js';
import { MetadataDelta, MetadataReplayError, type MetadataChanges } from './delta.js';
import { EMPTY_IMAGE, type MetadataImage } from './image.js';
import { RecordDecodeError, decodeBatch } from './records.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';

/** An entry of the metadata log that is not a record batch. Fatal: the node stops. */
export class MetadataDecodeError extends Error {
  override readonly name = 'MetadataDecodeError';
  readonly code = 'METADATA_DECODE';
  constructor(readonly index: LogIndex, readonly reason: string, options?: { cause?: unknown }) {
    super(`metadata log entry at index ${index} does not decode: ${reason}; stopping rather than skipping it`, options);
  }
}

/** What applying one batch did: the new image offset, or why the batch was refused. */
export type ApplyOutcome = { readonly ok: true; readonly offset: LogIndex } | { readonly ok: false; readonly reason: string };

/** `changes` is undefined for a whole new image (a snapshot was loaded): treat everything as changed. */
export type MetadataListener = (image: MetadataImage, changes: MetadataChanges | undefined) => void;

export class MetadataStateMachine implements StateMachine<ApplyOutcome> {
  private current: MetadataImage = EMPTY_IMAGE;
  private readonly listeners = new Set<MetadataListener>();
  private refusedBatches = 0;
  private readonly log: Logger;

  constructor(options: { log?: Logger } = {}) {
    this.log = options.log ?? logger('metadata');
  }

  /** The newest image. A reader should hold one image for the whole of a request. */
  get image(): MetadataImage {
    return this.current;
  }

  get refused(): number {
    return this.refusedBatches;
  }

  /** Calls `listener` after every new image; returns the unsubscribe function. */
  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(entry: Entry): ApplyOutcome {
    let records;
    try {
      records = decodeBatch(entry.data);
    } catch (error) {
      if (error instanceof RecordDecodeError) throw new MetadataDecodeError(entry.index, error.reason, { cause: error });
      throw error;
    }
    const delta = new MetadataDelta(this.current);
    try {
      for (const record of records) delta.replay(record, entry.index);
    } catch (error) {
      if (!(error instanceof MetadataReplayError)) throw error;
      this.refusedBatches++;
      this.log.error({ index: entry.index, record: error.record.type, reason: error.reason }, 'metadata batch refused whole: it does not fit the image (a controller bug); every node refuses it alike');
      return { ok: false, reason: error.message };
    }
    const { image, changes } = delta.apply();
    this.publish(image, changes);
    return { ok: true, offset: entry.index };
  }

  snapshot(appliedIndex: LogIndex): Uint8Array {
    return encodeSnapshot(this.current, appliedIndex);
  }

  restore(snapshot: Snapshot): void {
    let image: MetadataImage;
    try {
      image = snapshot.data.length === 0 ? EMPTY_IMAGE : decodeSnapshot(snapshot.data);
    } catch (error) {
      throw new MetadataDecodeError(snapshot.meta.index, `snapshot: ${(error as Error).message}`, { cause: error });
    }
    this.publish(image, undefined);
  }

  private publish(image: MetadataImage, changes: MetadataChanges | undefined): void {
    this.current = image;
    for (const listener of this.listeners) {
      try {
        listener(image, changes);
      } catch (error) {
        this.log.warn({ err: error }, 'metadata listener threw');
      }
    }
  }
}
