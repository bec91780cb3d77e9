/**
 * Open-loop pacing: batch `i` (of `batchSize` events) may leave at
 * `startMs + i * batchSize / rate` seconds, so a slow answer is caught up
 * afterwards rather than lowering the average rate.
 */
export function dueAtMs(startMs: number, eventsBefore: number, ratePerSec: number): number {
  return startMs + (eventsBefore / ratePerSec) * 1000;
}

/** How long to wait before retrying a refused batch: the server's Retry-After, else exponential from 250 ms, at most 10 s. */
export function retryDelayMs(attempt: number, retryAfterHeader: string | null): number {
  const seconds = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 10_000);
  return Math.min(250 * 2 ** attempt, 10_000);
}

/** Nearest-rank percentile of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
