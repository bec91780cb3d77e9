import type { TrainingExample } from '@storeloop/contracts';
import { DEFAULT_TENANT } from '@storeloop/contracts';
import type { BinaryLabel } from '@storeloop/ml';

/** An example as the window keeps it: times in ms, the label made binary, and when it arrived here. */
export interface WindowedExample {
  id: string;
  tenant: string;
  userId: string;
  sku: string;
  eventTimeMs: number;
  label: BinaryLabel;
  user: Record<string, number>;
  item: Record<string, number>;
  /** When this service first stored it: "new examples since the last run" counts by this. */
  arrivedAtMs: number;
}

export interface WindowLimits {
  /** Examples older than this before the newest one leave the window. */
  windowMs: number;
  maxExamples: number;
  /** Labels at or above this are positive. */
  positiveThreshold: number;
}

export function toWindowed(example: TrainingExample, arrivedAtMs: number, positiveThreshold: number): WindowedExample {
  return {
    id: example.exampleId,
    tenant: example.tenant ?? DEFAULT_TENANT,
    userId: example.userId,
    sku: example.sku,
    eventTimeMs: Date.parse(example.eventTime),
    label: example.label >= positiveThreshold ? 1 : 0,
    user: example.userFeatures,
    item: example.itemFeatures,
    arrivedAtMs,
  };
}

/** Event time, then id: a total order, so every snapshot of the same examples splits the same way. */
export const byEventTime = (a: WindowedExample, b: WindowedExample) => a.eventTimeMs - b.eventTimeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The examples training learns from: deduplicated by example id (the features
 * service derives ids deterministically, so a redelivery is the same id),
 * bounded by event-time span and by count, oldest leaving first.
 */
export class ExampleWindow {
  private readonly byId = new Map<string, WindowedExample>();
  private newestEventTimeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly limits: WindowLimits) {}

  get size(): number {
    return this.byId.size;
  }

  /** The examples not in the window yet, each id once: what `add` would store. Changes nothing. */
  unseen(examples: readonly WindowedExample[]): WindowedExample[] {
    const seen = new Set<string>();
    return examples.filter((example) => {
      if (this.byId.has(example.id) || seen.has(example.id)) return false;
      seen.add(example.id);
      return true;
    });
  }

  /** Adds what is not there yet and prunes; returns the examples that were new. */
  add(examples: readonly WindowedExample[]): WindowedExample[] {
    const added: WindowedExample[] = [];
    for (const example of examples) {
      if (this.byId.has(example.id)) continue;
      this.byId.set(example.id, example);
      added.push(example);
      if (example.eventTimeMs > this.newestEventTimeMs) this.newestEventTimeMs = example.eventTimeMs;
    }
    if (added.length > 0) this.prune();
    return added;
  }

  /** Examples first stored after `ms` (all of them when `ms` is null). */
  arrivedAfter(ms: number | null): number {
    if (ms === null) return this.byId.size;
    let count = 0;
    for (const example of this.byId.values()) if (example.arrivedAtMs > ms) count += 1;
    return count;
  }

  /** The window in event-time order. */
  snapshot(): WindowedExample[] {
    return [...this.byId.values()].sort(byEventTime);
  }

  private prune(): void {
    const oldestKept = this.newestEventTimeMs - this.limits.windowMs;
    for (const [id, example] of this.byId) if (example.eventTimeMs < oldestKept) this.byId.delete(id);
    if (this.byId.size > this.limits.maxExamples) {
      const sorted = this.snapshot();
      for (const example of sorted.slice(0, sorted.length - this.limits.maxExamples)) this.byId.delete(example.id);
    }
  }
}

export interface TimeSplit {
  train: WindowedExample[];
  holdout: WindowedExample[];
  /** Event time of the first holdout example: nothing at or after it is trained on. */
  holdoutFromMs: number;
}

/**
 * The newest `fraction` of an event-time-ordered list as holdout. Examples
 * sharing the boundary's event time all go to the holdout, so no training
 * example is as new as any holdout example.
 */
export function splitByTime(sorted: readonly WindowedExample[], fraction: number): TimeSplit {
  if (sorted.length < 2) throw new Error(`cannot split ${sorted.length} example(s) into training and holdout`);
  let cut = Math.min(sorted.length - 1, Math.max(1, Math.floor(sorted.length * (1 - fraction))));
  while (cut > 0 && sorted[cut - 1].eventTimeMs === sorted[cut].eventTimeMs) cut -= 1;
  if (cut === 0) throw new Error('every example has the same event time: there is no older part to train on');
  return { train: sorted.slice(0, cut), holdout: sorted.slice(cut), holdoutFromMs: sorted[cut].eventTimeMs };
}

/**
 * The part of a holdout a champion was never trained on: examples at or
 * after the champion's own holdout start (it learnt only from what came
 * before). Older holdout examples may be in its training data, which would
 * favour it unfairly in the comparison.
 */
export function unseenBy(holdout: readonly WindowedExample[], championHoldoutFromMs: number): WindowedExample[] {
  return holdout.filter((example) => example.eventTimeMs >= championHoldoutFromMs);
}
