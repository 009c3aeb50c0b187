export interface WaitOptions {
  /** What is being waited for, quoted in the timeout error (default: the probe's source). */
  what?: string;
  /** Give up after this long (default 30 s: a hang guard; a clean-clone CI run on a loaded machine took 10x an idle run's time for some waits). */
  timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  intervalMs?: number;
}

type Pending = undefined | null | false;

/**
 * Polls `probe` until it returns a value other than `undefined`, `null` or `false`, and
 * returns that value. Errors thrown by the probe count as "not yet" (a resource that does
 * not exist yet is the usual case); the last one is quoted when the wait times out.
 */
export async function waitFor<T>(probe: () => T | Pending | Promise<T | Pending>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = opts.what ?? summarize(probe.toString());
      const cause = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function summarize(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}
