import { Cluster, type ChainableCommander } from 'ioredis';
import { StoreloopError } from '@storeloop/observability';
import type { RedisClient } from '../client';
import { hashSlot } from './slots';

/** One command for `execPipelined`: the key that routes it and how to queue it. */
export interface PipelinedCommand {
  /** A key of the command, without the client's key prefix; all its keys share this key's slot. */
  key: string;
  queue(pipeline: ChainableCommander): void;
}

export const REDIS_COMMAND_FAILED = 'FEATURES.REDIS_COMMAND_FAILED';

/**
 * Sends the commands in one round trip and returns their replies in order.
 * On a single Redis that is one pipeline. On a cluster, ioredis requires every
 * pipeline to go to one node, so there is one pipeline per node, all sent at
 * once. Any error reply fails the whole call (after every reply has arrived),
 * so callers never act on a half-known result.
 */
export async function execPipelined(redis: RedisClient, commands: readonly PipelinedCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const groups = groupByNode(redis, commands);
  const replies: unknown[] = new Array(commands.length);
  const failures: Error[] = [];
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const pipeline = redis.pipeline();
      for (const index of indexes) commands[index].queue(pipeline);
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, reply], position) => {
        if (error) failures.push(error);
        replies[indexes[position]] = reply;
      });
    }),
  );
  if (failures.length) {
    throw new StoreloopError(REDIS_COMMAND_FAILED, `${failures.length} Redis command(s) failed: ${failures[0].message}`, {
      retriable: true,
      cause: failures[0],
    });
  }
  return replies;
}

/**
 * Indexes of the commands per target. For a cluster whose slot map is known,
 * one group per node; before that, one per slot, which is always routable.
 */
function groupByNode(redis: RedisClient, commands: readonly PipelinedCommand[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  const cluster = redis instanceof Cluster ? redis : undefined;
  const prefix = cluster?.options.keyPrefix ?? '';
  commands.forEach((command, index) => {
    let target = 'single';
    if (cluster) {
      const slot = hashSlot(prefix + command.key);
      target = cluster.slots[slot]?.join(',') ?? `slot:${slot}`;
    }
    const group = groups.get(target);
    if (group) group.push(index);
    else groups.set(target, [index]);
  });
  return groups;
}
