// Runs async operations one at a time in call order: a log's appends, reads and truncations must
// not interleave (a read racing a truncation could read a closed or shortened file).
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    // A failed operation must not poison the ones queued behind it.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
