import { exactlyOnce, formatChecks, median, slope } from './stats';

describe('chaos arithmetic', () => {
  it('fits a slope by least squares', () => {
    expect(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }])).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 4 }, { x: 10, y: 4 }])).toBe(0);
    expect(slope([{ x: 1, y: 1 }])).toBe(0);
  });

  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('finds ids missing, written twice or never acknowledged', () => {
    const acknowledged = new Set(['a', 'b', 'c']);
    const seen = new Map([
      ['a', 1],
      ['b', 2],
      ['x', 1],
    ]);
    expect(exactlyOnce(acknowledged, seen)).toEqual({ missing: ['c'], duplicated: ['b'], unexpected: ['x'] });
    expect(exactlyOnce(acknowledged, new Map([['a', 1], ['b', 1], ['c', 1]]))).toEqual({ missing: [], duplicated: [], unexpected: [] });
  });

  it('prints each check with its verdict', () => {
    expect(formatChecks([{ name: 'one', passed: true, detail: 'ok' }, { name: 'two', passed: false, detail: 'no' }])).toBe('PASS  one\n      ok\nFAIL  two\n      no');
  });
});
