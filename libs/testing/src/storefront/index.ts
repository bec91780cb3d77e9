export { priceOf, replayEvents, selectShoppers, shopperIdOf, skuOf } from './movielens-shoppers';
export type { ReplayEvent, ReplayOptions, Shopper, ShopperSelection } from './movielens-shoppers';
export { Storefront, StorefrontError, firstVisitTallies } from './storefront';
export type { RoundSummary, ServedList, StorefrontOptions, VersionTally, Visit } from './storefront';
export { CDNOW_SKU, cdnowCustomerId, cdnowReplayEvents } from './cdnow-replay';
export type { CdnowOrderEvent, CdnowReplayOptions } from './cdnow-replay';
export { m5ReplayEvents, m5Sku, m5WalkInUser } from './m5-replay';
export type { M5ReplayEvent, M5ReplayOptions } from './m5-replay';
