/**
 * Poll `check` every `intervalMs` until it returns something truthy and resolve with it; reject naming `what`
 * after `timeoutMs`. For waiting on real processes (tests, start-up) without fixed sleeps.
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
