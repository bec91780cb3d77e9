const DAY_MS = 86_400_000;

/**
 * A review period is one UTC calendar day, the contract's `forPeriod`: at
 * most one order per SKU x store and day, however often reviews run.
 */
export function periodOf(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/** The period `days` before (negative: after) `period`. */
export function periodBefore(period: string, days: number): string {
  return periodOf(Date.parse(`${period}T00:00:00.000Z`) - days * DAY_MS);
}

export interface ReviewSchedule {
  /** `HH:MM`, UTC. */
  timeUtc: string;
  /** Above 0: every this many ms instead of daily. */
  intervalMs: number;
}

/** When the next scheduled review is due, strictly after `nowMs`. */
export function nextReviewAt(schedule: ReviewSchedule, nowMs: number): number {
  if (schedule.intervalMs > 0) return nowMs + schedule.intervalMs;
  const [hours, minutes] = schedule.timeUtc.split(':').map(Number);
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS + (hours * 60 + minutes) * 60_000;
  return today > nowMs ? today : today + DAY_MS;
}

/** Today's daily review time has passed and the last complete review was not today's: it was missed. */
export function missedDailyReview(schedule: ReviewSchedule, nowMs: number, lastReviewedPeriod: string | null): boolean {
  if (schedule.intervalMs > 0) return false;
  const today = periodOf(nowMs);
  return nowMs >= Date.parse(`${today}T${schedule.timeUtc}:00.000Z`) && lastReviewedPeriod !== today;
}
