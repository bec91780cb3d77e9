import { dueAtMs, percentile, retryDelayMs } from './pacing';

describe('pacing', () => {
  it('schedules batches on the open-loop clock', () => {
    expect(dueAtMs(1000, 0, 500)).toBe(1000);
    expect(dueAtMs(1000, 1500, 500)).toBe(4000);
  });

  it('honours Retry-After and backs off exponentially without one, capped', () => {
    expect(retryDelayMs(0, '2')).toBe(2000);
    expect(retryDelayMs(3, null)).toBe(2000);
    expect(retryDelayMs(0, null)).toBe(250);
    expect(retryDelayMs(20, null)).toBe(10_000);
    expect(retryDelayMs(1, 'soon')).toBe(500);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });
});
