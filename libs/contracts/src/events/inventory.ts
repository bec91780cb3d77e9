import { z } from 'zod';
import { identifier, nonNegativeInt, positiveInt, utcTimestamp } from '../primitives';

export const inventorySnapshotTakenData = z.object({
  sku: identifier(),
  store: identifier(),
  onHand: nonNegativeInt(),
  onOrder: nonNegativeInt(),
  // The count's own time; the envelope `time` is when the WMS published it.
  asOf: utcTimestamp(),
});

export const goodsReceivedData = z.object({
  sku: identifier(),
  store: identifier(),
  quantity: positiveInt(),
  purchaseOrderId: identifier(),
});
