import { TOPICS } from '@storeloop/contracts';
import { TopicNamer } from './topic-namer';

describe('TopicNamer', () => {
  it('uses logical names unchanged without a prefix', () => {
    const namer = new TopicNamer();
    expect(namer.prefix).toBe('');
    expect(namer.physical(TOPICS.events.name)).toBe('retail.events.v1');
    expect(namer.logical('retail.events.v1')).toBe('retail.events.v1');
  });

  it('prefixes physical names and strips the prefix back off', () => {
    const namer = new TopicNamer('ci-42.');
    expect(namer.physical(TOPICS.deadLetters.name)).toBe('ci-42.retail.events.dlq.v1');
    expect(namer.logical('ci-42.retail.events.dlq.v1')).toBe('retail.events.dlq.v1');
  });

  it('round-trips every registry topic', () => {
    const namer = new TopicNamer('staging.');
    for (const topic of Object.values(TOPICS)) expect(namer.logical(namer.physical(topic.name))).toBe(topic.name);
  });

  it('leaves a physical name without the prefix as it is', () => {
    expect(new TopicNamer('ci-42.').logical('retail.events.v1')).toBe('retail.events.v1');
  });
});
