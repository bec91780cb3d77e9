import { loadM5Calendar, loadM5Prices, loadM5Sales, M5CalendarDay, M5Price, M5Series } from './m5';

// Facts from shared/data/README.md (the m5-tiny subset of the M5 competition).
describe('M5 tiny (real data)', () => {
  let sales: M5Series[];
  let calendar: M5CalendarDay[];
  let prices: M5Price[];

  beforeAll(async () => {
    [sales, calendar, prices] = await Promise.all([loadM5Sales(), loadM5Calendar(), loadM5Prices()]);
  });

  it('has 280 series: 28 items x 10 stores', () => {
    expect(sales).toHaveLength(280);
    expect(new Set(sales.map((s) => s.itemId)).size).toBe(28);
    expect([...new Set(sales.map((s) => s.storeId))].sort()).toEqual([
      'CA_1', 'CA_2', 'CA_3', 'CA_4', 'TX_1', 'TX_2', 'TX_3', 'WI_1', 'WI_2', 'WI_3',
    ]);
    expect(new Set(sales.map((s) => `${s.itemId}|${s.storeId}`)).size).toBe(280);
  });

  it('keys series consistently and covers the three categories', () => {
    for (const s of sales) {
      expect(s.id).toBe(`${s.itemId}_${s.storeId}`);
      expect(s.storeId.startsWith(`${s.stateId}_`)).toBe(true);
      expect(s.itemId.startsWith(`${s.deptId}_`)).toBe(true);
    }
    expect(new Set(sales.map((s) => s.catId))).toEqual(new Set(['FOODS', 'HOBBIES', 'HOUSEHOLD']));
  });

  it('has 1,913 days of units per series, intermittent (median zero share 0.51)', () => {
    for (const s of sales) expect(s.units).toHaveLength(1_913);
    const zeroShares = sales
      .map((s) => s.units.reduce((zeros, u) => zeros + (u === 0 ? 1 : 0), 0) / s.units.length)
      .sort((a, b) => a - b);
    const median = (zeroShares[139] + zeroShares[140]) / 2;
    expect(median).toBeCloseTo(0.51, 2);
  });

  it('has a calendar covering every sales day, from 2011-01-29', () => {
    expect(calendar.length).toBeGreaterThanOrEqual(1_913);
    expect(calendar.slice(0, 1_913).map((day) => day.d)).toEqual(Array.from({ length: 1_913 }, (_, i) => `d_${i + 1}`));
    expect(calendar[0]).toEqual({
      d: 'd_1',
      date: '2011-01-29',
      wmYrWk: 11101,
      weekday: 'Saturday',
      wday: 1,
      month: 1,
      year: 2011,
      events: [],
      snap: { CA: false, TX: false, WI: false },
    });
    expect(calendar[1_912].date).toBe('2016-04-24');
  });

  it('has consecutive calendar dates', () => {
    const dayMs = 24 * 60 * 60 * 1000;
    for (let i = 1; i < calendar.length; i += 1) {
      expect(Date.parse(calendar[i].date) - Date.parse(calendar[i - 1].date)).toBe(dayMs);
    }
  });

  it('reads events (up to two a day) and SNAP flags', () => {
    const day86 = calendar.find((day) => day.d === 'd_86');
    expect(day86?.events).toEqual([
      { name: 'OrthodoxEaster', type: 'Religious' },
      { name: 'Easter', type: 'Cultural' },
    ]);
    const superBowl = calendar.find((day) => day.d === 'd_9');
    expect(superBowl?.events).toEqual([{ name: 'SuperBowl', type: 'Sporting' }]);
    expect(superBowl?.snap).toEqual({ CA: true, TX: true, WI: true });
  });

  it('prices every series in calendar weeks, with positive prices', () => {
    const seriesKeys = new Set(sales.map((s) => `${s.storeId}|${s.itemId}`));
    const pricedKeys = new Set(prices.map((p) => `${p.storeId}|${p.itemId}`));
    expect(pricedKeys).toEqual(seriesKeys);
    const weeks = new Set(calendar.map((day) => day.wmYrWk));
    expect(prices.every((p) => p.price > 0 && weeks.has(p.wmYrWk))).toBe(true);
    expect(prices[0]).toEqual({ storeId: 'CA_1', itemId: 'FOODS_1_033', wmYrWk: 11221, price: 5.09 });
  });
});
