import { setTimeout as sleep } from 'node:timers/promises';
import type { StoreloopEvent } from '@storeloop/contracts';
import { waitFor } from '@storeloop/testing';
import type { FeaturesWorld } from './world';

/** Publishes the events in chunks with a pause between them, so the stream outlasts what the test does to the service. */
export function publishPaced(world: FeaturesWorld, events: readonly StoreloopEvent[], chunk = 2_000, pauseMs = 60): { done: Promise<void>; published: () => number } {
  let published = 0;
  const done = (async () => {
    for (let i = 0; i < events.length; i += chunk) {
      await world.publish(events.slice(i, i + chunk));
      published = Math.min(events.length, i + chunk);
      await sleep(pauseMs);
    }
  })();
  return { done, published: () => published };
}

/** Waits until Redis says at least `records` records are applied; returns how many are. */
export async function waitApplied(world: FeaturesWorld, records: number, timeoutMs = 300_000): Promise<number> {
  const progress = await waitFor(
    async () => {
      const now = await world.progress();
      return now.applied >= records ? now : undefined;
    },
    { timeoutMs, intervalMs: 50, description: `${records} records applied` },
  );
  return progress.applied;
}

export async function waitCaughtUp(world: FeaturesWorld, timeoutMs = 300_000): Promise<void> {
  await waitFor(async () => (await world.progress()).caughtUp, { timeoutMs, intervalMs: 250, description: 'the store to have applied every record' });
}
