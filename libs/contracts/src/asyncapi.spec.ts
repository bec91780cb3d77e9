import { buildAsyncApiDocument } from './asyncapi';
import { EVENT_TYPE_NAMES } from './event-types';
import { TOPIC_IDS, TOPICS, TOPIC_NAMES } from './topics';

type Node = Record<string, unknown>;

const document = buildAsyncApiDocument({ version: '0.1.0' });

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node as Node | undefined)?.[key], document);
}

const channels = document.channels as Record<string, Node>;
const operations = document.operations as Record<string, Node & { channel: { $ref: string }; messages: { $ref: string }[] }>;
const messages = (document.components as { messages: Record<string, Node> }).messages;

describe('AsyncAPI document', () => {
  it('is AsyncAPI 3.0 with one channel per topic', () => {
    expect(document.asyncapi).toBe('3.0.0');
    expect(Object.values(channels).map((channel) => channel.address).sort()).toEqual([...TOPIC_NAMES].sort());
  });

  it('carries each topic’s Kafka settings in the channel binding', () => {
    for (const id of TOPIC_IDS) {
      const binding = (channels[id].bindings as { kafka: Node }).kafka;
      expect(binding).toMatchObject({
        topic: TOPICS[id].name,
        partitions: TOPICS[id].partitions,
        topicConfiguration: { 'cleanup.policy': [TOPICS[id].cleanupPolicy], 'retention.ms': TOPICS[id].retentionMs },
      });
    }
    expect((channels.models.bindings as { kafka: Node }).kafka).toMatchObject({
      partitions: 1,
      topicConfiguration: { 'cleanup.policy': ['compact'] },
    });
  });

  it('has a message with payload and key for every event type', () => {
    const titles = Object.values(messages).map((message) => message.title);
    expect(titles).toEqual(expect.arrayContaining(EVENT_TYPE_NAMES));
    for (const message of Object.values(messages)) {
      expect(message.payload).toMatchObject({ type: 'object' });
      expect(message.payload).not.toHaveProperty('$schema');
      expect(message).toMatchObject({ bindings: { kafka: { key: { type: 'string' } } } });
    }
  });

  it('has a send operation per producer and a receive operation per consumer', () => {
    for (const id of TOPIC_IDS) {
      const onTopic = Object.values(operations).filter((operation) => operation.channel.$ref === `#/channels/${id}`);
      expect(onTopic.filter((operation) => operation.action === 'send')).toHaveLength(TOPICS[id].producers.length);
      expect(onTopic.filter((operation) => operation.action === 'receive')).toHaveLength(TOPICS[id].consumers.length);
    }
  });

  it('resolves every reference', () => {
    for (const operation of Object.values(operations)) {
      expect(resolve(operation.channel.$ref)).toBeDefined();
      for (const message of operation.messages) expect(resolve(message.$ref)).toBeDefined();
    }
    for (const channel of Object.values(channels)) {
      for (const message of Object.values(channel.messages as Record<string, { $ref: string }>)) {
        expect(resolve(message.$ref)).toBeDefined();
      }
    }
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
  });
});
