import { readItemViews, readUserViews } from '@storeloop/feature-store';
import type { StoreloopEvent } from '@storeloop/contracts';
import { counterDifferences, groundTruth } from './stream';
import type { FeaturesWorld } from './world';

/** Reads every user and item of the stream and lists where the store differs from the ground truth (at most `limit` lines). */
export async function differencesFromTruth(world: FeaturesWorld, events: readonly StoreloopEvent[], limit = 20): Promise<{ differences: string[]; users: number; items: number }> {
  const asOfMs = events.reduce((max, e) => Math.max(max, Date.parse(e.time)), 0) + 60_000;
  const truth = groundTruth(events, asOfMs);
  const asOf = new Date(asOfMs);
  const users = [...truth.users.keys()];
  const items = [...truth.items.keys()];
  const userViews = [];
  for (let i = 0; i < users.length; i += 500) userViews.push(...(await readUserViews(world.redis(), users.slice(i, i + 500), { asOf })));
  const itemViews = [];
  for (let i = 0; i < items.length; i += 500) itemViews.push(...(await readItemViews(world.redis(), items.slice(i, i + 500), { asOf })));
  const differences = counterDifferences(truth, userViews, itemViews);
  return { differences: differences.slice(0, limit).concat(differences.length > limit ? [`... and ${differences.length - limit} more`] : []), users: users.length, items: items.length };
}
