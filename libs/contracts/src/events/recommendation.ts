import { z } from 'zod';
import { identifier, positiveInt } from '../primitives';
import { shopperContext } from './shopper';

export const recommendedItem = z.object({
  sku: identifier(),
  /** 1-based rank as shown, the convention of HR@K and NDCG@K. */
  position: positiveInt(),
  score: z.number(),
});

export const recommendationServedData = z
  .object({
    ...shopperContext,
    recommendationId: identifier(),
    modelName: identifier().optional(),
    modelVersion: identifier(),
    /** Where the list was shown: home, pdp, cart, email... */
    surface: identifier(),
    /** The product the list was built around (similar items on a product page). */
    contextSku: identifier().optional(),
    /**
     * True when the list was answered degraded: built without the feature
     * store (Redis down or slow), from popularity and item neighbours held in
     * memory, without the user's history. Absent on a normal answer.
     */
    degraded: z.boolean().optional(),
    // Empty is allowed: "served nothing" is an answer whose outcome still counts.
    items: z.array(recommendedItem),
  })
  .superRefine((served, ctx) => {
    const seen = new Set<number>();
    served.items.forEach((item, index) => {
      if (seen.has(item.position)) {
        ctx.addIssue({ code: 'custom', path: ['items', index, 'position'], message: `position ${item.position} appears twice` });
      }
      seen.add(item.position);
    });
  });

export const recommendationClickedData = z.object({
  ...shopperContext,
  recommendationId: identifier(),
  sku: identifier(),
  position: positiveInt(),
});

/**
 * A purchase the shop attributes to a served list (the shopper bought an item
 * from it). It is the online conversion signal per model version; revenue and
 * purchase features still come from `order.placed`, the authoritative record.
 */
export const recommendationPurchasedData = z.object({
  ...shopperContext,
  recommendationId: identifier(),
  sku: identifier(),
  /** 1-based rank in the served list, when the shop still knows it at checkout. */
  position: positiveInt().optional(),
  quantity: positiveInt().default(1),
  /** The order that holds the purchase, to join with `order.placed`. */
  orderId: identifier().optional(),
});
