import type { RedisClient } from '@storeloop/feature-store';

/** `degradedReason` of an answer built without the feature store (body field; the header and metric label are derived from it). */
export const DEGRADED_REASON = 'FEATURE_STORE_UNAVAILABLE' as const;
export type DegradedReason = typeof DEGRADED_REASON;

/** Response header naming why an answer is degraded (`feature-store-unavailable`). */
export const DEGRADED_HEADER = 'Storeloop-Degraded';
export const degradedHeaderValue = (reason: DegradedReason) => reason.toLowerCase().replace(/_/g, '-');
export const degradedMetricReason = (reason: DegradedReason) => reason.toLowerCase();

/** A feature store read was not tried (connection down, recent failure) or did not answer in time. */
export class FeatureStoreUnavailable extends Error {
  readonly reason: DegradedReason = DEGRADED_REASON;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeatureStoreUnavailable';
  }
}

export interface FeatureStoreGateOptions {
  /** A read not answered within this is abandoned (INFERENCE_REDIS_DEADLINE_MS). */
  deadlineMs: number;
  /** After a failed read, reads are not tried for this long (INFERENCE_REDIS_RETRY_MS); 0: every request tries. */
  retryMs: number;
  now?: () => number;
  /** Told when reads start failing (once per outage) and when one succeeds again. */
  onChange?: (available: boolean, detail: string) => void;
}

/** Reads abandoned because another one failed: the gate is already tripped. */
const givenUp = new WeakSet<Error>();

/**
 * Errors of our own code, not of the store: they still fail the request (a
 * 500 logged with its stack) rather than hide as a degraded answer.
 */
function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError;
}

/**
 * The degrade decision for feature store reads on the request path. A read is
 * tried only when the client's connection is up and no read failed in the last
 * `retryMs`; it is abandoned after `deadlineMs` (ioredis would otherwise keep a
 * command for REDIS_COMMAND_TIMEOUT_MS, and queue it offline for as long as it
 * reconnects). Any failure opens the gate for `retryMs`, so during an outage
 * requests skip Redis at once; then a single read (the others keep skipping
 * while it is pending), bounded by the deadline, finds out whether Redis is
 * back. Callers answer from memory, marked degraded, or refuse with 503 when
 * they cannot.
 */
export class FeatureStoreGate {
  private closedUntil = 0;
  private failing = false;
  private probing = false;
  private lastFailure: string | null = null;
  private readonly now: () => number;
  /** Reads in flight: one that fails or is late gives up on the others (one connection answers in order: they are behind it). */
  private readonly inFlight = new Set<(why: string) => void>();

  constructor(
    private readonly redis: Pick<RedisClient, 'status'>,
    private readonly options: FeatureStoreGateOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Why a read would not be tried now; null when it would. */
  skipReason(): string | null {
    if (this.redis.status !== 'ready') return `redis connection is ${this.redis.status}`;
    if (this.now() < this.closedUntil) return `a read failed ${this.options.retryMs} ms ago or less (${this.lastFailure}); not retried yet`;
    if (this.probing) return `a read is checking whether redis is back (last failure: ${this.lastFailure})`;
    return null;
  }

  get available(): boolean {
    return this.skipReason() === null;
  }

  /** Seconds a client should wait before asking again (the `Retry-After` of a 503). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.options.retryMs / 1000));
  }

  /** Runs `read` within the deadline; throws FeatureStoreUnavailable when it is skipped, fails or is late. */
  async read<T>(read: () => Promise<T>): Promise<T> {
    const skip = this.skipReason();
    if (skip) {
      this.noteFailing(skip);
      throw new FeatureStoreUnavailable(skip);
    }
    // After a failure the first read is the probe; the rest skip until it settles.
    const probe = this.failing && this.options.retryMs > 0;
    if (probe) this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    let giveUp!: (why: string) => void;
    let pending: Promise<T>;
    try {
      pending = read();
    } catch (error) {
      if (probe) this.probing = false;
      throw error;
    }
    const deadline = new Promise<never>((_, reject) => {
      giveUp = (why) => {
        const error = new FeatureStoreUnavailable(`given up: an earlier read failed (${why})`);
        givenUp.add(error);
        reject(error);
      };
      // setImmediate: after a busy event loop, timers run before pending I/O is read; a reply that already
      // arrived is taken first, so the deadline counts Redis's time, not our own event-loop lag.
      timer = setTimeout(() => setImmediate(() => reject(new FeatureStoreUnavailable(`no answer from redis within ${this.options.deadlineMs} ms`))), this.options.deadlineMs);
    });
    this.inFlight.add(giveUp);
    try {
      const value = await Promise.race([pending, deadline]);
      this.closedUntil = 0;
      if (this.failing) {
        this.failing = false;
        this.options.onChange?.(true, 'a feature store read succeeded: answers are normal again');
      }
      return value;
    } catch (error) {
      // The abandoned command still settles later (its reply, or ioredis's own timeout): nobody waits for it.
      pending.catch(() => undefined);
      if (isProgrammingError(error)) throw error;
      const failure = error instanceof FeatureStoreUnavailable ? error : new FeatureStoreUnavailable(`redis read failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      if (!givenUp.has(failure)) this.trip(failure.message);
      throw failure;
    } finally {
      this.inFlight.delete(giveUp);
      clearTimeout(timer);
      if (probe) this.probing = false;
    }
  }

  /** Records a failed read: reads are skipped for `retryMs`. */
  trip(why: string): void {
    this.lastFailure = why;
    this.closedUntil = this.now() + this.options.retryMs;
    this.noteFailing(why);
    const others = [...this.inFlight];
    this.inFlight.clear();
    for (const giveUp of others) giveUp(why);
  }

  private noteFailing(why: string): void {
    if (this.failing) return;
    this.failing = true;
    this.lastFailure = why;
    this.options.onChange?.(false, why);
  }
}
