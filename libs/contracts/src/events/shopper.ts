import { z } from 'zod';
import { identifier, money, positiveInt, salesChannel } from '../primitives';

/**
 * Who acted, where. Every shopper-behaviour event carries it; `sessionId`,
 * `store` and `channel` are optional so producers that predate them stay valid.
 */
export const shopperContext = {
  userId: identifier(),
  sessionId: identifier().optional(),
  store: identifier().optional(),
  channel: salesChannel(),
};

export const productViewedData = z.object({
  ...shopperContext,
  sku: identifier(),
});

export const cartItemAddedData = z.object({
  ...shopperContext,
  sku: identifier(),
  quantity: positiveInt(),
  unitPrice: money().optional(),
});

export const cartItemRemovedData = z.object({
  ...shopperContext,
  sku: identifier(),
  quantity: positiveInt(),
});

export const productFavoritedData = z.object({
  ...shopperContext,
  sku: identifier(),
});

export const searchPerformedData = z.object({
  ...shopperContext,
  query: z.string().trim().min(1, 'must not be empty').max(512),
  resultsCount: z.number().int().nonnegative(),
  clickedSkus: z.array(identifier()).default([]),
});
