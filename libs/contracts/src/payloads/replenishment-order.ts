import { z } from 'zod';
import { calendarDate, identifier, nonNegativeInt, positiveInt, utcTimestamp } from '../primitives';

/** A proposed purchase for one SKU in one store and period, with the policy that chose it. */
export const replenishmentOrderSchema = z.object({
  sku: identifier(),
  store: identifier(),
  quantity: positiveInt(),
  /** e.g. rl-ppo, base-stock, s-S: orders from competing policies stay comparable. */
  policy: identifier(),
  policyVersion: identifier(),
  forPeriod: calendarDate(),
  createdAt: utcTimestamp(),
  /** Deterministic per tenant, SKU, store and period: a consumer that sees one twice has seen one order. */
  orderId: identifier().optional(),
  /** The classical policy's order for the same state, so the acting policy stays comparable with it (0: it would not order). */
  baseline: z.object({ policy: identifier(), policyVersion: identifier(), quantity: nonNegativeInt() }).optional(),
});

export type ReplenishmentOrder = z.output<typeof replenishmentOrderSchema>;
