import { ExampleWindow, splitByTime, toWindowed, unseenBy, type WindowedExample } from './example-window';

const example = (id: string, eventTimeMs: number, label: 0 | 1 = 1, arrivedAtMs = 0): WindowedExample => ({
  id,
  tenant: 'default',
  userId: `u-${id}`,
  sku: 's',
  eventTimeMs,
  label,
  user: {},
  item: {},
  arrivedAtMs,
});

describe('ExampleWindow', () => {
  it('deduplicates by example id and counts arrivals after a time', () => {
    const window = new ExampleWindow({ windowMs: 1_000_000, maxExamples: 10, positiveThreshold: 0.5 });
    expect(window.add([example('a', 1, 1, 10), example('b', 2, 0, 20)])).toHaveLength(2);
    expect(window.add([example('a', 1, 1, 30), example('c', 3, 1, 30)]).map((e) => e.id)).toEqual(['c']);
    expect(window.size).toBe(3);
    expect(window.arrivedAfter(null)).toBe(3);
    expect(window.arrivedAfter(15)).toBe(2);
  });

  it('drops examples older than the window span before the newest, then the oldest beyond the cap', () => {
    const window = new ExampleWindow({ windowMs: 100, maxExamples: 3, positiveThreshold: 0.5 });
    window.add([example('old', 0), example('x', 150), example('y', 160)]);
    expect(window.snapshot().map((e) => e.id)).toEqual(['x', 'y']);
    window.add([example('z', 170), example('w', 155)]);
    expect(window.snapshot().map((e) => e.id)).toEqual(['w', 'y', 'z']);
  });

  it('turns labels into 0/1 at the threshold and fills the default tenant', () => {
    const base = { exampleId: 'e', userId: 'u', sku: 's', eventTime: '2026-11-01T00:00:00Z', featureTime: '2026-11-01T00:00:00Z', userFeatures: {}, itemFeatures: {} };
    expect(toWindowed({ ...base, label: 0.5 }, 7, 0.5)).toMatchObject({ label: 1, tenant: 'default', arrivedAtMs: 7, eventTimeMs: Date.parse('2026-11-01T00:00:00Z') });
    expect(toWindowed({ ...base, label: 0.49, tenant: 'acme' }, 7, 0.5)).toMatchObject({ label: 0, tenant: 'acme' });
  });
});

describe('splitByTime', () => {
  it('holds out the newest share, never training on anything as new as the holdout', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => example(`e${t}`, t));
    const split = splitByTime(sorted, 0.2);
    expect(split.train.map((e) => e.eventTimeMs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(split.holdout.map((e) => e.eventTimeMs)).toEqual([9, 10]);
    expect(split.holdoutFromMs).toBe(9);
  });

  it('moves examples tied with the boundary into the holdout', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 8, 8].map((t, i) => example(`e${i}`, t));
    const split = splitByTime(sorted, 0.2);
    expect(split.train.map((e) => e.eventTimeMs)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(split.holdout).toHaveLength(3);
  });

  it('refuses data with nothing older than the holdout', () => {
    expect(() => splitByTime([example('a', 5), example('b', 5)], 0.5)).toThrow(/same event time/);
    expect(() => splitByTime([example('a', 5)], 0.5)).toThrow(/cannot split/);
  });
});

describe('unseenBy', () => {
  it("keeps the holdout examples at or after the champion's holdout start: those it never trained on", () => {
    const holdout = [example('a', 90), example('b', 100), example('c', 110)];
    expect(unseenBy(holdout, 100).map((e) => e.id)).toEqual(['b', 'c']);
    expect(unseenBy(holdout, 50)).toHaveLength(3);
    expect(unseenBy(holdout, 111)).toEqual([]);
  });
});

describe('ExampleWindow.unseen', () => {
  it('names what add would store, each id once, without changing the window', () => {
    const window = new ExampleWindow({ windowMs: 1_000_000, maxExamples: 10, positiveThreshold: 0.5 });
    window.add([example('a', 1)]);
    expect(window.unseen([example('a', 1), example('b', 2), example('b', 2)]).map((e) => e.id)).toEqual(['b']);
    expect(window.size).toBe(1);
  });
});
