// The sparse indexes of a segment, held in memory and mirrored to files:
//   .index      entries of (relativeOffset int32, position int32): a batch starting at that offset
//               sits at that byte position of the .log file
//   .timeindex  entries of (timestamp int64, relativeOffset int32): no record up to and including
//               that offset has a timestamp above it (the largest timestamp so far, and where it was)
// Offsets are relative to the segment's base offset so they fit in 32 bits, as in Kafka.
export const OFFSET_ENTRY_BYTES = 8;
export const TIME_ENTRY_BYTES = 12;

export interface OffsetEntry {
  readonly relativeOffset: number;
  readonly position: number;
}

export interface TimeEntry {
  readonly timestamp: number;
  readonly relativeOffset: number;
}

export function encodeOffsetEntries(entries: readonly OffsetEntry[]): Buffer {
  const buf = Buffer.alloc(entries.length * OFFSET_ENTRY_BYTES);
  entries.forEach((e, i) => {
    buf.writeInt32BE(e.relativeOffset, i * OFFSET_ENTRY_BYTES);
    buf.writeInt32BE(e.position, i * OFFSET_ENTRY_BYTES + 4);
  });
  return buf;
}

export function encodeTimeEntries(entries: readonly TimeEntry[]): Buffer {
  const buf = Buffer.alloc(entries.length * TIME_ENTRY_BYTES);
  entries.forEach((e, i) => {
    buf.writeBigInt64BE(BigInt(e.timestamp), i * TIME_ENTRY_BYTES);
    buf.writeInt32BE(e.relativeOffset, i * TIME_ENTRY_BYTES + 8);
  });
  return buf;
}

/** The entries of an .index file, or undefined when they cannot describe a log of `logBytes`. */
export function decodeOffsetEntries(buf: Buffer, logBytes: number): OffsetEntry[] | undefined {
  if (buf.length % OFFSET_ENTRY_BYTES !== 0) return undefined;
  const out: OffsetEntry[] = [];
  for (let at = 0; at < buf.length; at += OFFSET_ENTRY_BYTES) {
    const e = { relativeOffset: buf.readInt32BE(at), position: buf.readInt32BE(at + 4) };
    const prev = out.at(-1);
    if (e.relativeOffset < 0 || e.position < 0 || e.position >= logBytes) return undefined;
    if (prev !== undefined && (e.relativeOffset <= prev.relativeOffset || e.position <= prev.position)) return undefined;
    out.push(e);
  }
  return out;
}

/** The entries of a .timeindex file, or undefined when they are out of order. */
export function decodeTimeEntries(buf: Buffer): TimeEntry[] | undefined {
  if (buf.length % TIME_ENTRY_BYTES !== 0) return undefined;
  const out: TimeEntry[] = [];
  for (let at = 0; at < buf.length; at += TIME_ENTRY_BYTES) {
    const ts = buf.readBigInt64BE(at);
    if (ts > BigInt(Number.MAX_SAFE_INTEGER) || ts < BigInt(Number.MIN_SAFE_INTEGER)) return undefined;
    const e = { timestamp: Number(ts), relativeOffset: buf.readInt32BE(at + 8) };
    const prev = out.at(-1);
    if (e.relativeOffset < 0) return undefined;
    if (prev !== undefined && (e.timestamp <= prev.timestamp || e.relativeOffset < prev.relativeOffset)) return undefined;
    out.push(e);
  }
  return out;
}

/** The index of the last element for which `below` holds (a sorted prefix), or -1. */
function lastWhere<T>(items: readonly T[], below: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (below(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The byte position to start looking for `relativeOffset` from: the last entry at or below it, or 0. */
export function floorPosition(entries: readonly OffsetEntry[], relativeOffset: number): number {
  const i = lastWhere(entries, (e) => e.relativeOffset <= relativeOffset);
  return i < 0 ? 0 : entries[i]!.position;
}

/** The last time entry strictly below `timestamp`: every record up to its offset is earlier. */
export function lastTimeEntryBelow(entries: readonly TimeEntry[], timestamp: number): TimeEntry | undefined {
  const i = lastWhere(entries, (e) => e.timestamp < timestamp);
  return i < 0 ? undefined : entries[i];
}
