import { z } from 'zod';
import { identifier, money } from '../primitives';

/** Free-form product attributes (brand, colour, size...): scalar values only, so they map to features. */
const attributeValue = z.union([z.string(), z.number(), z.boolean()]);

export const catalogItemUpsertedData = z.object({
  sku: identifier(),
  title: z.string().trim().min(1, 'must not be empty').max(500),
  categoryPath: z.array(z.string().trim().min(1, 'must not be empty')).min(1, 'needs at least the top category'),
  price: money(),
  attributes: z.record(z.string().min(1), attributeValue).default({}),
  active: z.boolean().default(true),
});
