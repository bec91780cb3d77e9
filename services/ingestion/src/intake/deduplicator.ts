import { createHash } from 'node:crypto';
import type { RedisClient } from '@storeloop/feature-store';
import type { StoreloopEvent } from '@storeloop/contracts';

/**
 * Remembers event ids for a window, in Redis so that it holds across
 * restarts and replicas. CloudEvents makes `source` + `id` unique; the tenant
 * keeps tenants apart. Keys are hashed to bound their size.
 *
 * Each mark names its owner: the raw record (topic/partition/offset) that
 * first claimed the id. A record that finds its own mark is a replay of
 * itself after a crash or an aborted transaction, and proceeds; any other
 * record with that id is a duplicate. Because the owner's offset commits only
 * with its output, an owner is always eventually written, and exactly once.
 */
export class EventDeduplicator {
  constructor(
    private readonly redis: RedisClient,
    private readonly windowMs: number,
  ) {}

  static key(event: Pick<StoreloopEvent, 'tenant' | 'source' | 'id'>): string {
    const digest = createHash('sha256').update(`${event.tenant}\n${event.source}\n${event.id}`).digest('base64url');
    return `dedup:${digest}`;
  }

  /** For each event, true when this owner holds (or now takes) the mark, false when another record does. */
  async claim(entries: { event: StoreloopEvent; owner: string }[]): Promise<boolean[]> {
    // SET NX GET (Redis >= 7.0): one command per id sets the mark or returns its holder.
    // Lower-case name: ioredis applies REDIS_KEY_PREFIX to `call` only for command names it knows, which are lower case.
    const previous = await Promise.all(
      entries.map(({ event, owner }) =>
        this.redis.call('set', EventDeduplicator.key(event), owner, 'NX', 'GET', 'PX', String(this.windowMs)) as Promise<string | null>,
      ),
    );
    return previous.map((holder, i) => holder === null || holder === entries[i].owner);
  }

  /** Whether each event is already marked (a cheap early answer; `claim` is the authority). */
  async seen(events: StoreloopEvent[]): Promise<boolean[]> {
    const found = await Promise.all(events.map((event) => this.redis.exists(EventDeduplicator.key(event))));
    return found.map((n) => n === 1);
  }
}
