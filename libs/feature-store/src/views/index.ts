export { applyEventBatch, readStoredOffsets, type ApplyEventBatchOptions, type ApplyEventBatchResult } from './apply-event-batch';
export { eraseUser, isUserErased } from './erasure';
export * from './keys';
export { affinitySkusOf, type SourcedEvent } from './plan';
export {
  readItemViews,
  readSkuStoreViews,
  readUserViews,
  type ItemFeatureView,
  type ReadViewsOptions,
  type SkuStoreFeatureView,
  type UserFeatureView,
  type WindowedCounts,
} from './read-views';
export * from './settings';
export { hashSlot } from './slots';
export * from './vectors';
