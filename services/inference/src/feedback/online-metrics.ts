import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { EventType, TOPICS, type ParsedTopicPayloads } from '@storeloop/contracts';
import type { RedisClient } from '@storeloop/feature-store';
import { BatchConsumer, TopicProducer, contractDecoder, retryKafkaCall, type BatchContext, type ConsumedMessage, type TopicNamer } from '@storeloop/messaging';
import { StoreloopError, env, getOrCreateCounter, getOrCreateGauge, type Logger } from '@storeloop/observability';
import type { FeatureStoreGate } from '../recommend/feature-store-gate';

const HOUR_MS = 3_600_000;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Settings of the online metrics consumer, documented in the README
 * (inference section). Every replica joins the same group, so they share the
 * feedback partitions and the counters in Redis are global.
 */
export const onlineMetricsSettingsSchema = z.object({
  /** Consumer group of the feedback reader, shared by every replica; also the namespace of its Redis keys. */
  INFERENCE_ONLINE_METRICS_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, dot, underscore and dash, at most 128')
    .default('inference-online-metrics'),
  /** How long a served list can still be credited with clicks and purchases (its model version kept in Redis). */
  INFERENCE_ONLINE_ATTRIBUTION_TTL_MS: env.int(48 * HOUR_MS, { min: 60_000, max: 90 * 24 * HOUR_MS }),
  /** How often the Prometheus gauges are read back from Redis. */
  INFERENCE_ONLINE_METRICS_REFRESH_MS: env.int(5_000, { min: 100, max: MAX_TIMER_MS }),
  /** Most feedback events applied in one Redis script call. */
  INFERENCE_ONLINE_METRICS_MAX_BATCH: env.int(500, { min: 1, max: 2_000 }),
});

export type OnlineMetricsSettings = z.infer<typeof onlineMetricsSettingsSchema>;

/** Another consumer moved the partition's stored offset while this one planned: re-read and plan again. */
export const ONLINE_METRICS_OFFSET_CONFLICT = 'INFERENCE.ONLINE_METRICS_OFFSET_CONFLICT';

export type FeedbackEvent = ParsedTopicPayloads[typeof TOPICS.feedback.name];

/** A model version as the served event names it; `modelName` is optional in the contract. */
export interface ModelRef {
  modelName: string | null;
  version: string;
}

export interface OnlineModelMetrics {
  modelName: string | null;
  version: string;
  /** Served lists. */
  impressions: number;
  /** Items across the served lists. */
  itemsShown: number;
  /** Distinct (recommendation, SKU) clicks. */
  clicks: number;
  /** Distinct (recommendation, SKU) purchases reported by `recommendation.purchased`. */
  purchases: number;
  /** Distinct users served (HyperLogLog estimate, about 1% error). */
  users: number;
  /** clicks / impressions; null before the first impression. */
  ctr: number | null;
  /** purchases / impressions; null before the first impression. */
  conversion: number | null;
  /** Event time of the newest event counted for this version. */
  updatedAt: string | null;
}

/** Clicks and purchases citing a recommendation id nobody served (or whose attribution expired). */
export interface UnattributedOutcomes {
  clicks: number;
  purchases: number;
}

/** One consumed feedback record. */
export interface FeedbackRecord {
  offset: string;
  event: FeedbackEvent;
}

/** What Redis knows of a served list before a batch. */
export interface ServedRecord {
  model: ModelRef;
  clicked: ReadonlySet<string>;
  purchased: ReadonlySet<string>;
}

export interface FeedbackPlanInput {
  /** Records of one partition, any order; repeats allowed. */
  records: readonly FeedbackRecord[];
  /** Next offset stored for the partition, null when none: records before it were counted already. */
  storedOffset: string | null;
  /** Served lists the records cite, by `servedRecordId(tenant, recommendationId)`. */
  served: ReadonlyMap<string, ServedRecord>;
}

export interface ModelIncrements {
  model: ModelRef;
  impressions: number;
  itemsShown: number;
  clicks: number;
  purchases: number;
  /** `tenant \0 userId` of the users served. */
  users: Set<string>;
  newestEventMs: number;
}

export interface FeedbackPlan {
  /** Next offset of the partition after the batch; null when every record was counted before (nothing to write). */
  nextOffset: string | null;
  /** By `modelRefKey`. */
  models: Map<string, ModelIncrements>;
  unattributed: UnattributedOutcomes;
  /** Served records to create (`model` set) or to mark (`c|sku`, `p|sku`), by served record id. */
  writes: Map<string, { model?: ModelRef; marks: string[] }>;
  outcomes: FeedbackOutcomes;
}

/** What became of each record of a batch, for logs and the outcome counter. */
export interface FeedbackOutcomes {
  /** Counted now (unattributed outcomes included). */
  counted: number;
  /** Before the stored offset: counted by an earlier delivery. */
  replayed: number;
  /** A repeat within the batch (same offset or event id), a list served again under its id, a SKU clicked or bought again from one list. */
  duplicates: number;
  /** Clicks and purchases whose list is unknown (also in `counted`). */
  unattributed: number;
}

/** Identifies a served list across tenants; JSON keeps any character of the ids unambiguous. */
export function servedRecordId(tenant: string, recommendationId: string): string {
  return JSON.stringify([tenant, recommendationId]);
}

export function modelRefKey(model: ModelRef): string {
  return JSON.stringify([model.modelName, model.version]);
}

const compareOffsets = (a: FeedbackRecord, b: FeedbackRecord) => {
  const x = BigInt(a.offset);
  const y = BigInt(b.offset);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The served lists a batch cites, for the read before planning. */
export function citedServedRecords(records: readonly FeedbackRecord[]): string[] {
  return [...new Set(records.map(({ event }) => servedRecordId(event.tenant, event.data.recommendationId)))];
}

/**
 * Turns one partition's batch into counter increments, purely: the same batch
 * and the same Redis state give the same plan. Records before the stored
 * offset are skipped (counted by an earlier delivery); records are applied in
 * offset order, so a click later in the batch finds the list served earlier
 * in it. Producers deliver at least once, so a list is counted once per
 * recommendation id and a click or purchase once per (list, SKU).
 */
export function planFeedbackBatch(input: FeedbackPlanInput): FeedbackPlan {
  const stored = input.storedOffset === null ? -1n : BigInt(input.storedOffset);
  const plan: FeedbackPlan = {
    nextOffset: null,
    models: new Map(),
    unattributed: { clicks: 0, purchases: 0 },
    writes: new Map(),
    outcomes: { counted: 0, replayed: 0, duplicates: 0, unattributed: 0 },
  };
  const known = new Map<string, { model: ModelRef; marks: Set<string> }>();
  for (const [id, record] of input.served) {
    known.set(id, { model: record.model, marks: new Set([...[...record.clicked].map((sku) => `c|${sku}`), ...[...record.purchased].map((sku) => `p|${sku}`)]) });
  }
  const seenOffsets = new Set<string>();
  const seenEventIds = new Set<string>();
  let last = -1n;

  for (const record of [...input.records].sort(compareOffsets)) {
    const offset = BigInt(record.offset);
    if (offset < stored) {
      plan.outcomes.replayed++;
      continue;
    }
    const canonical = offset.toString();
    if (offset > last) last = offset;
    const { event } = record;
    if (seenOffsets.has(canonical) || seenEventIds.has(event.id)) {
      plan.outcomes.duplicates++;
      continue;
    }
    seenOffsets.add(canonical);
    seenEventIds.add(event.id);
    const id = servedRecordId(event.tenant, event.data.recommendationId);
    const timeMs = Date.parse(event.time);

    if (event.type === EventType.RecommendationServed) {
      if (known.has(id)) {
        plan.outcomes.duplicates++;
        continue;
      }
      const model: ModelRef = { modelName: event.data.modelName ?? null, version: event.data.modelVersion };
      known.set(id, { model, marks: new Set() });
      plan.writes.set(id, { model, marks: [] });
      const counters = incrementsOf(plan, model, timeMs);
      counters.impressions++;
      counters.itemsShown += event.data.items.length;
      counters.users.add(`${event.tenant}\u0000${event.data.userId}`);
      plan.outcomes.counted++;
      continue;
    }

    const kind = event.type === EventType.RecommendationClicked ? 'clicks' : 'purchases';
    const served = known.get(id);
    if (!served) {
      plan.unattributed[kind]++;
      plan.outcomes.counted++;
      plan.outcomes.unattributed++;
      continue;
    }
    const mark = `${kind === 'clicks' ? 'c' : 'p'}|${event.data.sku}`;
    if (served.marks.has(mark)) {
      plan.outcomes.duplicates++;
      continue;
    }
    served.marks.add(mark);
    const write = plan.writes.get(id) ?? { marks: [] };
    write.marks.push(mark);
    plan.writes.set(id, write);
    incrementsOf(plan, served.model, timeMs)[kind]++;
    plan.outcomes.counted++;
  }

  if (last >= 0n) plan.nextOffset = (last + 1n).toString();
  return plan;
}

function incrementsOf(plan: FeedbackPlan, model: ModelRef, timeMs: number): ModelIncrements {
  const key = modelRefKey(model);
  let entry = plan.models.get(key);
  if (!entry) {
    entry = { model, impressions: 0, itemsShown: 0, clicks: 0, purchases: 0, users: new Set(), newestEventMs: timeMs };
    plan.models.set(key, entry);
  }
  entry.newestEventMs = Math.max(entry.newestEventMs, timeMs);
  return entry;
}

/**
 * Redis keys of one consumer group. They share the hash tag `{<group>}`, so
 * one script can write them all on Redis Cluster too (one slot holds the
 * whole metric store; its traffic is one script call per consumed batch).
 */
export function onlineMetricsKeys(group: string) {
  const base = `online-metrics:{${group}}`;
  return {
    /** Hash partition → next offset to count, per physical topic. */
    offsets: (topic: string) => `${base}:offsets:${topic}`,
    /** Hash `<modelRefKey>|<counter>` → value, plus `unattributed|clicks` and `unattributed|purchases`. */
    counters: `${base}:counters`,
    /** Hash of one served list: `m` (its modelRefKey), `c|<sku>` and `p|<sku>` marks; expires after the attribution TTL. */
    served: (servedId: string) => `${base}:served:${servedId}`,
    /** HyperLogLog of the users one model version served. */
    users: (refKey: string) => `${base}:users:${refKey}`,
  };
}

const MODEL_COUNTERS = ['impressions', 'itemsShown', 'clicks', 'purchases'] as const;
const UNATTRIBUTED_PREFIX = 'unattributed|';

/**
 * Applies a plan if the partition's stored offset is still the one the plan
 * was made from (else returns 0 and writes nothing), then stores the next
 * offset, all in one script: a crash leaves either the whole batch with its
 * offset or nothing, and a replay finds the offset past its records.
 *
 * KEYS[1] offsets hash, KEYS[2] counters hash, KEYS[3..] served-list hashes
 * and user HyperLogLogs, named by index in ARGV[5] (JSON):
 * `{inc: [[field, n]], newest: [[field, ms]], served: [[key, created, [field, value, ...]]], users: [[key, [id, ...]]]}`.
 * ARGV: partition, expected stored offset ('' for none), next offset, TTL ms.
 * The `#!lua` shebang makes Redis refuse the script when out of memory
 * instead of failing half-way.
 */
const APPLY_FEEDBACK_LUA = `#!lua
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if (stored or '') ~= ARGV[2] then return 0 end
local plan = cjson.decode(ARGV[5])
local ttl = tonumber(ARGV[4])
for _, inc in ipairs(plan.inc) do redis.call('HINCRBY', KEYS[2], inc[1], inc[2]) end
for _, newest in ipairs(plan.newest) do
  local current = tonumber(redis.call('HGET', KEYS[2], newest[1]) or '0')
  if newest[2] > current then redis.call('HSET', KEYS[2], newest[1], string.format('%d', newest[2])) end
end
for _, served in ipairs(plan.served) do
  local key = KEYS[served[1]]
  -- A list that expired since it was read gets no marks: a hash without TTL would never go.
  if served[2] == 1 then
    redis.call('HSET', key, unpack(served[3]))
    redis.call('PEXPIRE', key, ttl)
  elseif redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, unpack(served[3]))
  end
end
for _, users in ipairs(plan.users) do redis.call('PFADD', KEYS[users[1]], unpack(users[2])) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;
const APPLY_FEEDBACK = 'storeloopApplyOnlineFeedback';

type ApplyFeedbackCommand = (...args: (string | number)[]) => Promise<number>;

function applyCommand(redis: RedisClient): ApplyFeedbackCommand {
  if (!(APPLY_FEEDBACK in redis)) redis.defineCommand(APPLY_FEEDBACK, { lua: APPLY_FEEDBACK_LUA });
  // ioredis adds defined commands to the client at run time; its types cannot know them.
  const command = (redis as unknown as Record<string, ApplyFeedbackCommand>)[APPLY_FEEDBACK];
  return command.bind(redis);
}

export interface ApplyFeedbackOptions {
  /** The consumer group: namespace of the keys. */
  group: string;
  /** Physical topic and partition the records come from. */
  topic: string;
  partition: number;
  records: readonly FeedbackRecord[];
  attributionTtlMs: number;
}

export interface ApplyFeedbackResult extends FeedbackOutcomes {
  /** The partition's stored next offset after the call; null when none is stored. */
  nextOffset: string | null;
}

const MAX_PLAN_ATTEMPTS = 3;

/**
 * Counts one partition's feedback records exactly once: reads the stored
 * offset and the cited served lists, plans, and applies with the offset
 * check. A concurrent writer of the same partition (a consumer not yet told
 * of a rebalance) makes the check fail; the batch is then planned again from
 * what that writer stored. Served lists and their outcomes are keyed by user
 * (retail.feedback.v1 is), so the offset check also covers their marks.
 */
export async function applyFeedbackBatch(redis: RedisClient, options: ApplyFeedbackOptions): Promise<ApplyFeedbackResult> {
  const keys = onlineMetricsKeys(options.group);
  const offsetsKey = keys.offsets(options.topic);
  const partition = String(options.partition);
  const cited = citedServedRecords(options.records);
  const apply = applyCommand(redis);

  for (let attempt = 1; attempt <= MAX_PLAN_ATTEMPTS; attempt++) {
    const pipeline = redis.pipeline();
    pipeline.hget(offsetsKey, partition);
    for (const id of cited) pipeline.hgetall(keys.served(id));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed?.[0]) throw new StoreloopError('INFERENCE.REDIS_COMMAND_FAILED', `reading feedback state failed: ${failed[0].message}`, { retriable: true, cause: failed[0] });
    const storedOffset = (replies[0]?.[1] as string | null) ?? null;
    const served = new Map<string, ServedRecord>();
    cited.forEach((id, index) => {
      const record = decodeServedRecord(replies[index + 1]?.[1] as Record<string, string>);
      if (record) served.set(id, record);
    });

    const plan = planFeedbackBatch({ records: options.records, storedOffset, served });
    if (plan.nextOffset === null) return { ...plan.outcomes, nextOffset: storedOffset };
    const { keyList, json } = scriptArguments(plan, keys, offsetsKey);
    const applied = await apply(keyList.length, ...keyList, partition, storedOffset ?? '', plan.nextOffset, options.attributionTtlMs, json);
    if (applied === 1) return { ...plan.outcomes, nextOffset: plan.nextOffset };
  }
  throw new StoreloopError(
    ONLINE_METRICS_OFFSET_CONFLICT,
    `the stored offset of ${options.topic}/${options.partition} kept moving while counting a batch (${MAX_PLAN_ATTEMPTS} attempts): another consumer is writing the same partition`,
    { retriable: true },
  );
}

function decodeServedRecord(hash: Record<string, string> | undefined): ServedRecord | undefined {
  if (!hash?.m) return undefined;
  const [modelName, version] = JSON.parse(hash.m) as [string | null, string];
  const clicked = new Set<string>();
  const purchased = new Set<string>();
  for (const field of Object.keys(hash)) {
    if (field.startsWith('c|')) clicked.add(field.slice(2));
    else if (field.startsWith('p|')) purchased.add(field.slice(2));
  }
  return { model: { modelName, version }, clicked, purchased };
}

function scriptArguments(plan: FeedbackPlan, keys: ReturnType<typeof onlineMetricsKeys>, offsetsKey: string): { keyList: string[]; json: string } {
  const keyList = [offsetsKey, keys.counters];
  const index = (key: string) => keyList.push(key);
  const inc: [string, number][] = [];
  const newest: [string, number][] = [];
  const users: [number, string[]][] = [];
  for (const [refKey, counters] of plan.models) {
    for (const counter of MODEL_COUNTERS) if (counters[counter] > 0) inc.push([`${refKey}|${counter}`, counters[counter]]);
    newest.push([`${refKey}|updatedAt`, counters.newestEventMs]);
    if (counters.users.size > 0) users.push([index(keys.users(refKey)), [...counters.users]]);
  }
  if (plan.unattributed.clicks > 0) inc.push([`${UNATTRIBUTED_PREFIX}clicks`, plan.unattributed.clicks]);
  if (plan.unattributed.purchases > 0) inc.push([`${UNATTRIBUTED_PREFIX}purchases`, plan.unattributed.purchases]);
  const served = [...plan.writes].map(([id, write]): [number, number, string[]] => {
    const fields = write.marks.flatMap((mark) => [mark, '1']);
    if (write.model) fields.unshift('m', modelRefKey(write.model));
    return [index(keys.served(id)), write.model ? 1 : 0, fields];
  });
  return { keyList, json: JSON.stringify({ inc, newest, served, users }) };
}

/** Every model version's counters and the unattributed outcomes, as stored in Redis. */
export async function readOnlineMetrics(redis: RedisClient, group: string): Promise<{ models: OnlineModelMetrics[]; unattributed: UnattributedOutcomes }> {
  const keys = onlineMetricsKeys(group);
  const hash = await redis.hgetall(keys.counters);
  const rows = new Map<string, Record<string, number>>();
  const unattributed: UnattributedOutcomes = { clicks: 0, purchases: 0 };
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith(UNATTRIBUTED_PREFIX)) {
      const kind = field.slice(UNATTRIBUTED_PREFIX.length);
      if (kind === 'clicks' || kind === 'purchases') unattributed[kind] = Number(value);
      continue;
    }
    const split = field.lastIndexOf('|');
    const refKey = field.slice(0, split);
    const row = rows.get(refKey) ?? {};
    row[field.slice(split + 1)] = Number(value);
    rows.set(refKey, row);
  }
  const refKeys = [...rows.keys()].sort();
  const pipeline = redis.pipeline();
  for (const refKey of refKeys) pipeline.pfcount(keys.users(refKey));
  const counts = refKeys.length ? ((await pipeline.exec()) ?? []) : [];
  const models = refKeys.map((refKey, index): OnlineModelMetrics => {
    const [modelName, version] = JSON.parse(refKey) as [string | null, string];
    const row = rows.get(refKey) ?? {};
    const impressions = row.impressions ?? 0;
    const clicks = row.clicks ?? 0;
    const purchases = row.purchases ?? 0;
    return {
      modelName,
      version,
      impressions,
      itemsShown: row.itemsShown ?? 0,
      clicks,
      purchases,
      users: Number(counts[index]?.[1] ?? 0),
      ctr: impressions > 0 ? clicks / impressions : null,
      conversion: impressions > 0 ? purchases / impressions : null,
      updatedAt: row.updatedAt ? new Date(row.updatedAt).toISOString() : null,
    };
  });
  return { models, unattributed };
}

export interface OnlineMetricsOptions {
  kafka: Kafka;
  namer: TopicNamer;
  redis: RedisClient;
  logger: Logger;
  registry: Registry;
  settings: OnlineMetricsSettings;
  /** Producer for dead letters; one is created (and closed on stop) when absent. */
  deadLetterProducer?: TopicProducer;
  /**
   * Bounds the reads of the figures (admin, dashboard, gauges) while Redis is
   * down or slow: they fail fast with FeatureStoreUnavailable instead of
   * waiting for ioredis. The counting consumer does not use it: it retries
   * with backoff until Redis is back.
   */
  featureStore?: FeatureStoreGate;
}

/**
 * Online metrics per model version from retail.feedback.v1: served lists,
 * items shown, clicks, purchases and users, counted exactly once in Redis
 * (`applyFeedbackBatch`). Partitions resume from the offsets stored with the
 * counters, whatever Kafka's committed offsets say. The gauges are read back
 * from Redis, so every replica reports the same global values: aggregate
 * them with max (or query one replica), never sum.
 */
export class OnlineMetrics {
  private readonly consumer: BatchConsumer<FeedbackEvent>;
  private readonly admin: Admin;
  private readonly producer: TopicProducer;
  private readonly ownsProducer: boolean;
  private readonly group: string;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly gauges;
  private readonly outcomes;

  constructor(private readonly options: OnlineMetricsOptions) {
    const { kafka, namer, logger, registry, settings } = options;
    this.group = settings.INFERENCE_ONLINE_METRICS_GROUP;
    this.admin = kafka.admin();
    this.ownsProducer = !options.deadLetterProducer;
    this.producer = options.deadLetterProducer ?? new TopicProducer(kafka, namer, logger, registry);
    this.consumer = new BatchConsumer<FeedbackEvent>({
      kafka,
      groupId: this.group,
      topics: [namer.physical(TOPICS.feedback.name)],
      decode: contractDecoder(TOPICS.feedback.name),
      handle: (messages, context) => this.handle(messages, context),
      deadLetter: { producer: this.producer, topic: namer.physical(TOPICS.deadLetters.name) },
      logger,
      registry,
      namer,
      // A Redis outage holds the stream; valid feedback is never dead-lettered for it.
      retry: { maxRetries: Number.MAX_SAFE_INTEGER, initialBackoffMs: 100, maxBackoffMs: 5_000 },
      maxHandlerBatch: settings.INFERENCE_ONLINE_METRICS_MAX_BATCH,
      fromBeginning: true,
      resume: (topic, partition) => this.resume(topic, partition),
    });
    const labelNames = ['model', 'version'] as const;
    this.gauges = {
      impressions: getOrCreateGauge(registry, { name: 'inference_online_impressions', help: 'Served recommendation lists per model version (global, read from Redis)', labelNames }),
      clicks: getOrCreateGauge(registry, { name: 'inference_online_clicks', help: 'Clicks on served lists per model version (global, read from Redis)', labelNames }),
      purchases: getOrCreateGauge(registry, { name: 'inference_online_purchases', help: 'Purchases from served lists per model version (global, read from Redis)', labelNames }),
      ctr: getOrCreateGauge(registry, { name: 'inference_online_ctr', help: 'Clicks per served list per model version (global, read from Redis)', labelNames }),
      conversion: getOrCreateGauge(registry, { name: 'inference_online_conversion', help: 'Purchases per served list per model version (global, read from Redis)', labelNames }),
      unattributed: getOrCreateGauge(registry, {
        name: 'inference_online_unattributed',
        help: 'Clicks and purchases citing an unknown or expired recommendation id (global, read from Redis)',
        labelNames: ['outcome'] as const,
      }),
    };
    this.outcomes = getOrCreateCounter(registry, {
      name: 'inference_online_feedback_records_total',
      help: 'Feedback records seen by this replica: counted, replayed (counted before), duplicate, unattributed',
      labelNames: ['outcome'] as const,
    });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    if (this.ownsProducer) await this.producer.connect();
    await this.consumer.start();
    const refresh = () => {
      this.refreshGauges().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not refresh the online metrics gauges'));
    };
    refresh();
    this.refreshTimer = setInterval(refresh, this.options.settings.INFERENCE_ONLINE_METRICS_REFRESH_MS);
    this.refreshTimer.unref();
    this.options.logger.info({ group: this.group }, 'online metrics consumer started');
  }

  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    await this.consumer.stop();
    if (this.ownsProducer) await this.producer.disconnect();
    await this.admin.disconnect();
  }

  /** Every model version's counters, from Redis (global across replicas). */
  async snapshot(): Promise<OnlineModelMetrics[]> {
    return (await this.read()).models;
  }

  async unattributed(): Promise<UnattributedOutcomes> {
    return (await this.read()).unattributed;
  }

  private read(): ReturnType<typeof readOnlineMetrics> {
    const read = () => readOnlineMetrics(this.options.redis, this.group);
    return this.options.featureStore ? this.options.featureStore.read(read) : read();
  }

  /** Sets the gauges from Redis; versions gone from Redis (a wiped store) leave the gauges too. */
  async refreshGauges(): Promise<void> {
    const { models, unattributed } = await this.read();
    const { impressions, clicks, purchases, ctr, conversion } = this.gauges;
    for (const gauge of [impressions, clicks, purchases, ctr, conversion]) gauge.reset();
    for (const row of models) {
      const labels = { model: row.modelName ?? '', version: row.version };
      impressions.set(labels, row.impressions);
      clicks.set(labels, row.clicks);
      purchases.set(labels, row.purchases);
      if (row.ctr !== null) ctr.set(labels, row.ctr);
      if (row.conversion !== null) conversion.set(labels, row.conversion);
    }
    this.gauges.unattributed.set({ outcome: 'click' }, unattributed.clicks);
    this.gauges.unattributed.set({ outcome: 'purchase' }, unattributed.purchases);
  }

  /** Where a partition resumes: the offset stored with the counters, else the log's start. */
  private async resume(topic: string, partition: number): Promise<string> {
    const [stored, ends] = await Promise.all([
      this.options.redis.hget(onlineMetricsKeys(this.group).offsets(topic), String(partition)),
      retryKafkaCall('reading the feedback topic start', () => this.admin.fetchTopicOffsets(topic), { logger: this.options.logger }),
    ]);
    const low = BigInt(ends.find((end) => end.partition === partition)?.low ?? '0');
    if (stored !== null && BigInt(stored) < low) {
      this.options.logger.error({ topic, partition, stored, logStart: String(low) }, 'feedback not yet counted was deleted by retention; resuming at the log start');
      return String(low);
    }
    return stored ?? String(low);
  }

  private async handle(messages: ConsumedMessage<FeedbackEvent>[], context: BatchContext): Promise<void> {
    const result = await applyFeedbackBatch(this.options.redis, {
      group: this.group,
      topic: context.topic,
      partition: context.partition,
      records: messages.map((message) => ({ offset: message.offset, event: message.value })),
      attributionTtlMs: this.options.settings.INFERENCE_ONLINE_ATTRIBUTION_TTL_MS,
    });
    this.outcomes.inc({ outcome: 'counted' }, result.counted - result.unattributed);
    this.outcomes.inc({ outcome: 'unattributed' }, result.unattributed);
    this.outcomes.inc({ outcome: 'replayed' }, result.replayed);
    this.outcomes.inc({ outcome: 'duplicate' }, result.duplicates);
  }
}
