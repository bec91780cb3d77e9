import { DEFAULT_TENANT } from '@storeloop/contracts';
import type { RedisClient } from '../client';
import { allUserKeys, erasedUsersKey, hashedUserId, userKeys } from './keys';
import { execPipelined, type PipelinedCommand } from './pipeline';

/** Records the user's hashed id in the tenant's erased set: applying skips the user from then on, training excludes it. */
export function markErasedCommand(tenant: string, userId: string): PipelinedCommand {
  const key = erasedUsersKey(tenant);
  return { key, queue: (pipeline) => pipeline.sadd(key, hashedUserId(userId)) };
}

/** Deletes every key of the user: they share one hash tag, so one DEL on one slot. */
export function eraseCommand(tenant: string, userId: string): PipelinedCommand {
  const keys = allUserKeys(userKeys(tenant, userId));
  return { key: keys[0], queue: (pipeline) => pipeline.del(...keys) };
}

/**
 * Erases a user from the feature store: records the sha256 of the id in the
 * tenant's erased set, then deletes every key of the user. The item side
 * keeps nothing per user (co-view, co-purchase, popularity and stock are
 * item-level aggregates), so there is nothing to remove there. Two round
 * trips on purpose: the id is recorded before the keys go, so a batch being
 * applied concurrently either sees the id and skips the user, or writes
 * first and then finds the id when it checks again and deletes the keys.
 * Idempotent.
 */
export async function eraseUser(redis: RedisClient, userId: string, options: { tenant?: string } = {}): Promise<void> {
  const tenant = options.tenant ?? DEFAULT_TENANT;
  await execPipelined(redis, [markErasedCommand(tenant, userId)]);
  await execPipelined(redis, [eraseCommand(tenant, userId)]);
}

/** Whether the user's id is in the tenant's erased set (training and serving exclude such users). */
export async function isUserErased(redis: RedisClient, userId: string, options: { tenant?: string } = {}): Promise<boolean> {
  return (await redis.sismember(erasedUsersKey(options.tenant ?? DEFAULT_TENANT), hashedUserId(userId))) === 1;
}
