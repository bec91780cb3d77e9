import {
  forecastOrderUpTo,
  rollingForecasts,
  simulateHistory,
  type ForecastBaseStockPolicy,
  type InventoryState,
  type OrderPolicy,
  type RealDemandCosts,
} from '@storeloop/supply-chain';

const DAY_MS = 86_400_000;

export const SIMULATION_DAYS = { default: 56, min: 7, max: 365 } as const;

export interface PolicyReplayInput {
  /** Completed days of demand since the first sale, oldest first (`salesHistory` of the feature store view). */
  history: readonly number[];
  /** Days to replay: the last `days` of the history (fewer when it is shorter). */
  days: number;
  /** Lead time and per-unit costs, as training evaluates policies (price 1: costs in the service's units). */
  costs: RealDemandCosts;
  /** The tuned classical policy the learned one corrects; its window drives the forecast both policies see. */
  baseStock: ForecastBaseStockPolicy;
  learned: OrderPolicy;
  /** UTC midnight (ms) of the last history day, to date the series; omitted: no dates. */
  lastDayMs?: number;
}

export interface PolicyDay {
  /** Units on hand at the end of the day, after its demand. */
  onHand: number;
  /** Units ordered at the start of the day (on the shelf `leadTime` days later). */
  order: number;
}

export interface ReplayDay {
  /** 1 for the first replayed day. */
  day: number;
  /** UTC day, YYYY-MM-DD. */
  date?: string;
  demand: number;
  learned: PolicyDay;
  baseStock: PolicyDay;
}

export interface ReplayTotals {
  /** Holding plus lost-sale penalty over the replayed days. */
  cost: number;
  /** Units sold / units demanded (1 without demand). */
  fillRate: number;
}

export interface PolicyReplay {
  days: number;
  /** Same for both policies: the base-stock level of the forecast on the first day, as training evaluates. */
  initialOnHand: number;
  series: ReplayDay[];
  totals: { learned: ReplayTotals & { fallbackDays: number }; baseStock: ReplayTotals };
}

interface Trace {
  /** On hand after the day's receipts, when the policy is asked. */
  available: number[];
  orders: number[];
  fallbackDays: number;
}

/**
 * Records what the simulator shows a policy and what it answers. A learned
 * answer that is not a non-negative number (or a throw) is replaced by the
 * base-stock order, as the service's decisions do.
 */
function traced(policy: OrderPolicy, trace: Trace, fallback?: OrderPolicy): OrderPolicy {
  const answer = (state: InventoryState): number => {
    if (!fallback) return policy.order(state);
    try {
      const raw = policy.order(state);
      if (Number.isFinite(raw) && raw >= 0) return raw;
    } catch {
      // Falls through to the base-stock order below, counted as a fallback day.
    }
    trace.fallbackDays += 1;
    return fallback.order(state);
  };
  return {
    name: policy.name,
    version: policy.version,
    order(state) {
      const quantity = Math.max(0, Math.round(answer(state)));
      trace.available.push(state.onHand);
      trace.orders.push(quantity);
      return quantity;
    },
  };
}

/**
 * Replays the observed demand of one SKU x store through the single-stage
 * lost-sales simulator (libs/supply-chain `simulateHistory`, the one
 * training scores policies with), once with the learned policy and once with
 * the base-stock policy it corrects, from the same stock and forecasts.
 * Deterministic: the demand is the history itself.
 */
export function replayPolicies(input: PolicyReplayInput): PolicyReplay {
  const { history, costs, baseStock, learned } = input;
  const end = history.length;
  const start = Math.max(0, end - input.days);
  const forecasts = rollingForecasts(history, baseStock.params.window);
  const initialOnHand = Math.round(forecastOrderUpTo({ mean: forecasts.mean[start], std: forecasts.std[start] }, baseStock.params));
  const run = (policy: OrderPolicy, fallback?: OrderPolicy) => {
    const trace: Trace = { available: [], orders: [], fallbackDays: 0 };
    const outcome = simulateHistory({ demand: history }, traced(policy, trace, fallback), costs, { start, end, forecasts, initialOnHand });
    // With no lead time the order is on the shelf before the day's demand.
    const onHand = trace.available.map((available, i) => {
      const stock = available + (costs.leadTime === 0 ? trace.orders[i] : 0);
      return stock - Math.min(Math.max(stock, 0), history[start + i]);
    });
    const totals = { cost: outcome.cost, fillRate: outcome.demand > 0 ? outcome.sold / outcome.demand : 1 };
    return { trace, onHand, totals };
  };
  const withLearned = run(learned, baseStock);
  const withBaseStock = run(baseStock);
  const series: ReplayDay[] = [];
  for (let i = 0; i < end - start; i += 1) {
    series.push({
      day: i + 1,
      ...(input.lastDayMs === undefined ? {} : { date: new Date(input.lastDayMs - (end - start - 1 - i) * DAY_MS).toISOString().slice(0, 10) }),
      demand: history[start + i],
      learned: { onHand: withLearned.onHand[i], order: withLearned.trace.orders[i] },
      baseStock: { onHand: withBaseStock.onHand[i], order: withBaseStock.trace.orders[i] },
    });
  }
  return {
    days: series.length,
    initialOnHand,
    series,
    totals: { learned: { ...withLearned.totals, fallbackDays: withLearned.trace.fallbackDays }, baseStock: withBaseStock.totals },
  };
}
