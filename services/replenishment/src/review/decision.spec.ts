import { ForecastBaseStockPolicy, type InventoryState, type OrderPolicy } from '@storeloop/supply-chain';
import { decide, withPlacedOrder, type DecisionInput } from './decision';

const classical = new ForecastBaseStockPolicy({ leadTime: 2, safetyFactor: 1.645, window: 28 });

function learnedAnswering(answer: (state: InventoryState) => number): OrderPolicy {
  return { name: 'rl-ppo', version: '7', order: answer };
}

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    sku: 'SKU-1',
    store: 'S-1',
    period: '2024-05-02',
    decidedAtMs: Date.parse('2024-05-02T06:00:00Z'),
    view: { onHand: 8, onOrder: 3 },
    forecast: { mean: 5, std: 2, historyDays: 90 },
    recentOrders: [{ quantity: 3, counted: true }],
    leadTimeDays: 2,
    classical,
    ...overrides,
  };
}

// S = 3 x 5 + 1.645 x 2 x sqrt(3) = 20.70; position 8 on hand + 3 in transit = 11; order round(9.70) = 10.
const CLASSICAL_ORDER = 10;

describe('decide', () => {
  it('orders up to the forecast base-stock level with the classical policy when nothing is learned', () => {
    const decision = decide(input());
    expect(decision).toMatchObject({
      acting: 'classical',
      quantity: CLASSICAL_ORDER,
      classical: { policy: 'forecast-base-stock', policyVersion: classical.version, quantity: CLASSICAL_ORDER },
      learned: null,
      state: { onHand: 8, onOrder: 3, pipeline: [3], inventoryPosition: 11 },
      forecast: { mean: 5, std: 2, historyDays: 90 },
      period: '2024-05-02',
      decidedAt: '2024-05-02T06:00:00.000Z',
    });
  });

  it('lets the learned policy act, with the classical order beside it, both seeing the same state', () => {
    const seen: InventoryState[] = [];
    const learned = learnedAnswering((state) => {
      seen.push(state);
      return 12.4;
    });
    const decision = decide(input({ learned }));
    expect(decision).toMatchObject({ acting: 'learned', quantity: 12, learned: { policy: 'rl-ppo', policyVersion: '7', quantity: 12 }, classical: { quantity: CLASSICAL_ORDER } });
    expect(seen).toEqual([{ onHand: 8, pipeline: [3], demandMean: 5, demandStd: 2 }]);
  });

  it.each([
    ['throws', () => {
      throw new Error('weights do not fit');
    }, /weights do not fit/],
    ['answers NaN', () => Number.NaN, /answered NaN/],
    ['answers a negative order', () => -3, /answered -3/],
  ])('falls back to the classical order when the learned policy %s', (_, answer, message) => {
    const decision = decide(input({ learned: learnedAnswering(answer) }));
    expect(decision.acting).toBe('classical');
    expect(decision.quantity).toBe(CLASSICAL_ORDER);
    expect(decision.learned).toBeNull();
    expect(decision.learnedError).toMatch(message);
  });

  it('orders nothing when the position already covers the level', () => {
    expect(decide(input({ view: { onHand: 30, onOrder: 0 }, recentOrders: [] })).quantity).toBe(0);
  });
});

describe('withPlacedOrder', () => {
  const mine = decide(input({ learned: learnedAnswering(() => 4) }));

  it('keeps the decision when the order placed is its own', () => {
    const placed = withPlacedOrder(mine, { quantity: 4, policy: 'rl-ppo', policyVersion: '7', baseline: mine.classical });
    expect(placed).toEqual(mine);
  });

  it('takes quantity and acting policy from an order another review placed with the classical policy', () => {
    const placed = withPlacedOrder(mine, { quantity: 12, policy: classical.name, policyVersion: classical.version, baseline: { policy: classical.name, policyVersion: classical.version, quantity: 12 } });
    expect(placed).toMatchObject({ acting: 'classical', quantity: 12, classical: { quantity: 12 }, learned: { policy: 'rl-ppo', quantity: 4 } });
    expect(placed.state).toEqual(mine.state);
  });

  it('takes a learned order another review placed, with its own version and baseline', () => {
    const fallback = decide(input({ learned: learnedAnswering(() => Number.NaN) }));
    expect(fallback).toMatchObject({ acting: 'classical', learnedError: expect.any(String) });
    const placed = withPlacedOrder(fallback, { quantity: 6, policy: 'rl-ppo', policyVersion: '8', baseline: { policy: classical.name, policyVersion: classical.version, quantity: 9 } });
    expect(placed).toMatchObject({ acting: 'learned', quantity: 6, learned: { policy: 'rl-ppo', policyVersion: '8', quantity: 6 }, classical: { quantity: 9 } });
    expect(placed.learnedError).toBeUndefined();
  });

  it('reads an order without a baseline as classical when it names the classical policy', () => {
    expect(withPlacedOrder(mine, { quantity: 3, policy: classical.name, policyVersion: classical.version })).toMatchObject({ acting: 'classical', quantity: 3 });
  });
});
