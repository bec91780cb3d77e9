import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerCrashEvent } from 'kafkajs';
import type { Logger } from '@storeloop/observability';

export interface CrashRecoveryOptions {
  consumer: Consumer;
  groupId: string;
  /** Runs the consumer again with its original configuration (`consumer.run(config)`). */
  run: () => Promise<void>;
  logger: Logger;
  /** First wait before a restart, doubling to 30 s while restarts fail. */
  initialDelayMs?: number;
  /** Called once per successful restart (a metric). */
  onRestarted?: () => void;
  /** Called at every crash and every restart attempt: the consumer is not hung, it is failing and being restarted. */
  onActivity?: () => void;
}

/**
 * kafkajs restarts a consumer after a crash only when the error is
 * retriable. After any other (KafkaJSGroupCoordinatorNotFound while a
 * restarted broker still loads its offsets topic, a protocol error it has no
 * rule for, a TypeError) it disconnects and stays so: the process keeps
 * running and the group has lost a member for good, its partitions unread.
 * This connects and runs such a consumer again, with growing waits while
 * that fails, until `stop`.
 */
export class CrashRecovery {
  /** Crashes kafkajs left for good, counted so a restart attempt can tell it crashed again. */
  private abandoned = 0;
  private recovering?: Promise<void>;
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(private readonly options: CrashRecoveryOptions) {
    options.consumer.on(options.consumer.events.CRASH, ({ payload }: ConsumerCrashEvent) => {
      options.onActivity?.();
      if (payload.restart || this.stopped) return;
      this.abandoned++;
      this.recover(payload.error);
    });
  }

  /** No restart from now on; waits for one in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.recovering;
  }

  private recover(error: Error): void {
    if (this.recovering) return;
    const { consumer, groupId, logger } = this.options;
    logger.error({ err: error, group: groupId }, 'consumer crashed and kafkajs does not restart it: restarting it');
    const initial = this.options.initialDelayMs ?? 1_000;
    this.recovering = (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        const waited = await sleep(Math.min(initial * 2 ** attempt, 30_000), true, { signal: this.stopping.signal }).catch(() => false);
        if (!waited || this.stopped) return;
        const crashesBefore = this.abandoned;
        this.options.onActivity?.();
        try {
          await consumer.connect();
          // Resolves once the group is joined, or after the join itself crashed (counted by the listener).
          await this.options.run();
          if (this.abandoned === crashesBefore) {
            this.options.onRestarted?.();
            logger.warn({ group: groupId, attempt: attempt + 1 }, 'consumer restarted after a crash');
            return;
          }
        } catch (restartError) {
          logger.warn({ err: restartError, group: groupId, attempt: attempt + 1 }, 'consumer restart failed; trying again');
        }
        await consumer.disconnect().catch(() => undefined);
      }
    })().finally(() => {
      this.recovering = undefined;
    });
  }
}
