import type { InventoryState, OrderPolicy } from '@storeloop/supply-chain';
import { errorMessage } from '@storeloop/observability';
import { inventoryPosition, inventoryStateOf, type DemandForecast, type PlacedOrder, type StockPosition } from './inventory-state';

/** One policy's answer for one SKU x store and period. */
export interface PolicyOrder {
  policy: string;
  policyVersion: string;
  quantity: number;
}

/** What a review decided for one SKU x store: served by the API, and the basis of the published order. */
export interface Decision {
  sku: string;
  store: string;
  /** UTC day the decision is for (the order's `forPeriod`). */
  period: string;
  decidedAt: string;
  /** Stock as the feature store counts it, and the pipeline and position the policies saw. */
  state: { onHand: number; onOrder: number; pipeline: number[]; inventoryPosition: number };
  /** Daily demand forecast; historyDays: days since the pair's first sale that it could draw on. */
  forecast: { mean: number; std: number; historyDays: number };
  /** The classical policy's order, always computed: the fallback and the yardstick. */
  classical: PolicyOrder;
  /** The learned policy's order; null before any training, or when it failed on this state. */
  learned: PolicyOrder | null;
  /** Why the learned policy gave no usable order, when it was asked. */
  learnedError?: string;
  /** The policy whose order is placed. */
  acting: 'learned' | 'classical';
  quantity: number;
  /** The order placed for the period (now or by an earlier review of the same period); null when none. */
  order?: PlacedOrderSummary | null;
}

export interface PlacedOrderSummary {
  orderId: string;
  quantity: number;
  policy: string;
  policyVersion: string;
  /** `pending` between the claim and Kafka's acknowledgement. */
  state: 'pending' | 'published';
  publishedAt: string | null;
}

export interface DecisionInput {
  sku: string;
  store: string;
  period: string;
  decidedAtMs: number;
  /** The feature store's stock position of the pair. */
  view: StockPosition;
  /** Daily demand forecast from the pair's sales history, and the days of history behind it. */
  forecast: DemandForecast & { historyDays: number };
  /** Units this service ordered 1, 2, ... periods ago (see inventoryStateOf). */
  recentOrders: readonly PlacedOrder[];
  leadTimeDays: number;
  classical: OrderPolicy;
  /** The promoted learned policy, if any. */
  learned?: OrderPolicy;
}

/** A policy's order as a whole number of units, or an error naming what was wrong. */
function orderOf(policy: OrderPolicy, state: InventoryState): number {
  const raw = policy.order(state);
  if (!Number.isFinite(raw) || raw < 0) throw new RangeError(`${policy.name} ${policy.version} answered ${raw}, not a non-negative number`);
  return Math.round(raw);
}

/**
 * Asks both policies. The learned one acts when present and sane; anything
 * it throws or a nonsensical answer falls back to the classical order, so a
 * bad artifact degrades the orders to the classical ones, never to none.
 */
export function decide(input: DecisionInput): Decision {
  const { view, classical, learned } = input;
  const state = inventoryStateOf(view, input.forecast, input.recentOrders, input.leadTimeDays);
  const classicalOrder: PolicyOrder = { policy: classical.name, policyVersion: classical.version, quantity: orderOf(classical, state) };
  let learnedOrder: PolicyOrder | null = null;
  let learnedError: string | undefined;
  if (learned) {
    try {
      learnedOrder = { policy: learned.name, policyVersion: learned.version, quantity: orderOf(learned, state) };
    } catch (error) {
      learnedError = errorMessage(error);
    }
  }
  const acting = learnedOrder ? 'learned' : 'classical';
  return {
    sku: input.sku,
    store: input.store,
    period: input.period,
    decidedAt: new Date(input.decidedAtMs).toISOString(),
    state: { onHand: view.onHand, onOrder: view.onOrder, pipeline: [...state.pipeline], inventoryPosition: inventoryPosition(state) },
    forecast: { mean: input.forecast.mean, std: input.forecast.std, historyDays: input.forecast.historyDays },
    classical: classicalOrder,
    learned: learnedOrder,
    ...(learnedError ? { learnedError } : {}),
    acting,
    quantity: (learnedOrder ?? classicalOrder).quantity,
  };
}

/** The order a period holds, as far as a decision is concerned (ReplenishmentOrder's policy fields). */
export interface StoredOrder {
  quantity: number;
  policy: string;
  policyVersion: string;
  /** The classical policy's order beside it, when the placing review recorded one. */
  baseline?: PolicyOrder;
}

/**
 * The decision as the period's order was actually placed: when another
 * review (a concurrent one, or an earlier one of the period) placed the
 * order, its quantity and acting policy replace what this review computed,
 * so the API never shows a quantity that was not ordered. State and
 * forecast stay this review's.
 */
export function withPlacedOrder(decision: Decision, order: StoredOrder): Decision {
  const placed: PolicyOrder = { policy: order.policy, policyVersion: order.policyVersion, quantity: order.quantity };
  const classical = order.baseline ? { ...order.baseline } : decision.classical;
  const byClassical = placed.policy === classical.policy && placed.policyVersion === classical.policyVersion;
  if (byClassical) return { ...decision, classical: placed, acting: 'classical', quantity: placed.quantity };
  const adopted: Decision = { ...decision, classical, learned: placed, acting: 'learned', quantity: placed.quantity };
  // The learned order was placed: an error this review's learned policy gave is not the story of that order.
  delete adopted.learnedError;
  return adopted;
}
