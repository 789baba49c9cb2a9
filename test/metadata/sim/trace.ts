// The event trace: the last events with what they did (printed when an invariant breaks), an
// optional sink for every event (--verbose), and a running hash so two runs compare cheaply. Lines
// are formatted only when read; the hash mixes the event's kind and time, never the notes.
import { type MetaEvent, formatMetaEvent } from './events.js';

interface Slot {
  timeMs: number;
  event: MetaEvent | undefined;
  notes: string[] | undefined;
}

const FNV_PRIME = 16777619;

export class MetaTrace {
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

  begin(timeMs: number, event: MetaEvent): void {
    this.end();
    const slot = this.ring[this.head] as Slot;
    this.head = (this.head + 1) % this.ring.length;
    if (this.count < this.ring.length) this.count++;
    slot.timeMs = timeMs;
    slot.event = event;
    slot.notes = undefined;
    this.current = slot;
    this.mix(timeMs);
    this.mix(event.kind.charCodeAt(0) * 64 + event.kind.length);
    this.mix(eventKey(event));
  }

  note(text: string): void {
    if (this.current !== undefined) (this.current.notes ??= []).push(text);
  }

  end(): void {
    if (this.current !== undefined && this.sink !== undefined) this.sink(formatSlot(this.current));
    this.current = undefined;
  }

  lastLines(): string[] {
    const lines: string[] = [];
    for (let k = this.count; k > 0; k--) lines.push(formatSlot(this.ring[(this.head - k + this.ring.length) % this.ring.length] as Slot));
    return lines;
  }

  private mix(n: number): void {
    this.hashState = Math.imul(this.hashState ^ (n & 0xffff), FNV_PRIME);
    this.hashState = Math.imul(this.hashState ^ (n >>> 16), FNV_PRIME);
  }
}

/** The ids an event is about, packed into one number for the hash. */
function eventKey(e: MetaEvent): number {
  switch (e.kind) {
    case 'deliver':
      return e.msg.from * 64 + e.msg.to + e.msg.term * 4096;
    case 'rpc':
      return e.rpc.from * 64 + e.rpc.to + e.rpc.seq * 4096;
    case 'reply':
      return e.reply.from * 64 + e.reply.to + e.reply.seq * 4096;
    case 'heal':
      return e.fault;
    default:
      return 'node' in e ? e.node : 'broker' in e ? e.broker : 0;
  }
}

function formatSlot(slot: Slot): string {
  const head = `${String(slot.timeMs).padStart(6)}ms ${slot.event === undefined ? '?' : formatMetaEvent(slot.event)}`;
  return slot.notes === undefined ? head : `${head}  | ${slot.notes.join('; ')}`;
}
