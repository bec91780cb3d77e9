import { randomUUID } from 'node:crypto';
import type { Kafka, Message, Producer, Transaction } from 'kafkajs';
import { StoreloopError, type Logger } from '@storeloop/observability';
import { chunkByBytes } from './chunking';
import { SAFE_PRODUCER_CONFIG } from './producer';

export const TRANSACTION_FAILED = 'MESSAGING.TRANSACTION_FAILED';

export interface TransactionScope {
  send(physicalTopic: string, messages: Message[]): Promise<void>;
  /** Commits the consumer group's offsets with the transaction's output (consume-transform-produce). */
  commitOffsets(groupId: string, topic: string, partition: number, nextOffset: string): Promise<void>;
}

/**
 * Exactly-once output for a consume-transform-produce step: records and the
 * consumed offsets commit together or not at all, and read_committed consumers
 * never see an aborted attempt. One transaction at a time per instance.
 */
export class TransactionalProducer {
  private readonly producer: Producer;
  private connected = false;
  private needsReset = false;

  constructor(
    kafka: Kafka,
    transactionalIdPrefix: string,
    private readonly logger: Logger,
  ) {
    this.producer = kafka.producer({ ...SAFE_PRODUCER_CONFIG, transactionalId: `${transactionalIdPrefix}-${randomUUID()}` });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }

  async run(work: (scope: TransactionScope) => Promise<void>): Promise<void> {
    if (this.needsReset) {
      // After a failed abort kafkajs' transaction state is unknown: a new session re-initialises the producer id.
      await this.producer.disconnect().catch(() => undefined);
      this.connected = false;
      this.needsReset = false;
    }
    await this.connect();
    let transaction: Transaction;
    try {
      transaction = await this.producer.transaction();
    } catch (error) {
      throw new StoreloopError(TRANSACTION_FAILED, 'could not begin a Kafka transaction', { retriable: true, cause: error });
    }
    const scope: TransactionScope = {
      send: async (topic, messages) => {
        for (const chunk of chunkByBytes(messages)) await transaction.send({ topic, messages: chunk, acks: -1 });
      },
      commitOffsets: async (groupId, topic, partition, nextOffset) => {
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] });
      },
    };
    try {
      await work(scope);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => {
        this.needsReset = true;
        this.logger.warn({ err: abortError }, 'transaction abort failed; the producer will reconnect');
      });
      if (error instanceof StoreloopError) throw error;
      throw new StoreloopError(TRANSACTION_FAILED, `Kafka transaction aborted: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      });
    }
  }
}
