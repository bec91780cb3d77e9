import type { Kafka } from 'kafkajs';
import { createLogger } from '@storeloop/observability';
import { RepositionRequested } from './batch-consumer';
import { PartitionTransactions, TransactionalProducer } from './transactional-producer';

interface FakeState {
  transactionalIds: string[];
  connects: string[];
  disconnects: string[];
  committed: Record<string, string>;
  low: string;
  commitFails: boolean;
  abortFails: boolean;
  sent: { topic: string; count: number }[];
}

/** Just enough of kafkajs for the transactions of one partition: producers that record what they do, an admin with offsets. */
function fakeKafka(state: FakeState): Kafka {
  return {
    producer: ({ transactionalId }: { transactionalId: string }) => {
      state.transactionalIds.push(transactionalId);
      return {
        connect: async () => void state.connects.push(transactionalId),
        disconnect: async () => void state.disconnects.push(transactionalId),
        transaction: async () => ({
          send: async ({ topic, messages }: { topic: string; messages: unknown[] }) => void state.sent.push({ topic, count: messages.length }),
          sendOffsets: async () => undefined,
          commit: async () => {
            if (state.commitFails) throw new Error('request timed out');
          },
          abort: async () => {
            if (state.abortFails) throw new Error('INVALID_TXN_STATE');
          },
        }),
      };
    },
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchOffsets: async ({ topics }: { topics: string[] }) =>
        topics.map((topic) => ({ topic, partitions: Object.entries(state.committed).map(([p, offset]) => ({ partition: Number(p), offset })) })),
      fetchTopicOffsets: async () => [0, 1, 2].map((partition) => ({ partition, low: state.low, high: '1000', offset: '1000' })),
    }),
  } as unknown as Kafka;
}

function setup(overrides: Partial<FakeState> = {}) {
  const state: FakeState = { transactionalIds: [], connects: [], disconnects: [], committed: {}, low: '0', commitFails: false, abortFails: false, sent: [], ...overrides };
  return { state, transactions: new PartitionTransactions(fakeKafka(state), 'storeloop-ingestion-raw', createLogger('test', 'silent')) };
}

describe('PartitionTransactions', () => {
  it('gives each input partition its own stable transactional id, initialised before the offset is read', async () => {
    const { state, transactions } = setup({ committed: { 1: '420' } });
    await expect(transactions.prepare('group', 'raw', 1)).resolves.toBe('420');
    expect(state.transactionalIds).toEqual(['storeloop-ingestion-raw-raw-1']);
    expect(state.connects).toEqual(['storeloop-ingestion-raw-raw-1']);
  });

  it('resumes at the log start when the group has committed nothing', async () => {
    const { transactions } = setup({ committed: { 0: '-1' }, low: '37' });
    await expect(transactions.prepare('group', 'raw', 0)).resolves.toBe('37');
    await expect(transactions.prepare('group', 'raw', 2)).resolves.toBe('37');
  });

  it('shares one take-over between concurrent callers and re-initialises on the next assignment', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' } });
    await Promise.all([transactions.prepare('g', 'raw', 0), transactions.prepare('g', 'raw', 0)]);
    expect(state.connects).toHaveLength(1);
    await transactions.prepare('g', 'raw', 0);
    expect(state.connects).toHaveLength(2);
    expect(state.disconnects).toEqual(['storeloop-ingestion-raw-raw-0']);
  });

  it('refuses to write a partition it has not taken over: the consumer repositions', async () => {
    const { transactions } = setup();
    await expect(transactions.run('raw', 0, async () => undefined)).rejects.toBeInstanceOf(RepositionRequested);
  });

  it('writes through the partition producer once taken over', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' } });
    await transactions.prepare('g', 'raw', 0);
    await transactions.run('raw', 0, async (txn) => txn.send('events', [{ value: 'a' }, { value: 'b' }]));
    expect(state.sent).toEqual([{ topic: 'events', count: 2 }]);
  });

  it('after a commit whose outcome is unknown (abort refused) asks for a reposition instead of writing the slice again', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' }, commitFails: true, abortFails: true });
    await transactions.prepare('g', 'raw', 0);
    await expect(transactions.run('raw', 0, async () => undefined)).rejects.toMatchObject({ code: 'MESSAGING.TRANSACTION_FAILED' });
    await expect(transactions.run('raw', 0, async () => undefined)).rejects.toBeInstanceOf(RepositionRequested);
    state.commitFails = false;
    state.abortFails = false;
    state.committed = { 0: '9' };
    await expect(transactions.prepare('g', 'raw', 0)).resolves.toBe('9');
    await expect(transactions.run('raw', 0, async () => undefined)).resolves.toBeUndefined();
  });

  it('a failed commit that was aborted is retried on the same producer', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' }, commitFails: true });
    await transactions.prepare('g', 'raw', 0);
    await expect(transactions.run('raw', 0, async () => undefined)).rejects.toMatchObject({ code: 'MESSAGING.TRANSACTION_FAILED' });
    state.commitFails = false;
    await expect(transactions.run('raw', 0, async () => undefined)).resolves.toBeUndefined();
    expect(state.connects).toHaveLength(1);
  });

  it('fails a slice whose partition was taken over since it began, whatever producer holds the id now', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' } });
    await transactions.prepare('g', 'raw', 0);
    const lease = transactions.lease('raw', 0);
    // A rejoin takes the partition over while the slice is still reading (its dedup claims, say).
    state.committed = { 0: '5' };
    await transactions.prepare('g', 'raw', 0);
    await expect(transactions.run('raw', 0, async (txn) => txn.send('events', [{ value: 'a' }]), lease)).rejects.toBeInstanceOf(RepositionRequested);
    expect(state.sent).toEqual([]);
    // A slice that begins under the new holder writes.
    await transactions.run('raw', 0, async (txn) => txn.send('events', [{ value: 'b' }]), transactions.lease('raw', 0));
    expect(state.sent).toEqual([{ topic: 'events', count: 1 }]);
  });

  it('never reconnects a producer that was taken over, even when a slice runs on it mid-way', async () => {
    const { state, transactions } = setup({ committed: { 0: '5' } });
    await transactions.prepare('g', 'raw', 0);
    let takeOver!: Promise<string>;
    const running = transactions.run('raw', 0, async (txn) => {
      await txn.send('events', [{ value: 'a' }]);
      takeOver = transactions.prepare('g', 'raw', 0);
      await takeOver;
    });
    await expect(running).rejects.toBeInstanceOf(RepositionRequested);
    // One connect per take-over: the old producer did not connect again to commit.
    expect(state.connects).toHaveLength(2);
  });
});

/**
 * kafkajs' transactional producer as it behaves after a broker outage: the
 * transaction state lives in the producer object, survives disconnect and
 * connect, and stays ABORTING after an abort that failed, so that every later
 * begin fails.
 */
function statefulKafka(broker: { down: boolean }) {
  const producers: { id: string; state: string; connects: number }[] = [];
  const kafka = {
    producer: ({ transactionalId }: { transactionalId: string }) => {
      const me = { id: transactionalId, state: 'READY', connects: 0 };
      producers.push(me);
      return {
        connect: async () => {
          if (broker.down) throw new Error('Connection error: connect ECONNREFUSED');
          me.connects++;
        },
        disconnect: async () => undefined,
        transaction: async () => {
          if (me.state !== 'READY') throw new Error(`Transaction state exception: Cannot call "beginTransaction" in state "${me.state}"`);
          me.state = 'TRANSACTING';
          return {
            send: async () => {
              if (broker.down) throw new Error('Connection error: connect ECONNREFUSED');
            },
            sendOffsets: async () => undefined,
            commit: async () => {
              if (broker.down) throw new Error('Connection error: connect ECONNREFUSED');
              me.state = 'READY';
            },
            abort: async () => {
              me.state = 'ABORTING';
              if (broker.down) throw new Error('Connection error: connect ECONNREFUSED');
              me.state = 'READY';
            },
          };
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

describe('TransactionalProducer after a broker outage', () => {
  it('replaces its kafkajs producer after an abort that failed, under the same transactional id, and commits again', async () => {
    const broker = { down: false };
    const { kafka, producers } = statefulKafka(broker);
    const producer = new TransactionalProducer(kafka, 'storeloop-features-examples', createLogger('test', 'silent'));
    await producer.run(async (txn) => txn.send('examples', [{ value: 'a' }]));
    broker.down = true;
    await expect(producer.run(async (txn) => txn.send('examples', [{ value: 'b' }]))).rejects.toMatchObject({ code: 'MESSAGING.TRANSACTION_FAILED' });
    expect(producer.outcomeUnknown).toBe(true);
    expect(producers[0].state).toBe('ABORTING');
    broker.down = false;
    await expect(producer.run(async (txn) => txn.send('examples', [{ value: 'b' }]))).resolves.toBeUndefined();
    expect(producers).toHaveLength(2);
    expect(producers[1]).toMatchObject({ id: producers[0].id, state: 'READY', connects: 1 });
  });

  it('replaces its kafkajs producer when a transaction cannot begin, so a stuck state never holds the caller for good', async () => {
    const { kafka, producers } = statefulKafka({ down: false });
    const producer = new TransactionalProducer(kafka, 'storeloop-features-examples', createLogger('test', 'silent'));
    await producer.connect();
    producers[0].state = 'ABORTING';
    await expect(producer.run(async () => undefined)).rejects.toMatchObject({ code: 'MESSAGING.TRANSACTION_FAILED' });
    await expect(producer.run(async () => undefined)).resolves.toBeUndefined();
    expect(producers).toHaveLength(2);
  });
});
