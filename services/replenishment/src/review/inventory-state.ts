import type { InventoryState } from '@storeloop/supply-chain';

/** The stock of one SKU x store as the feature store counts it (a subset of SkuStoreFeatureView). */
export interface StockPosition {
  onHand: number;
  /** On order per the last stock count, less what was received since. */
  onOrder: number;
}

/** Daily demand forecast over the next periods. */
export interface DemandForecast {
  mean: number;
  std: number;
}

/** An order this service placed for an earlier period. */
export interface PlacedOrder {
  quantity: number;
  /** Placed before the last stock count, so the count's on-order figure includes it. */
  counted: boolean;
}

/**
 * The policy state of a SKU x store from the feature store's stock position
 * and the orders this service placed in the last periods.
 *
 * The store knows only a total on order, and only as of the last count; a
 * policy also wants to know when each order arrives. Our own orders say
 * that: the one placed k + 1 periods ago arrives in L - k - 1 periods.
 * Orders placed after the last count are not in the store's total and are
 * added to it. Of the store's total, what our counted orders do not explain
 * (orders placed elsewhere, late ones) goes to the soonest slot; if it is
 * less than they explain (goods received early), the oldest are reduced
 * first. With a lead time of one period or less nothing stays in the
 * pipeline: what is on order arrives now and counts as on hand.
 *
 * @param recentOrders orders placed 1, 2, ... periods ago (index 0: the previous period; quantity 0 where none).
 */
export function inventoryStateOf(
  view: StockPosition,
  demand: DemandForecast,
  recentOrders: readonly PlacedOrder[],
  leadTimeDays: number,
): InventoryState {
  const forecast = { demandMean: demand.mean, demandStd: demand.std };
  const slots = Math.max(0, leadTimeDays - 1);
  if (slots === 0) return { onHand: view.onHand + view.onOrder, pipeline: [], ...forecast };
  const pipeline = new Array<number>(slots).fill(0);
  const counted = new Array<boolean>(slots).fill(false);
  for (let k = 0; k < slots && k < recentOrders.length; k++) {
    pipeline[slots - 1 - k] = recentOrders[k].quantity;
    counted[slots - 1 - k] = recentOrders[k].counted;
  }
  let difference = view.onOrder - pipeline.reduce((sum, units, i) => sum + (counted[i] ? units : 0), 0);
  if (difference > 0) pipeline[0] += difference;
  for (let i = 0; i < slots && difference < 0; i++) {
    if (!counted[i]) continue;
    const taken = Math.min(pipeline[i], -difference);
    pipeline[i] -= taken;
    difference += taken;
  }
  return { onHand: view.onHand, pipeline, ...forecast };
}

export function inventoryPosition(state: InventoryState): number {
  return state.onHand + state.pipeline.reduce((sum, units) => sum + units, 0);
}
