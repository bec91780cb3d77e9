/**
 * What an order policy sees at a review period. The same shape serves the
 * simulators, the evaluations and the replenishment service, so a policy
 * trained in simulation runs unchanged against live stock positions.
 */
export interface InventoryState {
  /** Units on hand after the period's receipts (negative: backorders, where demand is backlogged). */
  onHand: number;
  /**
   * Orders placed and not yet received, oldest first: `pipeline[i]` arrives
   * i + 1 periods from now. Its length is the lead time minus one for the
   * order placed now (see the simulators' timing conventions).
   */
  pipeline: readonly number[];
  /** Demand forecast per period (mean and standard deviation), where the policy uses one (real demand). */
  demandMean?: number;
  demandStd?: number;
}

/** A replenishment policy: how many units to order now. */
export interface OrderPolicy {
  /** Family, e.g. `rl-ppo`, `base-stock`, `capped-base-stock`, `s-S`. */
  readonly name: string;
  /** Version of the trained or tuned policy (artifact version, or the parameters for classical ones). */
  readonly version: string;
  /** Units to order now: a non-negative integer. */
  order(state: InventoryState): number;
}
