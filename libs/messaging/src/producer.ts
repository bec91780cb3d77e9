import { CompressionTypes, Partitioners, type Admin, type ProducerConfig, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { Registry } from 'prom-client';
import { StoreloopError, continueTrace, getOrCreateCounter, traceHeaders, type Logger } from '@storeloop/observability';
import {
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  MESSAGE_HEADERS,
  topicByName,
  type TopicName,
  type TopicPayloads,
} from '@storeloop/contracts';
import type { TopicNamer } from './topic-namer';
import { chunkByBytes } from './chunking';

export interface OutgoingRecord<V> {
  key: string | null;
  value: V;
  headers?: Record<string, string>;
  /** Event time in ms since epoch; defaults to the broker's append time semantics of the producer. */
  timestamp?: number;
}

export const PRODUCE_FAILED = 'MESSAGING.PRODUCE_FAILED';
export const PRODUCE_INCOMPLETE = 'MESSAGING.PRODUCE_INCOMPLETE';

/**
 * Idempotent, one request in flight (retries neither duplicate nor reorder),
 * no topic auto-creation, and murmur2 partitioning as the Java client: a key
 * lands on the same partition whichever client wrote it.
 */
export const SAFE_PRODUCER_CONFIG: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
};
export const PAYLOAD_INVALID = 'MESSAGING.PAYLOAD_INVALID';

/**
 * Idempotent producer (acks = all, one request in flight, so retries neither
 * duplicate nor reorder) whose `send` is type-checked against the topic registry
 * and validates each payload against the topic's schema before it leaves.
 */
export class TopicProducer {
  private producer: Producer;
  private readonly sent;
  private connected = false;
  /** A replacement producer connecting after a failed send; sends wait for it. */
  private renewal?: Promise<void>;
  /** The replacement's connect failed (Kafka still away): the next send connects it. */
  private replacementUnconnected = false;
  /** Partition counts per physical topic, to pin each record to its partition before sending. */
  private readonly partitionCounts = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private admin?: Promise<Admin>;

  constructor(
    private readonly kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly logger: Logger,
    registry?: Registry,
  ) {
    this.producer = kafka.producer(SAFE_PRODUCER_CONFIG);
    this.sent = registry
      ? getOrCreateCounter(registry, {
          name: 'kafka_producer_records_total',
          help: 'Records acknowledged by Kafka (acks=all) by topic, or failed to produce',
          labelNames: ['topic', 'result'] as const,
        })
      : undefined;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.renewal?.catch(() => undefined);
    await this.producer.disconnect();
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }

  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known) return known;
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    const admin = await this.admin.catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count <= 0) throw new StoreloopError(PRODUCE_FAILED, `no partitions known for ${topic}`, { retriable: true });
    this.partitionCounts.set(topic, count);
    return count;
  }

  /**
   * Each record pinned to the partition the default partitioner gives it, so
   * the answer can be checked against the partitions written. kafkajs (#1303)
   * can resolve a send without writing a partition whose leader moved to a
   * broker that had already answered in an earlier try of the same send.
   */
  private async pinned(topic: string, messages: Message[]): Promise<Message[]> {
    if (messages.every((m) => m.partition !== undefined)) return messages;
    const count = await this.partitionCount(topic);
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
    return messages.map((message) => (message.partition !== undefined ? message : { ...message, partition: this.partitioner({ topic, partitionMetadata, message }) }));
  }

  /**
   * After a failed send the outcome is unknown: Kafka may have appended
   * records whose answer never came. kafkajs then keeps sequence numbers the
   * broker has moved past and every later send fails with
   * OUT_OF_ORDER_SEQUENCE_NUMBER, for good (seen after a whole-cluster
   * outage). A new producer gets a new producer id and starts clean; records
   * the old one may have written are duplicates the caller's retry resolves
   * (ingestion deduplicates by event id downstream).
   */
  private renew(failed: Producer): void {
    if (failed !== this.producer || !this.connected) return;
    const next = this.kafka.producer(SAFE_PRODUCER_CONFIG);
    this.producer = next;
    this.replacementUnconnected = false;
    const renewal = next.connect().then(
      () => undefined,
      () => {
        this.replacementUnconnected = true;
      },
    );
    this.renewal = renewal.finally(() => {
      if (this.renewal === renewal) this.renewal = undefined;
    });
    void failed.disconnect().catch(() => undefined);
    this.logger.warn('producer replaced after a failed send (new producer id, clean sequence numbers)');
  }

  private async usable(): Promise<Producer> {
    if (this.renewal) await this.renewal;
    if (this.replacementUnconnected) {
      const producer = this.producer;
      await producer.connect();
      if (producer === this.producer) this.replacementUnconnected = false;
    }
    return this.producer;
  }

  /**
   * Resolves only once every record is acknowledged by all in-sync replicas.
   * Records without trace headers start a trace, so every record can be followed.
   */
  async send<T extends TopicName>(topic: T, records: OutgoingRecord<TopicPayloads[T]>[]): Promise<RecordMetadata[]> {
    const definition = topicByName(topic);
    const schema = definition.schema;
    const contentType = 'eventTypes' in definition ? CLOUDEVENTS_JSON_CONTENT_TYPE : 'application/json';
    const messages: Message[] = records.map((record, index) => {
      const parsed = schema.safeParse(record.value);
      if (!parsed.success) {
        const where = parsed.error.issues[0]?.path.join('.') ?? '';
        throw new StoreloopError(PAYLOAD_INVALID, `record ${index} for ${topic} is invalid at "${where}": ${parsed.error.issues[0]?.message}`);
      }
      return {
        key: record.key,
        value: JSON.stringify(parsed.data),
        headers: {
          [MESSAGE_HEADERS.contentType]: contentType,
          ...(record.headers?.[MESSAGE_HEADERS.traceparent] ? {} : traceHeaders(continueTrace(record.headers))),
          ...record.headers,
        },
        ...(record.timestamp === undefined ? {} : { timestamp: String(record.timestamp) }),
      };
    });
    return this.sendMessages(this.namer.physical(topic), messages);
  }

  /** Raw bytes to an already resolved topic name: dead letters, tests and replays keep original bytes. */
  async sendMessages(physicalTopic: string, messages: Message[]): Promise<RecordMetadata[]> {
    if (messages.length === 0) return [];
    let producer: Producer | undefined;
    try {
      producer = await this.usable();
      const result: RecordMetadata[] = [];
      // In order, one slice at a time: per-partition order holds across slices.
      for (const chunk of chunkByBytes(await this.pinned(physicalTopic, messages))) {
        const answered = await producer.send({ topic: physicalTopic, messages: chunk, acks: -1, compression: CompressionTypes.None });
        const written = new Set(answered.filter((r) => r.topicName === physicalTopic && r.errorCode === 0).map((r) => r.partition));
        const unwritten = [...new Set(chunk.map((m) => m.partition as number))].filter((partition) => !written.has(partition));
        if (unwritten.length > 0) {
          throw new StoreloopError(PRODUCE_INCOMPLETE, `Kafka's answer covers no write to partition(s) ${unwritten.join(', ')} of ${physicalTopic}`, { retriable: true });
        }
        result.push(...answered);
      }
      this.sent?.inc({ topic: physicalTopic, result: 'acked' }, messages.length);
      return result;
    } catch (error) {
      if (producer) this.renew(producer);
      this.sent?.inc({ topic: physicalTopic, result: 'failed' }, messages.length);
      this.logger.warn({ err: error, topic: physicalTopic, count: messages.length }, 'produce failed');
      throw new StoreloopError(PRODUCE_FAILED, `could not produce ${messages.length} record(s) to ${physicalTopic}`, {
        retriable: true,
        cause: error,
      });
    }
  }
}
