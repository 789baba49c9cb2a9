// The event trace every simulator keeps: a ring of the last events with what they did (printed when
// an invariant breaks), an optional sink printing every event (--verbose), and a running hash of
// the events so two runs of one seed compare cheaply. Lines are formatted only when read.
//
// Each simulator says what of its events the hash mixes (TraceEvents.hash). The mixes differ, and
// stay as they are, because tests and replays pin the hashes they give. Notes (what an event did)
// stay out of the hash: --verbose adds some, and must not change it.

/** How one simulator's events go into the trace. */
export interface TraceEvents<E> {
  /** The event as its trace line shows it, after the time. */
  readonly format: (event: E) => string;
  /** Mixes what identifies the event, begun at `timeMs`, into the run's hash. */
  readonly hash: (hash: TraceHash, timeMs: number, event: E) => void;
}

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

/** FNV-1a over 16-bit units (not bytes): a number mixes as two, a string as its UTF-16 code units. */
export class TraceHash {
  private state = FNV_OFFSET;

  get value(): number {
    return this.state >>> 0;
  }

  /** Mixes an integer in [0, 2^32), low 16 bits first. */
  number(n: number): void {
    this.unit(n & 0xffff);
    this.unit(n >>> 16);
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.unit(s.charCodeAt(i));
  }

  private unit(u: number): void {
    this.state = Math.imul(this.state ^ u, FNV_PRIME);
  }
}

/** A trace line without its notes: the time, right-aligned, then the event. */
export const traceLine = (timeMs: number, text: string): string => `${String(timeMs).padStart(6)}ms ${text}`;

interface Slot<E> {
  timeMs: number;
  event: E | undefined;
  notes: string[] | undefined;
}

export class SimTrace<E> {
  private readonly ring: Slot<E>[];
  private head = 0;
  private count = 0;
  private current: Slot<E> | undefined;
  private readonly hashState = new TraceHash();

  constructor(capacity: number, private readonly sink: ((line: string) => void) | undefined, private readonly events: TraceEvents<E>) {
    this.ring = Array.from({ length: capacity }, () => ({ timeMs: 0, event: undefined, notes: undefined }));
  }

  get hash(): number {
    return this.hashState.value;
  }

  /** Whether every event is printed: notes that only a reader wants can be skipped otherwise. */
  get verbose(): boolean {
    return this.sink !== undefined;
  }

  /** Ends the current event and starts `event`; the ring keeps a reference, not a copy. */
  begin(timeMs: number, event: E): void {
    this.end();
    const slot = this.ring[this.head] as Slot<E>;
    this.head = (this.head + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    slot.timeMs = timeMs;
    slot.event = event;
    slot.notes = undefined;
    this.current = slot;
    this.events.hash(this.hashState, timeMs, event);
  }

  /** Attaches what the current event did ("crash 3", "ack p1 [3..5]"). */
  note(text: string): void {
    if (this.current !== undefined) (this.current.notes ??= []).push(text);
  }

  /** Flushes the current event to the verbose sink. */
  end(): void {
    if (this.current !== undefined && this.sink !== undefined) this.sink(this.line(this.current));
    this.current = undefined;
  }

  /** The last events, oldest first. */
  lastLines(): string[] {
    const lines: string[] = [];
    for (let k = this.count; k > 0; k--) lines.push(this.line(this.ring[(this.head - k + this.ring.length) % this.ring.length] as Slot<E>));
    return lines;
  }

  private line(slot: Slot<E>): string {
    const head = traceLine(slot.timeMs, slot.event === undefined ? '?' : this.events.format(slot.event));
    return slot.notes === undefined ? head : `${head}  | ${slot.notes.join('; ')}`;
  }
}
