import { exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import type { SourcedEvent } from '../../src';

export const EVENTS_TOPIC = 'retail.events.v1';

/** A parsed (normalised) event built from the contracts' example, as a consumer receives it. */
export function event<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T> = {}): StoreloopEvent {
  const parsed = parseEvent(exampleEvent(type, overrides));
  if (!parsed.ok) throw new Error(`invalid test event: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
}

export function sourced(partition: number, offset: number, e: StoreloopEvent, topic = EVENTS_TOPIC): SourcedEvent {
  return { event: e, topic, partition, offset: String(offset) };
}
