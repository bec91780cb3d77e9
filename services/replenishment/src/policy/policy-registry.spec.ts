import { beatsClassical } from './policy-registry';

describe('promotion rule', () => {
  it('promotes a learned policy only when it costs less at an equal or higher fill rate', () => {
    expect(beatsClassical({ cost: 1.9, fillRate: 0.97 }, { cost: 2, fillRate: 0.96 })).toBe(true);
    expect(beatsClassical({ cost: 1.9, fillRate: 0.96 }, { cost: 2, fillRate: 0.96 })).toBe(true);
    expect(beatsClassical({ cost: 1.9, fillRate: 0.95 }, { cost: 2, fillRate: 0.96 })).toBe(false);
    expect(beatsClassical({ cost: 2, fillRate: 0.99 }, { cost: 2, fillRate: 0.96 })).toBe(false);
  });
});
