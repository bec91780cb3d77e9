import type { RedisClient } from '../client';
import { eraseCommand, markErasedCommand } from './erasure';
import { erasedUsersKey, hashedUserId, itemKeys, offsetsKey, userKeys } from './keys';
import { execPipelined, type PipelinedCommand } from './pipeline';
import {
  affinitySkusOf,
  orderBatch,
  planBatch,
  sourceOf,
  userOf,
  type BatchContext,
  type EntityUpdate,
  type SourcedEvent,
  type UserRef,
} from './plan';
import { queueAdvanceOffsets, queueApplyEntity, withScripts } from './scripts';
import { featureSettings, LIMITS, type FeatureSettings } from './settings';

export interface ApplyEventBatchOptions {
  /** Where the consumed offsets are stored, usually the consumer group id. */
  offsetNamespace: string;
  settings?: Partial<FeatureSettings>;
}

export interface ApplyEventBatchResult {
  /** Distinct (topic, partition, offset) in the batch. */
  events: number;
  /** Effects of an event on one entity written now (an event touching a user and two items counts 3). */
  applied: number;
  /**
   * Effects an entity had already (a redelivery), plus events left out whole
   * before reaching Redis: already applied to their user, or of an erased user.
   */
  skipped: number;
  /** Users whose keys this batch deleted: erasure requests, and users erased while the batch ran. */
  erasedUsers: number;
  /** For each partition in the batch, the next offset to consume (stored unless a higher one already was). */
  nextOffsets: { topic: string; partition: number; offset: string }[];
}

/**
 * Applies a batch of events to the feature views, each event's effect on
 * each entity exactly once, and stores the next offset of every partition
 * in the batch.
 *
 * Exactly once without cross-slot transactions: every entity (a user, an
 * item with its SKU x store keys) keeps, per source partition, the newest
 * offset applied to it, and its script applies an event only when the
 * event's offset is newer, writing state and guard atomically.
 *
 * Precondition, met by a Kafka consumer that seeks to `readStoredOffsets`:
 * a batch starts where every earlier event of its partitions has been
 * applied (at the stored offset, or right after the previous batch the same
 * consumer applied), and events of a partition come in offset order. Then a
 * guard at offset N means every earlier event of that partition has reached
 * the entity. Round trips, in order:
 *
 * 1. read what planning needs (sessions, guards, categories, erased set);
 * 2. item scripts (and the erased-set entries of erasure requests);
 * 3. user scripts: after items, because co-view pairs come from the user's
 *    session as it was before the batch; once a user has moved on, its items
 *    have the pairs already;
 * 4. delete erased users and check again whether a user written in 3 was
 *    erased meanwhile (then delete it too, one more round trip);
 * 5. the partitions' next offsets, only once everything above succeeded, so
 *    a crash anywhere re-delivers instead of skipping.
 *
 * Event time (the CloudEvent `time`) drives windows, decay and sessions, so
 * replaying the same events gives the same views.
 */
export async function applyEventBatch(
  redis: RedisClient,
  events: readonly SourcedEvent[],
  options: ApplyEventBatchOptions,
): Promise<ApplyEventBatchResult> {
  const settings = featureSettings(options.settings);
  const client = withScripts(redis);
  const ordered = orderBatch(events);
  const plan = planBatch(ordered, await readBatchContext(client, ordered), settings);

  const itemReplies = await execPipelined(client, [
    ...plan.items.map(applyCommand),
    ...plan.erasures.map(({ tenant, userId }) => markErasedCommand(tenant, userId)),
  ]);
  const userReplies = await execPipelined(client, plan.users.map(applyCommand));
  const counts = [...itemReplies.slice(0, plan.items.length), ...userReplies] as [number, number][];

  const erasedMeanwhile = await deleteErasedUsers(client, plan.erasures, plan.writtenUsers);
  if (erasedMeanwhile.length) await execPipelined(client, erasedMeanwhile.map(({ tenant, userId }) => eraseCommand(tenant, userId)));

  const nextOffsets = [...plan.nextOffsets].flatMap(([topic, partitions]) =>
    [...partitions].map(([partition, offset]) => ({ topic, partition, offset })),
  );
  await execPipelined(
    client,
    [...plan.nextOffsets].map(([topic, partitions]) => {
      const key = offsetsKey(options.offsetNamespace, topic);
      return { key, queue: (pipeline) => queueAdvanceOffsets(pipeline, key, partitions) } satisfies PipelinedCommand;
    }),
  );

  return {
    events: ordered.length,
    applied: counts.reduce((sum, [applied]) => sum + applied, 0),
    skipped: plan.skippedEvents + counts.reduce((sum, [, skipped]) => sum + skipped, 0),
    erasedUsers: plan.erasures.length + erasedMeanwhile.length,
    nextOffsets,
  };
}

/** The stored next offset of each partition of `topic`: where a consumer of the namespace resumes. */
export async function readStoredOffsets(redis: RedisClient, offsetNamespace: string, topic: string): Promise<Map<number, string>> {
  const stored = await redis.hgetall(offsetsKey(offsetNamespace, topic));
  return new Map(
    Object.entries(stored)
      .map(([partition, offset]) => [Number(partition), offset] as [number, string])
      .sort(([a], [b]) => a - b),
  );
}

function applyCommand(update: EntityUpdate): PipelinedCommand {
  const json = JSON.stringify(update.groups);
  return { key: update.keys[0], queue: (pipeline) => queueApplyEntity(pipeline, update.keys, json, update.ttlMs) };
}

/** Round trip 1: guards and sessions of the batch's users, categories of the items they touch, erased users. */
async function readBatchContext(redis: RedisClient, ordered: readonly SourcedEvent[]): Promise<BatchContext> {
  const users = new Map<string, { ref: UserRef; sources: Set<string> }>();
  const items = new Set<string>();
  for (const { event, topic, partition } of ordered) {
    const ref = userOf(event);
    if (!ref) continue;
    const main = userKeys(ref.tenant, ref.userId).main;
    const entry = users.get(main) ?? { ref, sources: new Set<string>() };
    entry.sources.add(sourceOf(topic, partition));
    users.set(main, entry);
    for (const sku of affinitySkusOf(event)) items.add(itemKeys(event.tenant, sku).main);
  }
  const context: BatchContext = { users: new Map(), categories: new Map(), erasedUsers: new Set() };
  if (users.size === 0) return context;

  const userList = [...users.values()].map(({ ref, sources }) => ({ ref, keys: userKeys(ref.tenant, ref.userId), sources: [...sources] }));
  const itemList = [...items];
  const byTenant = groupByTenant(userList.map(({ ref }) => ref));
  const commands: PipelinedCommand[] = [
    ...userList.flatMap(({ keys, sources }): PipelinedCommand[] => [
      { key: keys.main, queue: (p) => p.hmget(keys.main, 'ss', 'sl', 'sn', ...sources.map((source) => `@${source}`)) },
      { key: keys.sessionViews, queue: (p) => p.lrange(keys.sessionViews, 0, LIMITS.sessionViewsPaired - 1) },
    ]),
    ...itemList.map((main): PipelinedCommand => ({ key: main, queue: (p) => p.hget(main, 'cat') })),
    ...erasedChecks(byTenant),
  ];
  const replies = await execPipelined(redis, commands);

  userList.forEach(({ keys, sources }, index) => {
    const [startedAt, lastEventAt, events, ...guards] = replies[2 * index] as (string | null)[];
    const viewedSkus = replies[2 * index + 1] as string[];
    context.users.set(keys.main, {
      guards: new Map(sources.flatMap((source, i) => (guards[i] === null ? [] : [[source, guards[i]] as [string, string]]))),
      session:
        startedAt === null || lastEventAt === null || events === null
          ? undefined
          : { startedAtMs: Number(startedAt), lastEventAtMs: Number(lastEventAt), events: Number(events), viewedSkus },
    });
  });
  itemList.forEach((main, index) => {
    const path = replies[2 * userList.length + index] as string | null;
    if (path !== null) context.categories.set(main, JSON.parse(path) as string[]);
  });
  let reply = 2 * userList.length + itemList.length;
  for (const refs of byTenant.values()) {
    const flags = replies[reply++] as number[];
    refs.forEach((ref, i) => {
      if (flags[i]) context.erasedUsers.add(userKeys(ref.tenant, ref.userId).main);
    });
  }
  return context;
}

/**
 * Round trip 4: deletes the keys of users erased by this batch and asks
 * whether any user written by this batch was erased while it ran (an
 * erasure records the id before deleting, so one of the two sees the other).
 */
async function deleteErasedUsers(redis: RedisClient, erasures: readonly UserRef[], written: readonly UserRef[]): Promise<UserRef[]> {
  const byTenant = groupByTenant(written);
  const replies = await execPipelined(redis, [
    ...erasures.map(({ tenant, userId }) => eraseCommand(tenant, userId)),
    ...erasedChecks(byTenant),
  ]);
  const flags = replies.slice(replies.length - byTenant.size) as number[][];
  return [...byTenant.values()].flatMap((refs, t) => refs.filter((_, i) => flags[t][i] === 1));
}

/** One SMISMEMBER per tenant: which of the users are in the tenant's erased set (replies 1 or 0, in order). */
function erasedChecks(byTenant: ReadonlyMap<string, UserRef[]>): PipelinedCommand[] {
  return [...byTenant].map(([tenant, refs]) => {
    const key = erasedUsersKey(tenant);
    return { key, queue: (p) => p.smismember(key, ...refs.map(({ userId }) => hashedUserId(userId))) };
  });
}

function groupByTenant(refs: readonly UserRef[]): Map<string, UserRef[]> {
  const byTenant = new Map<string, UserRef[]>();
  for (const ref of refs) {
    const group = byTenant.get(ref.tenant);
    if (group) group.push(ref);
    else byTenant.set(ref.tenant, [ref]);
  }
  return byTenant;
}
