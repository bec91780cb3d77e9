export {
  attribute,
  attributionWindows,
  decodeServedRecord,
  DEFAULT_ATTRIBUTION_WINDOWS,
  encodeServedRecord,
  SERVED_RECORD_INVALID,
  type AttributionInput,
  type AttributionResult,
  type AttributionWindows,
  type ServedRecord,
} from './attribution';
export {
  exampleFeatures,
  snapshotItem,
  snapshotKey,
  snapshotRequest,
  snapshotUser,
  type FeatureSnapshot,
  type SnapshotRequest,
} from './feature-snapshot';
export { buildInteractionExamples, type SliceEvent } from './interaction-examples';
