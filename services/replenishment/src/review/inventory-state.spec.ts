import { inventoryPosition, inventoryStateOf, type PlacedOrder } from './inventory-state';

const forecast = { mean: 5, std: 2 };
const none: PlacedOrder = { quantity: 0, counted: false };

describe('inventoryStateOf', () => {
  it('places our recent orders by when they arrive: placed k + 1 periods ago, arriving in L - k - 1', () => {
    // L = 4: three slots; yesterday's order arrives in 3 periods (last slot), the one of 3 days ago next period.
    const recent = [
      { quantity: 7, counted: true },
      { quantity: 0, counted: false },
      { quantity: 3, counted: true },
    ];
    const state = inventoryStateOf({ onHand: 12, onOrder: 10 }, forecast, recent, 4);
    expect(state).toEqual({ onHand: 12, pipeline: [3, 0, 7], demandMean: 5, demandStd: 2 });
  });

  it('adds orders placed after the last count to the counted total', () => {
    const state = inventoryStateOf({ onHand: 0, onOrder: 4 }, forecast, [{ quantity: 6, counted: false }], 2);
    expect(state.pipeline).toEqual([10]);
  });

  it('puts on-order units our orders do not explain in the soonest slot', () => {
    const state = inventoryStateOf({ onHand: 0, onOrder: 9 }, forecast, [{ quantity: 2, counted: true }, none], 3);
    expect(state.pipeline).toEqual([7, 2]);
  });

  it('takes a shortfall (goods received early) from the oldest counted orders first', () => {
    const recent = [
      { quantity: 5, counted: true },
      { quantity: 4, counted: true },
    ];
    const state = inventoryStateOf({ onHand: 8, onOrder: 6 }, forecast, recent, 3);
    expect(state.pipeline).toEqual([1, 5]);
    expect(inventoryPosition(state)).toBe(14);
  });

  it('counts what is on order as on hand when the lead time leaves no pipeline', () => {
    expect(inventoryStateOf({ onHand: 3, onOrder: 4 }, forecast, [], 1)).toEqual({ onHand: 7, pipeline: [], demandMean: 5, demandStd: 2 });
    expect(inventoryStateOf({ onHand: 3, onOrder: 4 }, forecast, [], 0).pipeline).toEqual([]);
  });
});
