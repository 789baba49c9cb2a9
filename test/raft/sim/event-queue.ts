// A discrete-event queue: a binary min-heap ordered by simulated time, ties broken by insertion
// sequence so that two events at the same instant always run in the order they were scheduled.
// That tie-break is what makes a run a pure function of its seed.

/** A binary heap never has this many levels (2^64 slots), so the sift loops are bounded by it. */
const HEAP_LEVELS_MAX = 64;

interface Slot<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly event: T;
}

export class EventQueue<T> {
  private readonly heap: Slot<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timeMs: number, event: T): void {
    this.heap.push({ timeMs, seq: this.nextSeq++, event });
    this.siftUp(this.heap.length - 1);
  }

  /** The earliest event and its time, or undefined when the queue is empty. */
  pop(): { timeMs: number; event: T } | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop() as Slot<T>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return { timeMs: top.timeMs, event: top.event };
  }

  private less(a: Slot<T>, b: Slot<T>): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let i = start;
    for (let level = 0; level < HEAP_LEVELS_MAX && i > 0; level++) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i] as Slot<T>, heap[parent] as Slot<T>)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    for (let level = 0; level < HEAP_LEVELS_MAX; level++) {
      const left = 2 * i + 1;
      const right = left + 1;
      let min = i;
      if (left < n && this.less(heap[left] as Slot<T>, heap[min] as Slot<T>)) min = left;
      if (right < n && this.less(heap[right] as Slot<T>, heap[min] as Slot<T>)) min = right;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const t = heap[a] as Slot<T>;
    heap[a] = heap[b] as Slot<T>;
    heap[b] = t;
  }
}
