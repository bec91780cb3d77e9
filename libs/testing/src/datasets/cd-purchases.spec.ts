import { CdnowPurchase, loadCdnowPurchases } from './cd-purchases';

// Facts from shared/data/README.md (Fader & Hardie's CDNOW master file).
describe('CDNOW master (real data)', () => {
  let purchases: CdnowPurchase[];

  beforeAll(async () => {
    purchases = await loadCdnowPurchases();
  });

  it('has 69,659 purchases by 23,570 customers', () => {
    expect(purchases).toHaveLength(69_659);
    expect(new Set(purchases.map((p) => p.customerId)).size).toBe(23_570);
  });

  it('spans 1997-01-01 to 1998-06-30', () => {
    const dates = purchases.map((p) => p.date).sort();
    expect(dates[0]).toBe('1997-01-01');
    expect(dates[dates.length - 1]).toBe('1998-06-30');
  });

  it('holds the Q1 1997 cohort: every customer first bought by 1997-03-31', () => {
    const first = new Map<string, string>();
    for (const p of purchases) {
      const seen = first.get(p.customerId);
      if (seen === undefined || p.date < seen) first.set(p.customerId, p.date);
    }
    expect([...first.values()].every((date) => date <= '1997-03-31')).toBe(true);
  });

  it('reads the first rows exactly and has positive quantities and non-negative amounts', () => {
    expect(purchases.slice(0, 2)).toEqual([
      { customerId: '00001', date: '1997-01-01', quantity: 1, amount: 11.77 },
      { customerId: '00002', date: '1997-01-12', quantity: 1, amount: 12 },
    ]);
    expect(purchases.every((p) => p.quantity >= 1 && p.amount >= 0)).toBe(true);
  });
});
