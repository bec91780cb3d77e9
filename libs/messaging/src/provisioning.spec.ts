import type { Admin } from 'kafkajs';
import { TOPICS } from '@storeloop/contracts';
import type { Logger } from '@storeloop/observability';
import { provisionTopics, topicConfigEntries, type TopicSpec } from './provisioning';
import { TopicNamer } from './topic-namer';

const SPECS: TopicSpec[] = [
  { name: 'retail.events.v1', partitions: 6, cleanupPolicy: 'delete', retentionMs: 2_592_000_000 },
  { name: 'retail.models.v1', partitions: 1, cleanupPolicy: 'compact', retentionMs: -1 },
  { name: 'retail.events.dlq.v1', partitions: 6, cleanupPolicy: 'delete', retentionMs: 1_209_600_000 },
];

/** A kafkajs Admin that answers listTopics with each list in turn (the last one repeats). */
function fakeAdmin(...listings: string[][]) {
  let call = 0;
  const admin = {
    listTopics: jest.fn(async () => listings[Math.min(call++, listings.length - 1)]),
    createTopics: jest.fn(async (_request: Parameters<Admin['createTopics']>[0]) => true),
  };
  return { admin, asAdmin: admin as unknown as Admin };
}

describe('topicConfigEntries', () => {
  it('maps cleanup policy and retention to broker settings', () => {
    expect(topicConfigEntries(SPECS[1])).toEqual([
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'retention.ms', value: '-1' },
    ]);
  });
});

describe('provisionTopics', () => {
  const namer = new TopicNamer('ci.');

  it('creates only the missing topics with partitions, replication factor and config', async () => {
    const { admin, asAdmin } = fakeAdmin(['ci.retail.events.v1', 'other.topic']);
    const result = await provisionTopics(asAdmin, SPECS, namer, { replicationFactor: 3 });
    expect(admin.createTopics).toHaveBeenCalledTimes(1);
    expect(admin.createTopics).toHaveBeenCalledWith({
      waitForLeaders: true,
      topics: [
        {
          topic: 'ci.retail.models.v1',
          numPartitions: 1,
          replicationFactor: 3,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '-1' },
          ],
        },
        {
          topic: 'ci.retail.events.dlq.v1',
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'retention.ms', value: '1209600000' },
          ],
        },
      ],
    });
    expect(result).toEqual({ created: ['ci.retail.models.v1', 'ci.retail.events.dlq.v1'], existing: ['ci.retail.events.v1'] });
  });

  it("uses the broker's default replication factor unless told otherwise", async () => {
    const { admin, asAdmin } = fakeAdmin([]);
    await provisionTopics(asAdmin, [SPECS[0]], new TopicNamer());
    expect(admin.createTopics.mock.calls[0][0].topics).toEqual([expect.objectContaining({ topic: 'retail.events.v1', replicationFactor: -1 })]);
  });

  it('creates nothing when every topic exists', async () => {
    const { admin, asAdmin } = fakeAdmin(SPECS.map((s) => namer.physical(s.name)));
    const result = await provisionTopics(asAdmin, SPECS, namer);
    expect(admin.createTopics).not.toHaveBeenCalled();
    expect(result).toEqual({ created: [], existing: ['ci.retail.events.v1', 'ci.retail.models.v1', 'ci.retail.events.dlq.v1'] });
  });

  it('provisions the whole contracts registry', async () => {
    const { admin, asAdmin } = fakeAdmin([]);
    const result = await provisionTopics(asAdmin, Object.values(TOPICS), new TopicNamer());
    expect(result.created.sort()).toEqual(Object.values(TOPICS).map((t) => t.name).sort());
    const models = admin.createTopics.mock.calls[0][0].topics.find((t) => t.topic === TOPICS.models.name);
    expect(models).toMatchObject({ numPartitions: 1, configEntries: expect.arrayContaining([{ name: 'cleanup.policy', value: 'compact' }]) });
  });

  it('treats a creation race as success when the topics exist afterwards', async () => {
    const all = SPECS.map((s) => namer.physical(s.name));
    const { admin, asAdmin } = fakeAdmin([], all);
    admin.createTopics.mockRejectedValueOnce(new Error('Topic with this name already exists'));
    await expect(provisionTopics(asAdmin, SPECS, namer)).resolves.toBeDefined();
    expect(admin.listTopics).toHaveBeenCalledTimes(2);
  });

  it('rethrows the creation error when topics are still missing', async () => {
    const failure = new Error('Not authorized to create topics');
    const { admin, asAdmin } = fakeAdmin([], ['ci.retail.events.v1']);
    admin.createTopics.mockRejectedValueOnce(failure);
    await expect(provisionTopics(asAdmin, SPECS, namer)).rejects.toBe(failure);
  });

  it('logs the outcome', async () => {
    const { asAdmin } = fakeAdmin(['ci.retail.events.v1']);
    const logger = { info: jest.fn() };
    const result = await provisionTopics(asAdmin, SPECS, namer, { logger: logger as unknown as Logger });
    expect(logger.info).toHaveBeenCalledWith(result, 'kafka topics provisioned');
  });
});
