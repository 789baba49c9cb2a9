// Tests wait on conditions, never on fixed sleeps: poll until `condition` holds, or fail after a
// deadline generous enough for a slow, loaded machine. A condition that throws counts as "not
// yet" (a node still starting, say); the last error is reported if time runs out.
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, pollMs = 10): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > giveUpAt) {
      const why = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
