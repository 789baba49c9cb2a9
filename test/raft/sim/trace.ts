// The event trace: a ring buffer of the last events (printed when an invariant breaks), an optional
// sink that prints every event (--verbose), and a running hash so two runs can be compared cheaply.
// Lines are formatted only when someone reads them; the hot path stores references.
import { type SimEvent, formatEvent } from './events.js';

interface Slot {
  timeMs: number;
  event: SimEvent | undefined;
  notes: string[] | undefined;
}

const FNV_PRIME = 16777619;

export class Trace {
  private readonly ring: Slot[];
  private head = 0;
  private count = 0;
  private current: Slot | undefined;
  private hashState = 2166136261;

  constructor(capacity: number, private readonly sink: ((line: string) => void) | undefined) {
    this.ring = Array.from({ length: capacity }, () => ({ timeMs: 0, event: undefined, notes: undefined }));
  }

  get hash(): number {
    return this.hashState >>> 0;
  }

  get verbose(): boolean {
    return this.sink !== undefined;
  }

  begin(timeMs: number, event: SimEvent): void {
    this.end();
    const slot = this.ring[this.head] as Slot;
    this.head = (this.head + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    slot.timeMs = timeMs;
    slot.event = event;
    slot.notes = undefined;
    this.current = slot;
    this.mix(timeMs);
    this.mixEvent(event);
  }

  /** Attaches what the event did ("crash 3", "refused: not-leader 2") to the current event. */
  note(text: string): void {
    const slot = this.current;
    if (slot === undefined) return;
    // Notes stay out of the hash: --verbose adds some (dropped messages), and must not change it.
    (slot.notes ??= []).push(text);
  }

  /** Flushes the current event to the verbose sink. */
  end(): void {
    if (this.current !== undefined && this.sink !== undefined) this.sink(formatSlot(this.current));
    this.current = undefined;
  }

  /** The last events, oldest first. */
  lastLines(): string[] {
    const lines: string[] = [];
    for (let k = this.count; k > 0; k--) {
      const slot = this.ring[(this.head - k + this.ring.length) % this.ring.length] as Slot;
      lines.push(formatSlot(slot));
    }
    return lines;
  }

  private mixEvent(e: SimEvent): void {
    this.mix(e.kind.charCodeAt(0) + e.kind.length);
    if (e.kind === 'deliver') {
      const m = e.msg;
      this.mix(m.from * 64 + m.to);
      this.mix(m.type.charCodeAt(0) + m.type.length * 7);
      this.mix(m.term);
    } else if (e.kind === 'tick' || e.kind === 'restart' || e.kind === 'disk' || e.kind === 'hunt') {
      this.mix(e.node);
    } else if (e.kind === 'client' || e.kind === 'timeout') {
      this.mix(e.client * 1024 + e.op);
    }
  }

  private mix(n: number): void {
    this.hashState = Math.imul(this.hashState ^ (n & 0xffff), FNV_PRIME);
    this.hashState = Math.imul(this.hashState ^ (n >>> 16), FNV_PRIME);
  }
}

function formatSlot(slot: Slot): string {
  const head = `${String(slot.timeMs).padStart(6)}ms ${slot.event === undefined ? '?' : formatEvent(slot.event)}`;
  return slot.notes === undefined ? head : `${head}  | ${slot.notes.join('; ')}`;
}
