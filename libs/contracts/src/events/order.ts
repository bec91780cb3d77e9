import { z } from 'zod';
import { identifier, money, positiveInt } from '../primitives';
import { shopperContext } from './shopper';

export const orderLine = z.object({
  sku: identifier(),
  quantity: positiveInt(),
  unitPrice: money(),
});

export const orderPlacedData = z
  .object({
    ...shopperContext,
    orderId: identifier(),
    items: z.array(orderLine).min(1, 'an order has at least one line'),
  })
  // One order, one currency: revenue features add line amounts without conversion.
  .superRefine((order, ctx) => {
    const currency = order.items[0]?.unitPrice.currency;
    order.items.forEach((line, index) => {
      if (line.unitPrice.currency !== currency) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'unitPrice', 'currency'],
          message: `all lines of an order share one currency (line 0 is ${currency})`,
        });
      }
    });
  });
