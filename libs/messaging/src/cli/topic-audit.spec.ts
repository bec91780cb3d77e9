import type { TopicSpec } from '../provisioning';
import { topicDrift, type ObservedTopic } from './topic-audit';

const spec: TopicSpec = { name: 'retail.models.v1', partitions: 1, cleanupPolicy: 'compact', retentionMs: -1 };
const matching: ObservedTopic = {
  name: 'p.retail.models.v1',
  partitions: 1,
  replicationFactor: 1,
  configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1', 'max.message.bytes': '1048588' },
};

describe('topicDrift', () => {
  it('finds nothing when the broker matches the registry (broker defaults for unset settings are fine)', () => {
    expect(topicDrift(spec, matching)).toEqual([]);
  });

  it('reports each differing setting with both values', () => {
    const drifted = { ...matching, partitions: 3, configs: { ...matching.configs, 'cleanup.policy': 'delete' } };
    expect(topicDrift(spec, drifted)).toEqual([
      { topic: 'p.retail.models.v1', setting: 'partitions', registry: '1', broker: '3' },
      { topic: 'p.retail.models.v1', setting: 'cleanup.policy', registry: 'compact', broker: 'delete' },
    ]);
  });

  it('checks max.message.bytes only where the registry sets it', () => {
    const large: TopicSpec = { ...spec, maxMessageBytes: 8 * 1024 * 1024 };
    expect(topicDrift(large, matching)).toEqual([
      { topic: 'p.retail.models.v1', setting: 'max.message.bytes', registry: String(8 * 1024 * 1024), broker: '1048588' },
    ]);
    expect(topicDrift(large, { ...matching, configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } })[0]).toMatchObject({ broker: '(unset)' });
  });
});
