import type { Kafka } from 'kafkajs';
import { createLogger } from '@storeloop/observability';
import { TopicProducer } from './producer';
import { TopicNamer } from './topic-namer';

/** kafkajs producers that fail while `failing` is set, recording which producer sent what. */
function fakeKafka() {
  const state = { created: 0, failing: false, connectFails: false, sends: [] as number[], disconnected: [] as number[] };
  const kafka = {
    producer: () => {
      const id = ++state.created;
      return {
        connect: async () => {
          if (state.connectFails) throw new Error('Connection error: ECONNREFUSED');
        },
        disconnect: async () => void state.disconnected.push(id),
        send: async ({ messages }: { messages: unknown[] }) => {
          if (state.failing) throw new Error('OUT_OF_ORDER_SEQUENCE_NUMBER');
          state.sends.push(id);
          return messages.map(() => ({ topicName: 't', partition: 0, errorCode: 0 }));
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
});
