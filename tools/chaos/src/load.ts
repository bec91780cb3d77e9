import type { StoreloopEvent } from '@storeloop/contracts';

export interface LoadOptions {
  url: string;
  apiKey: string;
  batchSize: number;
  clients: number;
  /** Events per second over all clients; 0: as fast as the service answers. */
  rate: number;
  /** Per request; a request past it is abandoned and sent again. */
  timeoutMs: number;
}

export interface LoadStats {
  /** Events in batches answered 202. */
  acknowledged: number;
  batches: number;
  /** Requests sent again after an error answer, a timeout or a refused connection. */
  retries: number;
  /** Answers and failures that led to a retry, by status (or `network`, `timeout`). */
  failures: Record<string, number>;
  /** Items the service rejected as invalid (the stream is valid: must stay 0). */
  rejected: number;
  duplicates: number;
  /** Wall-clock ms of the last 202. */
  lastAckAt: number;
}

/**
 * A client that retries: batches of the stream go out in order from a shared
 * cursor over `clients` connections, each batch sent again (same bytes, same
 * event ids) until it is answered 202, on 429/503 after the Retry-After the
 * service names, on any other failure after a capped exponential backoff.
 * Only a 202 counts an event as acknowledged.
 */
export class RetryingLoad {
  readonly stats: LoadStats = { acknowledged: 0, batches: 0, retries: 0, failures: {}, rejected: 0, duplicates: 0, lastAckAt: 0 };
  private cursor = 0;
  private readonly listeners: ((acknowledged: number) => void)[] = [];
  private paused?: Promise<void>;
  private resume?: () => void;
  private stopped = false;
  private readonly started = Date.now();

  constructor(
    private readonly events: readonly StoreloopEvent[],
    private readonly options: LoadOptions,
    private readonly acknowledged: (events: readonly StoreloopEvent[]) => void = () => undefined,
  ) {}

  /** Called after every acknowledged batch with the running total. */
  onAck(listener: (acknowledged: number) => void): void {
    this.listeners.push(listener);
  }

  /** Holds new batches back (requests in flight finish) until `unpause`. */
  pause(): void {
    this.paused ??= new Promise((resolve) => (this.resume = resolve));
  }

  unpause(): void {
    this.resume?.();
    this.paused = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.unpause();
  }

  /** Set when a client gave up (a valid batch refused): the run is void. */
  failure?: Error;

  async run(): Promise<LoadStats> {
    try {
      await Promise.all(Array.from({ length: this.options.clients }, () => this.client()));
    } catch (error) {
      this.failure = error as Error;
      this.stop();
      throw error;
    }
    return this.stats;
  }

  private async client(): Promise<void> {
    for (;;) {
      if (this.paused) await this.paused;
      if (this.stopped || this.cursor >= this.events.length) return;
      const start = this.cursor;
      const end = Math.min(this.events.length, start + this.options.batchSize);
      this.cursor = end;
      if (this.options.rate > 0) {
        // Open loop: batch i is due at start + i·size/rate, whatever earlier answers took.
        const due = this.started + (start / this.options.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const batch = this.events.slice(start, end);
      await this.deliver(batch);
      this.acknowledged(batch);
      this.stats.acknowledged += batch.length;
      this.stats.batches += 1;
      this.stats.lastAckAt = Date.now();
      for (const listener of this.listeners) listener(this.stats.acknowledged);
    }
  }

  private async deliver(batch: readonly StoreloopEvent[]): Promise<void> {
    const body = JSON.stringify(batch);
    let backoff = 100;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries += 1;
      let reason: string;
      let retryAfterMs = 0;
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Api-Key': this.options.apiKey },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        const text = await response.text();
        if (response.status === 202) {
          const answer = JSON.parse(text) as { accepted: number; duplicates: number; rejected: unknown[] };
          this.stats.rejected += answer.rejected.length;
          this.stats.duplicates += answer.duplicates;
          return;
        }
        reason = String(response.status);
        const after = Number(response.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) retryAfterMs = after * 1000;
        if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 408) {
          throw new Error(`ingestion refused a valid batch with ${response.status}: ${text.slice(0, 500)}`);
        }
      } catch (error) {
        if ((error as Error).message.startsWith('ingestion refused')) throw error;
        reason = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      }
      this.stats.failures[reason] = (this.stats.failures[reason] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, Math.max(retryAfterMs, backoff)));
      backoff = Math.min(backoff * 2, 2_000);
    }
  }
}
