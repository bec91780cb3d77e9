import type { Admin, Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { EventType, TOPICS, messageKeyOf, type StoreloopEvent, type TrainingExample } from '@storeloop/contracts';
import {
  erasedUsersKey,
  hashedUserId,
  readItemViews,
  readUserViews,
  userKeys,
  type ItemFeatureView,
  type RedisClient,
  type SourcedEvent,
  type UserFeatureView,
} from '@storeloop/feature-store';
import { TransactionalProducer, type BatchContext, type TopicNamer } from '@storeloop/messaging';
import { getOrCreateCounter, type Logger } from '@storeloop/observability';
import { attribute, decodeServedRecord, encodeServedRecord, type AttributionWindows, type ServedRecord } from './attribution';
import type { ExamplesStage } from './examples-stage';
import { snapshotKey, snapshotRequest, type FeatureSnapshot } from './feature-snapshot';
import { buildInteractionExamples } from './interaction-examples';

export interface ExamplesEmitterOptions {
  kafka: Kafka;
  admin: Admin;
  redis: RedisClient;
  namer: TopicNamer;
  logger: Logger;
  registry: Registry;
  /** The features consumer group; the ledger of emitted examples is the group `<group>.examples`. */
  consumerGroup: string;
  windows: AttributionWindows;
  /** Most open served records kept per user; past it the oldest close early (see `attribute`). */
  maxOpenPerUser: number;
  /** Transactions that may run at once (one producer each): the consumer's partition concurrency. */
  concurrency: number;
}

// Every feedback type advances the feedback partition's event-time watermark;
// attribution itself gives purchased events no label (orders do, by last touch).
const FEEDBACK_TYPES = new Set<string>([EventType.RecommendationServed, EventType.RecommendationClicked, EventType.RecommendationPurchased]);
const DAY_MS = 86_400_000;
const DUE_BATCH = 1_000;

type UserRef = { tenant: string; userId: string };
const userKeyOf = ({ tenant, userId }: UserRef) => `${tenant}\u0000${userId}`;

/**
 * Training examples, point in time. For each slice, before it is applied:
 *
 * 1. reads the views of the slice's users and items as of the slice's
 *    earliest event time (the state before the slice: nothing of the slice's
 *    own events, nor of later ones from the same partition);
 * 2. builds one example per item interaction, and joins served
 *    recommendations with their clicks and purchases (attribution windows,
 *    closed by the feedback partition's event-time watermark);
 * 3. writes the examples in a Kafka transaction together with the offsets of
 *    the ledger group `<group>.examples`, which says up to where examples were
 *    emitted: a slice delivered again (after a crash, or a rebuild that
 *    replays the topics) updates state but emits nothing twice;
 * 4. stores the served recommendations' state in the user's `:served` hash
 *    with idempotent writes (marks, not counters).
 *
 * Users in the erased set give no example.
 */
export class ExamplesEmitter implements ExamplesStage {
  private readonly ledgerGroup: string;
  private readonly feedbackTopic: string;
  private readonly examplesTopic: string;
  /** Next offset without an emitted example, per `topic:partition`; read once per assignment. */
  private readonly ledger = new Map<string, bigint>();
  private readonly producers: TransactionalProducer[];
  private readonly idle: TransactionalProducer[];
  private readonly waiting: ((producer: TransactionalProducer) => void)[] = [];
  private readonly emitted;
  private readonly evicted;

  constructor(private readonly options: ExamplesEmitterOptions) {
    this.ledgerGroup = `${options.consumerGroup}.examples`;
    this.feedbackTopic = options.namer.physical(TOPICS.feedback.name);
    this.examplesTopic = options.namer.physical(TOPICS.trainingExamples.name);
    this.producers = Array.from({ length: options.concurrency }, () => new TransactionalProducer(options.kafka, 'storeloop-features-examples', options.logger));
    this.idle = [...this.producers];
    this.emitted = getOrCreateCounter(options.registry, {
      name: 'features_training_examples_total',
      help: 'Training examples written to retail.training-examples.v1, by kind',
      labelNames: ['kind'] as const,
    });
    this.evicted = getOrCreateCounter(options.registry, {
      name: 'features_served_records_evicted_total',
      help: 'Served recommendations closed before their windows ended because their user had more than FEATURES_SERVED_MAX_OPEN_PER_USER open',
    });
  }

  /** Partitions may have moved: read the ledger again on their next slice. */
  onAssignment(): void {
    this.ledger.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.disconnect()));
  }

  async beforeApply(sourced: readonly SourcedEvent[], context: BatchContext): Promise<void> {
    if (sourced.length === 0) return;
    const { redis } = this.options;
    const isFeedback = context.topic === this.feedbackTopic;
    const emitFrom = await this.ledgerOffset(context.topic, context.partition);
    const lastOffset = BigInt(sourced[sourced.length - 1].offset);

    await this.forgetErasedDue(sourced.map((s) => s.event));
    const erased = await this.erasedUsers(sourced.map((s) => s.event));
    const events = sourced.filter(({ event }) => !('userId' in event.data) || !erased.has(userKeyOf({ tenant: event.tenant, userId: event.data.userId })));
    const offsetOf = new Map(events.map(({ event, offset }) => [event.id, BigInt(offset)]));

    // Attribution state: the slice's users with impressions, clicks or orders, and (feedback) users whose windows are due.
    const attributed = events.map((s) => s.event).filter((e) => FEEDBACK_TYPES.has(e.type) || e.type === EventType.OrderPlaced);
    const watermark = isFeedback ? await this.advanceWatermark(context.partition, attributed) : 0;
    const dueUsers = isFeedback ? await this.dueUsers(context.partition, watermark) : [];
    const users = new Map<string, UserRef>();
    for (const event of attributed) if ('userId' in event.data) users.set(userKeyOf({ tenant: event.tenant, userId: event.data.userId }), { tenant: event.tenant, userId: event.data.userId });
    const erasedDue = (await this.erasedRefs(dueUsers)).map((ref) => JSON.stringify([ref.tenant, ref.userId]));
    if (erasedDue.length) await redis.zrem(this.dueKey(context.partition), ...erasedDue);
    for (const ref of dueUsers) if (!erasedDue.includes(JSON.stringify([ref.tenant, ref.userId]))) users.set(userKeyOf(ref), ref);

    const [snapshot, stored] = await Promise.all([this.snapshot(events.map((s) => s.event)), this.readServed([...users.values()])]);
    const interactions = buildInteractionExamples(events, snapshot);
    const result =
      users.size === 0
        ? { examples: [], upserts: [], deletes: [], evicted: 0 }
        : attribute({ records: stored.records, events: attributed, watermarkMs: watermark, snapshot, windows: this.options.windows, maxOpenPerUser: this.options.maxOpenPerUser });

    // Examples tied to an event are emitted once its offset is past the ledger; closes only by a slice that reaches past it.
    const fresh = (example: TrainingExample) => {
      const offset = example.sourceEventId === undefined ? undefined : offsetOf.get(example.sourceEventId);
      return offset === undefined ? lastOffset >= emitFrom : offset >= emitFrom;
    };
    const examples = [...interactions, ...result.examples].filter(fresh);
    if (examples.length > 0) await this.emit(examples, context, lastOffset + 1n);

    await this.writeServed(result.upserts, result.deletes, stored, isFeedback ? context.partition : undefined, [...users.values()]);
    if (result.evicted > 0) this.evicted.inc(result.evicted);
  }

  private async ledgerOffset(topic: string, partition: number): Promise<bigint> {
    const key = `${topic}:${partition}`;
    const known = this.ledger.get(key);
    if (known !== undefined) return known;
    const [offsets] = await this.options.admin.fetchOffsets({ groupId: this.ledgerGroup, topics: [topic] });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    const next = BigInt(committed) < 0n ? 0n : BigInt(committed);
    this.ledger.set(key, next);
    return next;
  }

  private async emit(examples: TrainingExample[], context: BatchContext, nextOffset: bigint): Promise<void> {
    const producer = await this.acquire();
    try {
      await producer.run(async (scope) => {
        await scope.send(
          this.examplesTopic,
          examples.map((example) => ({ key: messageKeyOf(TOPICS.trainingExamples.name, example), value: JSON.stringify(example) })),
        );
        await scope.commitOffsets(this.ledgerGroup, context.topic, context.partition, String(nextOffset));
      });
    } finally {
      this.release(producer);
    }
    this.ledger.set(`${context.topic}:${context.partition}`, nextOffset);
    const byKind = new Map<string, number>();
    for (const example of examples) byKind.set(example.kind ?? 'unknown', (byKind.get(example.kind ?? 'unknown') ?? 0) + 1);
    for (const [kind, count] of byKind) this.emitted.inc({ kind }, count);
  }

  private async acquire(): Promise<TransactionalProducer> {
    const producer = this.idle.pop();
    if (producer) return producer;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(producer: TransactionalProducer): void {
    const next = this.waiting.shift();
    if (next) next(producer);
    else this.idle.push(producer);
  }

  private async erasedUsers(events: readonly StoreloopEvent[]): Promise<Set<string>> {
    const byTenant = new Map<string, Set<string>>();
    for (const event of events) {
      if (!('userId' in event.data)) continue;
      const set = byTenant.get(event.tenant) ?? new Set<string>();
      set.add(event.data.userId);
      byTenant.set(event.tenant, set);
    }
    const erased = new Set<string>();
    await Promise.all(
      [...byTenant].map(async ([tenant, ids]) => {
        const list = [...ids];
        const flags = await this.options.redis.smismember(erasedUsersKey(tenant), ...list.map(hashedUserId));
        flags.forEach((flag, i) => flag === 1 && erased.add(userKeyOf({ tenant, userId: list[i] })));
      }),
    );
    return erased;
  }

  private async erasedRefs(refs: readonly UserRef[]): Promise<UserRef[]> {
    const flags = await Promise.all(refs.map((ref) => this.options.redis.sismember(erasedUsersKey(ref.tenant), hashedUserId(ref.userId))));
    return refs.filter((_, i) => flags[i] === 1);
  }

  /** The views of the slice's users and items as of its earliest event, one pipeline per tenant and kind. */
  private async snapshot(events: readonly StoreloopEvent[]): Promise<FeatureSnapshot> {
    const request = snapshotRequest(events);
    const users = new Map<string, UserFeatureView>();
    const items = new Map<string, ItemFeatureView>();
    const asOfMs = request.asOfMs ?? Date.now();
    const asOf = new Date(asOfMs);
    await Promise.all(
      [...request.byTenant].map(async ([tenant, { userIds, skus }]) => {
        const [userViews, itemViews] = await Promise.all([
          readUserViews(this.options.redis, userIds, { asOf, tenant }),
          readItemViews(this.options.redis, skus, { asOf, tenant }),
        ]);
        for (const view of userViews) users.set(snapshotKey(tenant, view.userId), view);
        for (const view of itemViews) items.set(snapshotKey(tenant, view.sku), view);
      }),
    );
    return { asOfMs, users, items };
  }

  private watermarkKey(): string {
    return `{served-wm:${this.options.consumerGroup}}`;
  }

  /**
   * An erasure removes the user from every feedback partition's due index at
   * once: the index names the user, and otherwise the entry would stay until
   * its window came due and more feedback arrived on that partition.
   */
  private async forgetErasedDue(events: readonly StoreloopEvent[]): Promise<void> {
    const members = events
      .filter((event) => event.type === EventType.UserErasureRequested && 'userId' in event.data)
      .map((event) => JSON.stringify([event.tenant, (event.data as { userId: string }).userId]));
    if (members.length === 0) return;
    await Promise.all(Array.from({ length: TOPICS.feedback.partitions }, (_, partition) => this.options.redis.zrem(this.dueKey(partition), ...members)));
  }

  private dueKey(partition: number): string {
    return `{served-due:${this.options.consumerGroup}:${this.feedbackTopic}:${partition}}`;
  }

  /** The feedback partition's event-time watermark, never moving back (stored, so a redelivery sees the same or later). */
  private async advanceWatermark(partition: number, events: readonly StoreloopEvent[]): Promise<number> {
    const field = String(partition);
    const stored = Number((await this.options.redis.hget(this.watermarkKey(), field)) ?? 0);
    const newest = events.reduce((max, e) => Math.max(max, Date.parse(e.time)), stored);
    if (newest > stored) await this.options.redis.hset(this.watermarkKey(), field, String(newest));
    return newest;
  }

  private async dueUsers(partition: number, watermark: number): Promise<UserRef[]> {
    // Due when the watermark is strictly past the due time.
    const members = await this.options.redis.zrangebyscore(this.dueKey(partition), '-inf', `(${watermark}`, 'LIMIT', 0, DUE_BATCH);
    return members.map((member) => {
      const [tenant, userId] = JSON.parse(member) as [string, string];
      return { tenant, userId };
    });
  }

  private async readServed(users: readonly UserRef[]): Promise<{ records: Map<string, ServedRecord>; fields: Map<string, { ref: UserRef; fields: string[] }> }> {
    const records = new Map<string, ServedRecord>();
    const fields = new Map<string, { ref: UserRef; fields: string[] }>();
    const hashes = await Promise.all(users.map((ref) => this.options.redis.hgetall(userKeys(ref.tenant, ref.userId).served)));
    users.forEach((ref, index) => {
      const hash = hashes[index];
      const marks = new Map<string, { clicked: string[]; purchased: string[]; clickClosed: boolean }>();
      const mark = (rec: string) => {
        let entry = marks.get(rec);
        if (!entry) marks.set(rec, (entry = { clicked: [], purchased: [], clickClosed: false }));
        return entry;
      };
      const bases: ServedRecord[] = [];
      for (const [field, value] of Object.entries(hash)) {
        const kind = field[0];
        const [rec, sku] = JSON.parse(field.slice(kind === 'c' && field[1] === 'c' ? 2 : 1)) as [string, string?];
        if (field.startsWith('cc')) mark(rec).clickClosed = true;
        else if (kind === 'r') bases.push(decodeServedRecord(value));
        else if (kind === 'c' && sku !== undefined) mark(rec).clicked.push(sku);
        else if (kind === 'p' && sku !== undefined) mark(rec).purchased.push(sku);
        fields.set(rec, { ref, fields: [...(fields.get(rec)?.fields ?? []), field] });
      }
      for (const base of bases) {
        const m = marks.get(base.recommendationId);
        records.set(base.recommendationId, { ...base, clicked: m?.clicked ?? [], purchased: m?.purchased ?? [], clickClosed: m?.clickClosed ?? false });
      }
    });
    return { records, fields };
  }

  /**
   * Idempotent writes: the impression once (HSETNX), a mark per click and
   * purchase, a flag per closed click window, deletion of closed records; and
   * (feedback partitions) each user's next due time in the partition's index.
   */
  private async writeServed(
    upserts: readonly ServedRecord[],
    deletes: readonly string[],
    stored: { records: Map<string, ServedRecord>; fields: Map<string, { ref: UserRef; fields: string[] }> },
    feedbackPartition: number | undefined,
    users: readonly UserRef[],
  ): Promise<void> {
    const { redis, windows } = this.options;
    const ttlMs = windows.purchaseMs + windows.graceMs + DAY_MS;
    const open = new Map<string, ServedRecord[]>();
    const writes: Promise<unknown>[] = [];
    for (const record of upserts) {
      const key = userKeys(record.tenant, record.userId).served;
      const rec = record.recommendationId;
      const base = { ...record, clicked: [], purchased: [], clickClosed: false };
      writes.push(redis.hsetnx(key, `r${JSON.stringify([rec])}`, encodeServedRecord(base)));
      const marks: string[] = [];
      for (const sku of record.clicked) marks.push(`c${JSON.stringify([rec, sku])}`, '1');
      for (const sku of record.purchased) marks.push(`p${JSON.stringify([rec, sku])}`, '1');
      if (record.clickClosed) marks.push(`cc${JSON.stringify([rec])}`, '1');
      if (marks.length) writes.push(redis.hset(key, ...marks));
      writes.push(redis.pexpire(key, ttlMs));
    }
    for (const rec of deletes) {
      const entry = stored.fields.get(rec);
      const record = stored.records.get(rec) ?? upserts.find((u) => u.recommendationId === rec);
      const ref = entry?.ref ?? (record ? { tenant: record.tenant, userId: record.userId } : undefined);
      if (!ref) continue;
      const key = userKeys(ref.tenant, ref.userId).served;
      const doomed = new Set([...(entry?.fields ?? []), `r${JSON.stringify([rec])}`, `cc${JSON.stringify([rec])}`]);
      const upsert = upserts.find((u) => u.recommendationId === rec);
      for (const sku of upsert?.clicked ?? []) doomed.add(`c${JSON.stringify([rec, sku])}`);
      for (const sku of upsert?.purchased ?? []) doomed.add(`p${JSON.stringify([rec, sku])}`);
      writes.push(redis.hdel(key, ...doomed));
    }
    await Promise.all(writes);
    if (feedbackPartition === undefined) return;

    // Each user's next due time: the earliest window end (plus grace) among the records still open.
    const deleted = new Set(deletes);
    const merged = new Map(stored.records);
    for (const record of upserts) merged.set(record.recommendationId, record);
    for (const record of merged.values()) {
      if (deleted.has(record.recommendationId)) continue;
      const key = userKeyOf(record);
      open.set(key, [...(open.get(key) ?? []), record]);
    }
    const dueKey = this.dueKey(feedbackPartition);
    const index: Promise<unknown>[] = [];
    for (const ref of users) {
      const member = JSON.stringify([ref.tenant, ref.userId]);
      const records = open.get(userKeyOf(ref)) ?? [];
      if (records.length === 0) index.push(redis.zrem(dueKey, member));
      else {
        const due = Math.min(...records.map((r) => r.servedAt + (r.clickClosed ? windows.purchaseMs : windows.clickMs) + windows.graceMs));
        index.push(redis.zadd(dueKey, due, member));
      }
    }
    await Promise.all(index);
  }
}
