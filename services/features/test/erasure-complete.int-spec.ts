import { Redis } from 'ioredis';
import { EventType } from '@storeloop/contracts';
import { hashedUserId, readUserViews } from '@storeloop/feature-store';
import { waitCaughtUp } from './support/drive';
import { parsed } from './support/stream';
import { FeaturesWorld } from './support/world';

const MINUTE = 60_000;

/** Where a string was found in Redis: a key's name, or one entry of its value. */
interface Finding {
  key: string;
  type: string;
  where: 'name' | 'value' | 'field' | 'member' | 'entry';
}

/**
 * Every place under `prefix` that holds `needle`: key names, string values,
 * hash fields and values, list entries, set and sorted-set members, stream
 * entries. Key names are also checked across the whole database, in case a
 * key escaped the prefix.
 */
async function findInRedis(redis: Redis, prefix: string, needle: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const mine: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    for (const key of keys) {
      if (key.startsWith(prefix)) mine.push(key);
      else if (key.includes(needle)) findings.push({ key, type: 'outside the prefix', where: 'name' });
    }
    cursor = next;
  } while (cursor !== '0');
  for (const key of mine) {
    const type = await redis.type(key);
    const found = (where: Finding['where']) => findings.push({ key, type, where });
    if (key.includes(needle)) found('name');
    if (type === 'string') {
      if ((await redis.get(key))?.includes(needle)) found('value');
    } else if (type === 'hash') {
      const entries = Object.entries(await redis.hgetall(key));
      if (entries.some(([field]) => field.includes(needle))) found('field');
      if (entries.some(([, value]) => value.includes(needle))) found('value');
    } else if (type === 'list') {
      if ((await redis.lrange(key, 0, -1)).some((entry) => entry.includes(needle))) found('entry');
    } else if (type === 'set') {
      if ((await redis.smembers(key)).some((member) => member.includes(needle))) found('member');
    } else if (type === 'zset') {
      if ((await redis.zrange(key, 0, -1)).some((member) => member.includes(needle))) found('member');
    } else if (type === 'stream') {
      const entries = await redis.xrange(key, '-', '+');
      if (entries.some(([, fields]) => fields.some((value) => value.includes(needle)))) found('entry');
    }
  }
  return findings;
}

describe('features: erasure leaves nothing of the user anywhere in Redis (built service, real Kafka and Redis)', () => {
  const world = new FeaturesWorld();
  let redis: Redis;

  afterAll(async () => {
    redis?.disconnect();
    await world.dispose();
  });

  it('keeps no key, field, member, entry or value holding the erased user id; only the hashed id in the erased set', async () => {
    redis = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: 1 });
    await world.setup();
    const features = await world.process();
    await features.start();
    const tag = `erase-all-${world.suffix}`;
    const erased = `${tag}-shopper-gone`;
    const kept = `${tag}-shopper-kept`;
    // Recent enough that served lists are still open for attribution when the erasure arrives.
    const t0 = Date.now() - 20 * MINUTE;
    const at = (m: number) => new Date(t0 + m * MINUTE).toISOString();
    let serial = 0;
    // Event and recommendation ids never contain the user id: a finding is then the user's id itself.
    const id = () => `${tag}-e${(serial += 1)}`;
    const sku = (n: number) => `${tag}-sku-${n}`;
    /** Every kind of shopper and feedback event the features service applies, over shared SKUs (co-view, co-purchase). */
    const footprint = (userId: string, from: number) => {
      const recommendationId = id();
      return [
        parsed(EventType.ProductViewed, { id: id(), time: at(from), data: { userId, sku: sku(1) } }),
        parsed(EventType.ProductViewed, { id: id(), time: at(from + 0.5), data: { userId, sku: sku(2) } }),
        parsed(EventType.SearchPerformed, { id: id(), time: at(from + 0.6), data: { userId, query: 'shoes' } }),
        parsed(EventType.ProductFavorited, { id: id(), time: at(from + 0.7), data: { userId, sku: sku(2) } }),
        parsed(EventType.CartItemAdded, { id: id(), time: at(from + 1), data: { userId, sku: sku(1), quantity: 2 } }),
        parsed(EventType.CartItemRemoved, { id: id(), time: at(from + 1.2), data: { userId, sku: sku(1), quantity: 1 } }),
        parsed(EventType.RecommendationServed, {
          id: id(),
          time: at(from + 2),
          data: { userId, recommendationId, modelVersion: 'v1', surface: 'home', items: [{ sku: sku(3), position: 1, score: 0.9 }, { sku: sku(4), position: 2, score: 0.8 }] },
        }),
        parsed(EventType.RecommendationClicked, { id: id(), time: at(from + 2.5), data: { userId, recommendationId, sku: sku(3), position: 1 } }),
        parsed(EventType.OrderPlaced, {
          id: id(),
          time: at(from + 3),
          data: { userId, orderId: id(), store: 'store-1', items: [{ sku: sku(1), quantity: 1, unitPrice: { amount: '9.99', currency: 'EUR' } }, { sku: sku(3), quantity: 1, unitPrice: { amount: '4.50', currency: 'EUR' } }] },
        }),
      ];
    };

    await world.publish([...footprint(erased, 0), ...footprint(kept, 0)]);
    await waitCaughtUp(world, 120_000);
    const prefix = world.redisKeyPrefix;
    // The scan finds the user before the erasure, so an empty result afterwards means something.
    const before = await findInRedis(redis, prefix, erased);
    expect(before.filter((f) => f.where === 'name').length).toBeGreaterThan(0);

    await world.publish([parsed(EventType.UserErasureRequested, { id: id(), time: at(10), data: { userId: erased, requestedBy: 'privacy-portal' } })]);
    await waitCaughtUp(world, 120_000);
    // Later traffic of the erased and the kept user: applied for the one, skipped for the other.
    await world.publish([...footprint(erased, 12), ...footprint(kept, 12)]);
    await waitCaughtUp(world, 120_000);

    expect(await findInRedis(redis, prefix, erased)).toEqual([]);
    const hashed = hashedUserId(erased);
    expect(await findInRedis(redis, prefix, hashed)).toEqual([{ key: `${prefix}default:{erased-users}`, type: 'set', where: 'member' }]);
    // The kept user, on the same SKUs, is still there: the scan is not passing for want of data.
    expect((await findInRedis(redis, prefix, kept)).length).toBeGreaterThan(0);
    const [gone, still] = await readUserViews(world.redis(), [erased, kept]);
    expect(gone.known).toBe(false);
    expect(still.known).toBe(true);
  }, 300_000);
});
