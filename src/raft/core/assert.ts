// Assertions guard invariants of the core. A failed one is a bug, not an operating error: it throws
// AssertionError, and the driver treats that as fatal rather than carrying on with corrupt state.
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}
