import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { READINESS_PROBES, ROOT_LOGGER, type Logger, type ReadinessProbe } from '@storeloop/observability';
import type { ReplenishmentSettings } from '../config';
import { REPLENISHMENT_SETTINGS } from '../tokens';
import { ReviewService, type ReviewRunSummary } from './review-service';
import { missedDailyReview, nextReviewAt, type ReviewSchedule } from './schedule';

/** Wait before catching up a missed daily review at boot, so the activity consumer sees the latest events first. */
const CATCH_UP_DELAY_MS = 30_000;

/**
 * Runs a review of every active pair at REPLENISHMENT_REVIEW_TIME_UTC each
 * day (or every REPLENISHMENT_REVIEW_INTERVAL_MS). Every replica schedules;
 * the review lease lets one of them run it. A daily review missed today
 * (every replica was down at the time) runs shortly after boot.
 */
@Injectable()
export class ReviewScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;
  private readonly shutdown = new AbortController();
  private nextAt?: number;
  private last?: { at: string; summary: ReviewRunSummary };

  constructor(
    private readonly reviews: ReviewService,
    @Inject(REPLENISHMENT_SETTINGS) private readonly settings: ReplenishmentSettings,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
    @Inject(READINESS_PROBES) probes: ReadinessProbe[],
  ) {
    // Informational: /health/ready shows when the last review ran and what it did.
    probes.push({ name: 'review', check: async () => ({ lastReview: this.last ?? null, nextReviewAt: this.nextAt ? new Date(this.nextAt).toISOString() : null }) });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.schedule(await this.missedToday().catch(() => false));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  private get reviewSchedule(): ReviewSchedule {
    return { timeUtc: this.settings.REPLENISHMENT_REVIEW_TIME_UTC, intervalMs: this.settings.REPLENISHMENT_REVIEW_INTERVAL_MS };
  }

  /** Today's daily review time has passed and no complete review of today is recorded. */
  private async missedToday(): Promise<boolean> {
    return missedDailyReview(this.reviewSchedule, Date.now(), await this.reviews.lastReviewedPeriod());
  }

  private schedule(catchUp = false): void {
    if (this.stopped) return;
    const now = Date.now();
    const at = catchUp
      ? now + CATCH_UP_DELAY_MS
      : nextReviewAt(this.reviewSchedule, now);
    if (catchUp) this.logger.warn({ at: new Date(at).toISOString() }, "today's review was missed; catching up");
    this.nextAt = at;
    this.logger.debug({ at: new Date(at).toISOString() }, 'next review scheduled');
    this.timer = setTimeout(() => {
      const startedAt = new Date().toISOString();
      this.running = this.reviews
        .reviewAll(Date.now(), this.shutdown.signal)
        .then((summary) => {
          if (summary) this.last = { at: startedAt, summary };
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'review failed; the next scheduled review tries again'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, at - now);
  }
}
