import type { Kafka } from 'kafkajs';
import { createLogger } from '@storeloop/observability';
import { TopicProducer } from './producer';
import { TopicNamer } from './topic-namer';

/** kafkajs producers that fail while `failing` is set, recording which producer sent what. */
function fakeKafka() {
  const state = {
    created: 0,
    failing: false,
    connectFails: false,
    sends: [] as number[],
    disconnected: [] as number[],
    partitions: 1,
    /** Partitions whose records a send leaves out of its answer, as kafkajs #1303 does after a leader moved. */
    dropped: new Set<number>(),
    written: [] as number[],
  };
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => ({ name, partitions: Array.from({ length: state.partitions }, (_, partitionId) => ({ partitionId })) })),
      }),
    }),
    producer: () => {
      const id = ++state.created;
      return {
        connect: async () => {
          if (state.connectFails) throw new Error('Connection error: ECONNREFUSED');
        },
        disconnect: async () => void state.disconnected.push(id),
        send: async ({ messages }: { messages: { partition: number }[] }) => {
          if (state.failing) throw new Error('OUT_OF_ORDER_SEQUENCE_NUMBER');
          state.sends.push(id);
          const partitions = [...new Set(messages.map((m) => m.partition))].filter((p) => !state.dropped.has(p));
          state.written.push(...partitions);
          return partitions.map((partition) => ({ topicName: 't', partition, errorCode: 0 }));
        },
      };
    },
  } as unknown as Kafka;
  return { state, kafka };
}

describe('TopicProducer after a failed send', () => {
  const message = [{ key: 'k', value: 'v' }];

  it('replaces the kafkajs producer, so a new producer id starts with clean sequence numbers', async () => {
    const { state, kafka } = fakeKafka();
    const producer = new TopicProducer(kafka, new TopicNamer(), createLogger('test', 'silent'));
    await producer.connect();
    await producer.sendMessages('t', message);
    state.failing = true;
    await expect(producer.sendMessages('t', message)).rejects.toMatchObject({ code: 'MESSAGING.PRODUCE_FAILED', retriable: true });
    state.failing = false;
    await producer.sendMessages('t', message);
    expect(state.sends).toEqual([1, 2]);
    expect(state.disconnected).toEqual([1]);
  });

  it('keeps trying to connect the replacement while Kafka is away, and sends once it is back', async () => {
    const { state, kafka } = fakeKafka();
    const producer = new TopicProducer(kafka, new TopicNamer(), createLogger('test', 'silent'));
    await producer.connect();
    state.failing = true;
    state.connectFails = true;
    await expect(producer.sendMessages('t', message)).rejects.toMatchObject({ retriable: true });
    await expect(producer.sendMessages('t', message)).rejects.toMatchObject({ retriable: true });
    state.failing = false;
    state.connectFails = false;
    await producer.sendMessages('t', message);
    expect(state.sends).toHaveLength(1);
  });

  it('pins records to partitions by key and fails a send whose answer leaves a partition out (kafkajs #1303)', async () => {
    const { state, kafka } = fakeKafka();
    state.partitions = 6;
    const producer = new TopicProducer(kafka, new TopicNamer(), createLogger('test', 'silent'));
    await producer.connect();
    const records = Array.from({ length: 60 }, (_, i) => ({ key: `user-${i}`, value: 'v' }));
    await producer.sendMessages('t', records);
    const all = new Set(state.written);
    expect(all.size).toBeGreaterThan(1);
    // The same keys land on the same partitions every time (murmur2, as the Java client).
    state.written = [];
    await producer.sendMessages('t', records);
    expect(new Set(state.written)).toEqual(all);
    // A send that resolves without writing one of its partitions is a failure the caller retries.
    state.dropped.add([...all][0]);
    await expect(producer.sendMessages('t', records)).rejects.toMatchObject({ code: 'MESSAGING.PRODUCE_FAILED', retriable: true });
    expect(state.disconnected).toEqual([1]);
  });
});
