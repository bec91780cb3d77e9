import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Message, Producer, ProducerConfig, Transaction } from 'kafkajs';
import { StoreloopError, type Logger } from '@storeloop/observability';
import { RepositionRequested } from './batch-consumer';
import { chunkByBytes } from './chunking';
import { retryKafkaCall } from './kafka-retry';
import { SAFE_PRODUCER_CONFIG } from './producer';

export const TRANSACTION_FAILED = 'MESSAGING.TRANSACTION_FAILED';

/** A partition's transactional holder as a slice found it (`PartitionTransactions.lease`). */
export interface TransactionLease {
  readonly key: string;
  readonly producer: unknown;
}

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
  private producer: Producer;
  private readonly config: ProducerConfig;
  private connected = false;
  /** An abort failed: the last transaction's outcome is unknown. */
  private needsReset = false;
  /** kafkajs' transaction state of `producer` is unusable (see `run`). */
  private stale = false;
  private retired = false;

  /**
   * `transactionalIdPrefix` gets a random suffix, so instances never fence
   * each other (for output that is idempotent by other means); pass
   * `{ exactId: true }` to use it as is, so that whoever takes the id over
   * fences the previous holder and waits for its commit in flight.
   */
  constructor(
    private readonly kafka: Kafka,
    transactionalIdPrefix: string,
    private readonly logger: Logger,
    options: { exactId?: boolean } = {},
  ) {
    const transactionalId = options.exactId ? transactionalIdPrefix : `${transactionalIdPrefix}-${randomUUID()}`;
    this.config = { ...SAFE_PRODUCER_CONFIG, transactionalId };
    this.producer = kafka.producer(this.config);
  }

  /** True after an abort failed: the transaction's outcome is unknown (it may have committed). */
  get outcomeUnknown(): boolean {
    return this.needsReset;
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

  /**
   * Disconnects for good: `run` refuses from now on, with RepositionRequested.
   * A producer whose transactional id was taken over must never connect
   * again, since connecting would fence the new holder and commit a slice
   * read under the old position.
   */
  async retire(): Promise<void> {
    this.retired = true;
    await this.disconnect();
  }

  get isRetired(): boolean {
    return this.retired;
  }

  async run(work: (scope: TransactionScope) => Promise<void>): Promise<void> {
    if (this.retired) throw new RepositionRequested('the transactional id was taken over since this slice began');
    if (this.needsReset || this.stale) {
      // kafkajs keeps a producer's transaction state across disconnect and connect: after an abort that failed
      // (a broker away) it stays ABORTING, and every later begin fails, for good. Only a new producer starts
      // clean; its InitProducerId, under the same transactional id, bumps the epoch, so the coordinator aborts
      // whatever the old one left open.
      const old = this.producer;
      this.producer = this.kafka.producer(this.config);
      this.connected = false;
      this.needsReset = false;
      this.stale = false;
      await old.disconnect().catch(() => undefined);
      this.logger.warn({ transactionalId: this.config.transactionalId }, 'transactional producer replaced (clean transaction state)');
    }
    await this.connect();
    let transaction: Transaction;
    try {
      transaction = await this.producer.transaction();
    } catch (error) {
      this.stale = true;
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
      if (this.retired) throw new RepositionRequested('the transactional id was taken over while the slice ran');
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch((abortError: unknown) => {
        this.needsReset = true;
        this.logger.warn({ err: abortError }, 'transaction abort failed; the producer will be replaced');
      });
      if (error instanceof StoreloopError || error instanceof RepositionRequested) throw error;
      throw new StoreloopError(TRANSACTION_FAILED, `Kafka transaction aborted: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      });
    }
  }
}

/**
 * Transactions of a consume-transform-produce step, one transactional id per
 * input partition (`<prefix>-<topic>-<partition>`), as Kafka Streams does
 * without KIP-447. Taking a partition over (`prepare`) initialises its
 * producer id, which fences a predecessor that still runs and makes the
 * coordinator finish a commit the predecessor left in flight (a SIGKILL
 * between EndTxn and its answer); only then are the group's committed
 * offsets read. kafkajs asks for offsets without `require_stable`, so
 * without this a new owner could start before the offsets of that commit
 * and write its records a second time.
 */
export class PartitionTransactions {
  private readonly producers = new Map<string, TransactionalProducer>();
  private readonly preparing = new Map<string, Promise<string>>();
  private admin?: Admin;
  private adminConnecting?: Promise<Admin>;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly transactionalIdPrefix: string,
    private readonly logger: Logger,
  ) {}

  transactionalId(topic: string, partition: number): string {
    return `${this.transactionalIdPrefix}-${topic}-${partition}`;
  }

  /**
   * Takes the partition over for `groupId` and returns the offset to resume
   * from: the group's committed offset once no transaction of the partition
   * is in flight, or the log start when the group has none.
   */
  prepare(groupId: string, topic: string, partition: number): Promise<string> {
    const key = `${topic}:${partition}`;
    const running = this.preparing.get(key);
    if (running) return running;
    const work = this.takeOver(groupId, topic, partition).finally(() => this.preparing.delete(key));
    this.preparing.set(key, work);
    return work;
  }

  /**
   * The partition's current holder, to be taken when a slice begins (before
   * anything is read for it) and given to `run`: a take-over in between (a
   * rejoin of the group) then fails the slice instead of letting it commit,
   * under the new holder, records read from the old position.
   */
  lease(topic: string, partition: number): TransactionLease {
    return { key: `${topic}:${partition}`, producer: this.producers.get(`${topic}:${partition}`) };
  }

  /** Runs one transaction on the partition's producer; `prepare` must have run since the partition was assigned. */
  async run(topic: string, partition: number, work: (scope: TransactionScope) => Promise<void>, lease?: TransactionLease): Promise<void> {
    const producer = this.producers.get(`${topic}:${partition}`);
    if (lease && (lease.key !== `${topic}:${partition}` || lease.producer !== producer)) {
      throw new RepositionRequested(`${topic}/${partition} was taken over since this slice began`);
    }
    if (!producer || producer.outcomeUnknown) {
      // Unknown outcome: re-reading the committed offset (after fencing) is the only safe way on.
      throw new RepositionRequested(`transactions of ${topic}/${partition} need ${producer ? 're-initialising after an unknown outcome' : 'initialising'}`);
    }
    await producer.run(work);
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  private async takeOver(groupId: string, topic: string, partition: number): Promise<string> {
    if (this.closed) throw new StoreloopError(TRANSACTION_FAILED, 'partition transactions are closed', { retriable: true });
    const key = `${topic}:${partition}`;
    const previous = this.producers.get(key);
    this.producers.delete(key);
    await previous?.retire().catch(() => undefined);
    const producer = new TransactionalProducer(this.kafka, this.transactionalId(topic, partition), this.logger, { exactId: true });
    // InitProducerId: fences the previous holder; kafkajs retries CONCURRENT_TRANSACTIONS until its commit or abort completes.
    await retryKafkaCall(`initialising transactions of ${topic}/${partition}`, () => producer.connect(), { logger: this.logger });
    this.producers.set(key, producer);
    const admin = await this.connectedAdmin();
    const [committed, ends] = await retryKafkaCall(
      `reading committed offsets of ${topic}/${partition}`,
      () => Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]),
      { logger: this.logger },
    );
    const mine = committed.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition);
    const low = ends.find((p) => p.partition === partition)?.low ?? '0';
    const offset = mine && BigInt(mine.offset) >= 0n ? mine.offset : low;
    this.logger.debug({ topic, partition, offset, transactionalId: this.transactionalId(topic, partition) }, 'took the partition over');
    return offset;
  }

  private async connectedAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      return admin;
    })().finally(() => {
      this.adminConnecting = undefined;
    });
    return this.adminConnecting;
  }
}
