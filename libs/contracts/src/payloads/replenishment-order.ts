import { z } from 'zod';
import { calendarDate, identifier, positiveInt, utcTimestamp } from '../primitives';

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
});

export type ReplenishmentOrder = z.output<typeof replenishmentOrderSchema>;
