/** Polls `cond` until true; rejects after `maxMs` so a broken retry fails the test instead of hanging it. */
export async function until(cond: () => boolean | Promise<boolean>, maxMs = 5000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${maxMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
