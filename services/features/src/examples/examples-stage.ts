import type { SourcedEvent } from '@storeloop/feature-store';
import type { BatchContext } from '@storeloop/messaging';

/** Runs on every slice before it is applied to the views, while Redis still holds the state before the slice. */
export interface ExamplesStage {
  beforeApply(events: readonly SourcedEvent[], context: BatchContext): Promise<void>;
  /** The group rebalanced: positions learnt from Kafka may be stale. */
  onAssignment(): void;
  close(): Promise<void>;
}
