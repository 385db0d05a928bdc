/** Polls `f` until it returns something truthy (and returns that), or fails after `ms`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined | false>,
  ms = 240_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
