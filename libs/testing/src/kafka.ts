import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { waitFor, type WaitOptions } from './wait';

/** A short random suffix: each test gets its own topics, groups and key prefixes. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${uniqueSuffix()}`;
}

export function testBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
}

export function testKafka(clientId = 'storeloop-test'): Kafka {
  return new Kafka({ clientId, brokers: testBrokers(), logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
}

/** Creates topics and waits until every partition has a leader. */
export async function createTopics(admin: Admin, topics: string[], numPartitions = 1, replicationFactor = -1): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor })),
  });
}

export interface CollectedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Consumes `topic` from the beginning with its own group and collects records,
 * so tests assert the bytes that really landed on the broker.
 */
export class TopicReader {
  readonly messages: CollectedMessage[] = [];
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: uniqueName('reader'), allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.messages.push({ topic, partition, message });
      },
    });
    return this;
  }

  async waitForCount(count: number, options: WaitOptions = {}): Promise<CollectedMessage[]> {
    await waitFor(() => this.messages.length >= count, {
      description: `${count} message(s) on ${this.topic} (have ${this.messages.length})`,
      ...options,
    });
    return this.messages;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Sum of committed offsets of a group on a topic, -1 where nothing is committed. */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(result.partitions.map((p) => [p.partition, Number(p.offset)]));
}
