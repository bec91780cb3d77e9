import { Inject, Injectable } from '@nestjs/common';
import type { Message } from 'kafkajs';
import {
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  MESSAGE_HEADERS,
  TOPICS,
  partitionKeyOf,
  topicForEventType,
  type ContractIssue,
  type StoreloopEvent,
} from '@storeloop/contracts';
import {
  TopicNamer,
  TopicProducer,
  buildDeadLetter,
  buildRejectedItemDeadLetter,
  type BatchContext,
  type ConsumedMessage,
  type PartitionTransactions,
} from '@storeloop/messaging';
import { REDIS, type RedisClient } from '@storeloop/feature-store';
import { ROOT_LOGGER, StoreloopError, continueTrace, traceHeaders, withTimeout, type Logger, type TraceContext } from '@storeloop/observability';
import { INGEST_SETTINGS, RAW_TRANSACTIONS } from './tokens';
import type { IngestSettings } from '../config';
import { EventDeduplicator } from './deduplicator';
import { IngestMetrics, typeLabel } from './ingest-metrics';
import { describeIssues, malformed, validateEvent, type RawIntake } from './intake';

export interface RejectedEvent {
  index: number;
  code: string;
  path: string;
  message: string;
}

type RejectedItem = RejectedEvent & { issues: ContractIssue[] };

export interface HttpIntakeResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedEvent[];
}

/** An item of a JSON batch as text for its dead letter; a stand-in when it cannot be serialised (absurd nesting). */
function itemText(item: unknown): string {
  try {
    return JSON.stringify(item) ?? 'null';
  } catch (error) {
    return JSON.stringify({ unserialisable: (error as Error).message });
  }
}

export const KAFKA_TIMEOUT = 'INGEST.KAFKA_TIMEOUT';

/** Bounds the wait for Kafka; a timeout is a retriable error like a failed produce. */
async function withKafkaDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  try {
    return await withTimeout(work, ms, what);
  } catch (error) {
    if (error instanceof StoreloopError) throw error;
    throw new StoreloopError(KAFKA_TIMEOUT, (error as Error).message, { retriable: true, cause: error });
  }
}

function eventHeaders(event: StoreloopEvent, trace: TraceContext): Record<string, string> {
  return {
    ...traceHeaders({ ...trace, correlationId: event.correlationid ?? trace.correlationId, causationId: event.id }),
    [MESSAGE_HEADERS.contentType]: CLOUDEVENTS_JSON_CONTENT_TYPE,
  };
}

/**
 * The two ways in share one pipeline. HTTP validates at once (so the client
 * learns what was wrong), drops ids it already knows, and makes the accepted
 * events durable on the raw topic before answering. The raw-topic consumer is
 * the authority: it validates again, deduplicates by owner marks, and writes
 * events, dead letters and its consumed offsets in one Kafka transaction, so
 * every accepted event reaches its topic exactly once.
 */
@Injectable()
export class IngestPipeline {
  private readonly dedup: EventDeduplicator;

  constructor(
    @Inject(REDIS) redis: RedisClient,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
    @Inject(RAW_TRANSACTIONS) private readonly transactions: PartitionTransactions,
    private readonly producer: TopicProducer,
    private readonly namer: TopicNamer,
    private readonly metrics: IngestMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.dedup = new EventDeduplicator(redis, settings.INGEST_DEDUP_WINDOW_MS);
  }

  /**
   * Validates a batch from HTTP and writes the valid, new events to the raw
   * topic; resolves once Kafka acknowledged all of them (acks=all). Throws the
   * producer's retriable error when Kafka does not answer in time.
   */
  async acceptHttpBatch(
    inputs: unknown[],
    unparsable: ReadonlyMap<number, string>,
    headers: Record<string, string | undefined>,
    keyId: string,
  ): Promise<HttpIntakeResult> {
    const rejected: RejectedItem[] = [];
    const valid: { index: number; event: StoreloopEvent }[] = [];
    inputs.forEach((input, index) => {
      const why = unparsable.get(index);
      const intake = why === undefined ? validateEvent(input) : malformed(why);
      if (intake.ok) {
        valid.push({ index, event: intake.event });
      } else {
        const first: ContractIssue = intake.issues[0] ?? { path: '', message: 'invalid' };
        rejected.push({ index, code: intake.code, path: first.path, message: describeIssues(intake), issues: intake.issues });
        this.metrics.count('rejected', typeLabel(input), 'http', intake.code);
      }
    });

    // Duplicates inside the batch, then ids already seen: an early answer; the consumer decides for good.
    const firstOfId = new Set<string>();
    const fresh: StoreloopEvent[] = [];
    let duplicates = 0;
    const known = valid.length > 0 ? await this.seenOrAssumeNew(valid.map((v) => v.event)) : [];
    valid.forEach(({ event }, i) => {
      const key = EventDeduplicator.key(event);
      if (firstOfId.has(key) || known[i]) {
        duplicates++;
        this.metrics.count('duplicate', event.type, 'http');
        return;
      }
      firstOfId.add(key);
      fresh.push(event);
    });

    const trace = continueTrace(headers);
    const rawRecords: Message[] = fresh.map((event) => ({
      key: partitionKeyOf(event),
      value: JSON.stringify(event),
      headers: eventHeaders(event, trace),
    }));
    const deadLetters = rejected.map((r) =>
      buildRejectedItemDeadLetter({
        // An unparsable NDJSON line is its text; anything else is the item as parsed from the array.
        bytes: Buffer.from(unparsable.has(r.index) ? String(inputs[r.index]) : itemText(inputs[r.index])),
        code: r.code,
        reason: r.message,
        issues: r.issues,
        origin: `http:${keyId}`,
      }),
    );
    const end = this.metrics.produceDuration.startTimer({ source: 'http' });
    await withKafkaDeadline(
      Promise.all([
        this.producer.sendMessages(this.namer.physical(TOPICS.rawEvents.name), rawRecords),
        this.producer.sendMessages(this.namer.physical(TOPICS.deadLetters.name), deadLetters),
      ]),
      this.settings.INGEST_PRODUCE_TIMEOUT_MS,
      'Kafka acknowledgement',
    );
    end();
    for (const event of fresh) this.metrics.count('accepted', event.type, 'http');
    return { accepted: fresh.length, duplicates, rejected: rejected.map(({ issues: _issues, ...answer }) => answer) };
  }

  /** Redis down must not stop ingestion: the consumer deduplicates authoritatively anyway. */
  private async seenOrAssumeNew(events: StoreloopEvent[]): Promise<boolean[]> {
    try {
      return await this.dedup.seen(events);
    } catch (error) {
      this.logger.warn({ err: error }, 'duplicate check unavailable; the raw-topic consumer will deduplicate');
      return events.map(() => false);
    }
  }

  /**
   * One slice of a raw-topic partition: valid new events to their topics,
   * invalid records to the DLQ, duplicates nowhere, and the offset after the
   * slice, all in one transaction.
   */
  async processRawSlice(messages: ConsumedMessage<RawIntake>[], context: BatchContext): Promise<void> {
    // Before the dedup claims: a take-over after this point must fail the slice, not commit it under the new holder.
    const lease = this.transactions.lease(context.topic, context.partition);
    const valid: { message: ConsumedMessage<RawIntake>; event: StoreloopEvent }[] = [];
    for (const message of messages) if (message.value.intake.ok) valid.push({ message, event: message.value.intake.event });
    const claims = await this.dedup.claim(
      valid.map(({ message, event }) => ({ event, owner: `${message.topic}/${message.partition}/${message.offset}` })),
    );
    const byTopic = new Map<string, Message[]>();
    const counts: [outcome: 'accepted' | 'rejected' | 'duplicate', type: string, code: string][] = [];
    valid.forEach(({ message, event }, i) => {
      if (!claims[i]) {
        counts.push(['duplicate', event.type, '']);
        return;
      }
      const topic = this.namer.physical(topicForEventType(event.type));
      const records = byTopic.get(topic) ?? [];
      records.push({ key: partitionKeyOf(event), value: JSON.stringify(event), headers: eventHeaders(event, message.trace) });
      byTopic.set(topic, records);
      counts.push(['accepted', event.type, '']);
    });
    const deadLetters: Message[] = [];
    for (const m of messages) {
      const { intake, record } = m.value;
      if (intake.ok) continue;
      counts.push(['rejected', 'unknown', intake.code]);
      deadLetters.push(
        buildDeadLetter({
          message: record,
          sourceTopic: this.namer.logical(m.topic),
          partition: m.partition,
          consumerGroup: context.groupId,
          code: intake.code,
          reason: describeIssues(intake),
          retriable: false,
          attempts: 1,
          issues: intake.issues,
        }),
      );
    }

    const end = this.metrics.produceDuration.startTimer({ source: 'kafka' });
    await this.transactions.run(context.topic, context.partition, async (txn) => {
      for (const [topic, records] of byTopic) await txn.send(topic, records);
      await txn.send(this.namer.physical(TOPICS.deadLetters.name), deadLetters);
      const last = messages[messages.length - 1];
      await txn.commitOffsets(context.groupId, context.topic, context.partition, (BigInt(last.offset) + 1n).toString());
    }, lease);
    end();
    for (const [outcome, type, code] of counts) this.metrics.count(outcome, type, 'kafka', code);
  }
}
