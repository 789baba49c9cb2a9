// The replication simulation's trace: a ring of the last events (printed when an invariant breaks),
// an optional sink printing every event (--verbose), and a running hash of the event lines so two
// runs of one seed can be compared cheaply. Notes (what an event did) stay out of the hash.
import { type ReplEvent, formatEvent } from './events.js';

interface Slot {
  line: string;
  notes: string[] | undefined;
}

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

export class ReplTrace {
  private readonly ring: Slot[];
  private head = 0;
  private count = 0;
  private current: Slot | undefined;
  private hashState = FNV_OFFSET;

  constructor(capacity: number, private readonly sink: ((line: string) => void) | undefined) {
    this.ring = Array.from({ length: capacity }, () => ({ line: '', notes: undefined }));
  }

  get hash(): number {
    return this.hashState >>> 0;
  }

  begin(timeMs: number, event: ReplEvent): void {
    this.end();
    const slot = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    slot.line = `${String(timeMs).padStart(6)}ms ${formatEvent(event)}`;
    slot.notes = undefined;
    this.current = slot;
    this.mix(slot.line);
  }

  /** Attaches what the current event did ("b2 leads p0 e4", "ack p1 [3..5]"). */
  note(text: string): void {
    if (this.current !== undefined) (this.current.notes ??= []).push(text);
  }

  /** Flushes the current event to the verbose sink. */
  end(): void {
    if (this.current !== undefined && this.sink !== undefined) this.sink(formatSlot(this.current));
    this.current = undefined;
  }

  /** The last events, oldest first. */
  lastLines(): string[] {
    const lines: string[] = [];
    for (let k = this.count; k > 0; k--) lines.push(formatSlot(this.ring[(this.head - k + this.ring.length) % this.ring.length]!));
    return lines;
  }

  private mix(text: string): void {
    let h = this.hashState;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
    this.hashState = h;
  }
}

const formatSlot = (slot: Slot): string => (slot.notes === undefined ? slot.line : `${slot.line}  | ${slot.notes.join('; ')}`);
