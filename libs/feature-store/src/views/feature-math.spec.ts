import {
  advanceSession,
  bucketOf,
  decayFactor,
  decayedValueAt,
  ewmaDemand,
  formatMoneyUnits,
  forwardDecayedWeight,
  lineValue,
  rate,
  recordSessionView,
  sessionIsOpen,
  stockPosition,
  toMoneyUnits,
  windowCount,
  type SessionState,
} from './feature-math';
import { ACTIVITY_WINDOWS, DAY_MS, HOUR_MS, LIMITS, MINUTE_MS } from './settings';

const at = (iso: string) => Date.parse(iso);

/** Buckets of one granularity holding one event at each time. */
function bucketsOf(times: string[], sizeMs: number): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const time of times) {
    const bucket = bucketOf(at(time), sizeMs);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return buckets;
}

describe('windowCount', () => {
  const asOf = at('2024-05-01T12:00:30.000Z');

  it('1 h: the 60 minute buckets ending with the minute of asOf', () => {
    const count = (time: string) => windowCount(bucketsOf([time], MINUTE_MS), ACTIVITY_WINDOWS['1h'], asOf);
    expect(count('2024-05-01T11:01:00.000Z')).toBe(1);
    expect(count('2024-05-01T11:00:59.999Z')).toBe(0);
    // The minute of asOf counts whole, even past asOf: buckets are the resolution.
    expect(count('2024-05-01T12:00:59.999Z')).toBe(1);
    expect(count('2024-05-01T12:01:00.000Z')).toBe(0);
  });

  it('24 h: the 24 hour buckets ending with the hour of asOf', () => {
    const count = (time: string) => windowCount(bucketsOf([time], HOUR_MS), ACTIVITY_WINDOWS['24h'], asOf);
    expect(count('2024-04-30T13:00:00.000Z')).toBe(1);
    expect(count('2024-04-30T12:59:59.999Z')).toBe(0);
    expect(count('2024-05-01T12:59:59.999Z')).toBe(1);
  });

  it('7 d and 30 d: UTC days ending with the day of asOf', () => {
    const events = ['2024-04-02T00:00:00.000Z', '2024-04-01T23:59:59.999Z', '2024-04-25T00:00:00.000Z', '2024-04-24T23:59:59.999Z', '2024-05-01T23:00:00.000Z'];
    const buckets = bucketsOf(events, DAY_MS);
    expect(windowCount(buckets, ACTIVITY_WINDOWS['7d'], asOf)).toBe(2);
    expect(windowCount(buckets, ACTIVITY_WINDOWS['30d'], asOf)).toBe(4);
  });

  it('adds bucket values and ignores buckets after asOf', () => {
    const buckets = new Map([
      [bucketOf(asOf, MINUTE_MS), 3],
      [bucketOf(asOf, MINUTE_MS) - 59, 4],
      [bucketOf(asOf, MINUTE_MS) + 1, 100],
    ]);
    expect(windowCount(buckets, ACTIVITY_WINDOWS['1h'], asOf)).toBe(7);
  });
});

describe('decay', () => {
  const halfLife = 7 * DAY_MS;
  const t = at('2024-05-01T00:00:00.000Z');

  it('halves per half-life', () => {
    expect(decayFactor(0, halfLife)).toBe(1);
    expect(decayFactor(halfLife, halfLife)).toBe(0.5);
    expect(decayFactor(3 * halfLife, halfLife)).toBe(0.125);
    expect(decayFactor(halfLife / 2, halfLife)).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('reads a (value, updatedAt) counter as of a later time', () => {
    expect(decayedValueAt(3, t, t, halfLife)).toBe(3);
    expect(decayedValueAt(3, t, t + halfLife, halfLife)).toBe(1.5);
    expect(decayedValueAt(3, t, t + 2 * halfLife, halfLife)).toBe(0.75);
  });

  it('does not grow a counter read before its last update', () => {
    expect(decayedValueAt(3, t, t - halfLife, halfLife)).toBe(3);
  });

  it('forward decay: a score stored against a landmark reads back as decayed weights', () => {
    // Two events: weight 1 at the landmark, weight 2 one half-life later; read two half-lives after the landmark.
    const score = 1 * 2 ** 0 + 2 * 2 ** 1;
    expect(forwardDecayedWeight(score, t, t + 2 * halfLife, halfLife)).toBe(0.25 + 1);
    expect(forwardDecayedWeight(score, t, t + halfLife, halfLife)).toBe(0.5 + 2);
  });
});

describe('ewmaDemand', () => {
  it('starts at the first day with a sale (hand-computed, alpha 0.5)', () => {
    // x = [0, 2, 4, 0]: mean 2, var 0; d=2: mean 3, var 0.5(0 + 0.5*4) = 1; d=-3: mean 1.5, var 0.5(1 + 0.5*9) = 2.75
    expect(ewmaDemand([0, 2, 4, 0], 0.5)).toEqual({ mean: 1.5, variance: 2.75, days: 3 });
  });

  it('alpha 0.1 on a constant series keeps the mean and no variance', () => {
    expect(ewmaDemand([5, 5, 5, 5], 0.1)).toEqual({ mean: 5, variance: 0, days: 4 });
  });

  it('is zero without sales', () => {
    expect(ewmaDemand([0, 0, 0], 0.1)).toEqual({ mean: 0, variance: 0, days: 0 });
    expect(ewmaDemand([], 0.1)).toEqual({ mean: 0, variance: 0, days: 0 });
  });
});

describe('money in ten-thousandths', () => {
  it.each([
    ['19.99', 199900n],
    ['12', 120000n],
    ['0.0001', 1n],
    ['4.5', 45000n],
    ['-0.50', -5000n],
  ])('%s → %s', (amount, units) => {
    expect(toMoneyUnits(amount)).toBe(units);
  });

  it.each(['1.23456', '1e3', '', '1.', '.5', 'abc'])('rejects %p', (amount) => {
    expect(() => toMoneyUnits(amount)).toThrow(RangeError);
  });

  it.each([
    [199900n, '19.99'],
    [120000n, '12.00'],
    [1n, '0.0001'],
    [12345n, '1.2345'],
    [12340n, '1.234'],
    [-5000n, '-0.50'],
    [0n, '0.00'],
  ])('formats %s as %s', (units, text) => {
    expect(formatMoneyUnits(units)).toBe(text);
  });

  it('adds order lines without float drift', () => {
    const total = lineValue('19.99', 1) + lineValue('4.50', 3) + lineValue('0.1', 1) + lineValue('0.2', 1);
    expect(formatMoneyUnits(total)).toBe('33.79');
  });

  it('keeps amounts far beyond 2^53 ten-thousandths exact', () => {
    expect(formatMoneyUnits(lineValue('99999999999.9999', 1000))).toBe('99999999999999.90');
  });
});

describe('sessions', () => {
  const gap = 30 * MINUTE_MS;
  const t = at('2024-05-01T10:00:00.000Z');

  it('starts a session on the first event', () => {
    expect(advanceSession(undefined, t, gap)).toEqual({
      session: { startedAtMs: t, lastEventAtMs: t, events: 1, viewedSkus: [] },
      started: true,
    });
  });

  it('continues at exactly the gap and starts a new one just past it', () => {
    const open = advanceSession(undefined, t, gap).session;
    expect(advanceSession(open, t + gap, gap)).toMatchObject({ started: false, session: { startedAtMs: t, lastEventAtMs: t + gap, events: 2 } });
    expect(advanceSession(open, t + gap + 1, gap)).toMatchObject({ started: true, session: { startedAtMs: t + gap + 1, events: 1 } });
  });

  it('lets a late event join and widen the session rather than start one', () => {
    const open: SessionState = { startedAtMs: t, lastEventAtMs: t + 10 * MINUTE_MS, events: 3, viewedSkus: ['a'] };
    expect(advanceSession(open, t - 5 * MINUTE_MS, gap)).toEqual({
      session: { startedAtMs: t - 5 * MINUTE_MS, lastEventAtMs: t + 10 * MINUTE_MS, events: 4, viewedSkus: ['a'] },
      started: false,
    });
  });

  it('pairs a first view with the items viewed before it, and a repeat view with none', () => {
    let session: SessionState = { startedAtMs: t, lastEventAtMs: t, events: 1, viewedSkus: [] };
    let pairedWith: string[];
    ({ session, pairedWith } = recordSessionView(session, 'a'));
    expect(pairedWith).toEqual([]);
    ({ session, pairedWith } = recordSessionView(session, 'b'));
    expect(pairedWith).toEqual(['a']);
    ({ session, pairedWith } = recordSessionView(session, 'c'));
    expect(pairedWith).toEqual(['b', 'a']);
    ({ session, pairedWith } = recordSessionView(session, 'a'));
    expect(pairedWith).toEqual([]);
    expect(session.viewedSkus).toEqual(['a', 'c', 'b']);
  });

  it('keeps the newest viewed items only', () => {
    let session: SessionState = { startedAtMs: t, lastEventAtMs: t, events: 1, viewedSkus: [] };
    for (let i = 0; i < LIMITS.sessionViewsPaired + 5; i++) session = recordSessionView(session, `sku-${i}`).session;
    expect(session.viewedSkus).toHaveLength(LIMITS.sessionViewsPaired);
    expect(session.viewedSkus[0]).toBe(`sku-${LIMITS.sessionViewsPaired + 4}`);
  });

  it('is open up to the gap after the last event', () => {
    expect(sessionIsOpen(t, t + gap, gap)).toBe(true);
    expect(sessionIsOpen(t, t + gap + 1, gap)).toBe(false);
  });
});

describe('stockPosition', () => {
  it('adds receipts and subtracts sales since the count, never below zero', () => {
    expect(stockPosition({ onHand: 17, onOrder: 24 }, 24, 5)).toEqual({ onHand: 36, onOrder: 0 });
    expect(stockPosition({ onHand: 2, onOrder: 10 }, 4, 9)).toEqual({ onHand: 0, onOrder: 6 });
  });

  it('starts from zero before any count', () => {
    expect(stockPosition(undefined, 5, 2)).toEqual({ onHand: 3, onOrder: 0 });
  });
});

describe('rate', () => {
  it('is null without a denominator', () => {
    expect(rate(1, 0)).toBeNull();
    expect(rate(1, 4)).toBe(0.25);
  });
});
