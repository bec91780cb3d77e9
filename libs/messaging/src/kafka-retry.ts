import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@storeloop/observability';
import { isTransientFailure } from './transient';

export interface KafkaRetryOptions {
  /** Tries in all (default 10: about 30 s with the default delays). */
  attempts?: number;
  /** First pause; doubles up to 5 s. */
  delayMs?: number;
  logger?: Logger;
}

/**
 * Runs a one-off Kafka call (an admin request at start, say) again while it
 * fails with an error Kafka marks retriable, such as NOT_LEADER_OR_FOLLOWER
 * while a restarted broker elects leaders. kafkajs retries requests inside a
 * client, not a whole admin call that met a stale leader; without this a
 * service starting during a broker restart exits. A failure kafkajs marks not
 * retriable after its own retries, but whose cause is a refused connection or
 * another transient one (see isTransientFailure), is tried again as well.
 * Other errors (authorization, a bad request) are thrown at once.
 */
export async function retryKafkaCall<T>(what: string, call: () => Promise<T>, options: KafkaRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 10;
  let delay = options.delayMs ?? 200;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const flagged = Boolean(error && typeof error === 'object' && (error as { retriable?: unknown }).retriable === true);
      const retriable = flagged || isTransientFailure(error);
      if (!retriable || attempt >= attempts) throw error;
      options.logger?.warn({ err: error, attempt, attempts, delayMs: delay }, `${what}: transient Kafka error, trying again`);
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}
