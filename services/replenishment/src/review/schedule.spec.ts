import { missedDailyReview, nextReviewAt, periodBefore, periodOf } from './schedule';

const at = (iso: string) => Date.parse(iso);

describe('review schedule', () => {
  it('names a period by its UTC day', () => {
    expect(periodOf(at('2024-05-01T23:59:59.999Z'))).toBe('2024-05-01');
    expect(periodOf(at('2024-05-02T00:00:00.000Z'))).toBe('2024-05-02');
  });

  it('steps periods back across month and year ends', () => {
    expect(periodBefore('2024-03-01', 1)).toBe('2024-02-29');
    expect(periodBefore('2024-01-01', 2)).toBe('2023-12-30');
  });

  it('runs the daily review at the configured UTC time, today if still ahead, else tomorrow', () => {
    const schedule = { timeUtc: '06:30', intervalMs: 0 };
    expect(new Date(nextReviewAt(schedule, at('2024-05-01T05:00:00Z'))).toISOString()).toBe('2024-05-01T06:30:00.000Z');
    expect(new Date(nextReviewAt(schedule, at('2024-05-01T06:30:00Z'))).toISOString()).toBe('2024-05-02T06:30:00.000Z');
    expect(new Date(nextReviewAt(schedule, at('2024-05-01T23:00:00Z'))).toISOString()).toBe('2024-05-02T06:30:00.000Z');
  });

  it('runs every interval when one is set', () => {
    expect(nextReviewAt({ timeUtc: '06:30', intervalMs: 5_000 }, 1_000)).toBe(6_000);
  });

  it("says today's daily review was missed once its time passed without a complete review of today", () => {
    const schedule = { timeUtc: '06:00', intervalMs: 0 };
    expect(missedDailyReview(schedule, at('2024-05-01T05:59:00Z'), '2024-04-30')).toBe(false);
    expect(missedDailyReview(schedule, at('2024-05-01T06:01:00Z'), '2024-04-30')).toBe(true);
    expect(missedDailyReview(schedule, at('2024-05-01T06:01:00Z'), null)).toBe(true);
    expect(missedDailyReview(schedule, at('2024-05-01T23:00:00Z'), '2024-05-01')).toBe(false);
    expect(missedDailyReview({ timeUtc: '06:00', intervalMs: 1000 }, at('2024-05-01T23:00:00Z'), null)).toBe(false);
  });
});
