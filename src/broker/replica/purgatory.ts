// Kafka's purgatories: requests that wait for something a partition will do, not for a timer.
// An acks=all produce waits for the high-water mark to pass its batch; a fetch waits for enough
// bytes (committed bytes for a consumer, appended ones for a follower); both give up at their
// timeout or when the partition changes role.
//
// A waiter watches its partitions' events and re-checks its condition on each one, so there is
// no polling. The number of waiters is bounded by the connections and in-flight requests of the
// Kafka listener (limits.ts) and by the followers' one fetch at a time; `size` reports it.
import type { Partition, PartitionEvent } from './partition.js';

export class Purgatory {
  private waiting = 0;

  /** Waiters parked now. */
  get size(): number {
    return this.waiting;
  }

  /**
   * Resolves true once `ready()` holds, checked now and after each `events` of `partitions`, or
   * false at `timeoutMs`. `ready` must be cheap: it runs on every event of every partition watched.
   */
  waitFor(partitions: readonly Partition[], events: readonly PartitionEvent[], ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (timeoutMs <= 0 || partitions.length === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.waiting++;
      const unwatch: Array<() => void> = [];
      let done = false;
      const finish = (value: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unwatch) u();
        this.waiting--;
        resolve(value);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const onEvent = (event: PartitionEvent) => {
        if (events.includes(event) && ready()) finish(true);
      };
      for (const p of partitions) unwatch.push(p.watch(onEvent));
    });
  }
}
