import { storeDifferencesFromEvents } from '@storeloop/feature-store';
import type { StoreloopEvent } from '@storeloop/contracts';
import type { FeaturesWorld } from './world';

/** Reads every user and item of the stream and lists where the store differs from the ground truth (at most `limit` lines). */
export async function differencesFromTruth(world: FeaturesWorld, events: readonly StoreloopEvent[], limit = 20): Promise<{ differences: string[]; users: number; items: number }> {
  const { differences, users, items } = await storeDifferencesFromEvents(world.redis(), events, limit);
  return { differences, users, items };
}
