import type { Redis } from 'ioredis';

/** Every key of the database with its content (not its TTL), for comparing two stores exactly. */
export async function keyspaceSnapshot(redis: Redis): Promise<Record<string, unknown>> {
  const keys = (await redis.keys('*')).sort();
  const snapshot: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'hash') snapshot[key] = await redis.hgetall(key);
    else if (type === 'zset') snapshot[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') snapshot[key] = await redis.lrange(key, 0, -1);
    else if (type === 'set') snapshot[key] = (await redis.smembers(key)).sort();
    else snapshot[key] = await redis.get(key);
  }
  return snapshot;
}

/** Bytes Redis attributes to the keys (MEMORY USAGE with every element sampled). */
export async function memoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  let bytes = 0;
  for (const key of keys) bytes += Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  return bytes;
}
