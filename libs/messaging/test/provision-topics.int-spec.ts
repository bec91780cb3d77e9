import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { TOPICS } from '@storeloop/contracts';
import { createTopics, freePort, repoRoot, testBrokers, testKafka, uniqueSuffix } from '@storeloop/testing';
import { TopicNamer } from '../src';

const COMMAND = join(repoRoot(__dirname), 'libs/messaging/dist/cli/provision-topics.js');

/** Runs the built command as the compose job and the Helm Job do, with only the variables given. */
function provision(env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, [COMMAND, ...args], {
    env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: testBrokers().join(','), ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('provision-topics against a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  const namer = new TopicNamer(`test-${uniqueSuffix()}.`);
  const registry = Object.values(TOPICS);
  const physical = registry.map((spec) => namer.physical(spec.name));

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    const present = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: physical.filter((name) => present.has(name)) });
    await admin.disconnect();
  });

  it('creates every registry topic with its partitions and configs, then finds them all on a second run', async () => {
    const first = provision({ KAFKA_TOPIC_PREFIX: namer.prefix });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const name of physical) expect(first.stdout).toContain(`created  ${name}  `);
    expect(first.stdout).toContain(`${registry.length} topics on ${testBrokers().join(',')}: ${registry.length} created, 0 existing, 0 drifted setting(s)`);

    const metadata = await admin.fetchTopicMetadata({ topics: physical });
    for (const spec of registry) {
      expect(metadata.topics.find((t) => t.name === namer.physical(spec.name))?.partitions).toHaveLength(spec.partitions);
    }
    const models = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: namer.physical(TOPICS.models.name), configNames: ['cleanup.policy'] }],
    });
    expect(models.resources[0]?.configEntries[0]?.configValue).toBe('compact');

    const second = provision({ KAFKA_TOPIC_PREFIX: namer.prefix }, ['--strict']);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`0 created, ${registry.length} existing, 0 drifted setting(s)`);
  });

  it('reports a topic that differs from the registry, and fails on it only with --strict', async () => {
    const drifted = new TopicNamer(`test-${uniqueSuffix()}.`);
    const eventsTopic = drifted.physical(TOPICS.events.name);
    await createTopics(admin, [eventsTopic], 2);
    try {
      const lenient = provision({ KAFKA_TOPIC_PREFIX: drifted.prefix });
      expect(lenient.status).toBe(0);
      expect(lenient.stdout).toContain(`drift    ${eventsTopic}  partitions: broker 2, registry ${TOPICS.events.partitions}`);
      expect(lenient.stdout).toContain(`exists   ${eventsTopic}  partitions=2`);

      const strict = provision({ KAFKA_TOPIC_PREFIX: drifted.prefix, PROVISION_STRICT: 'true' });
      expect(strict.status).toBe(3);
      expect(strict.stderr).toMatch(/^PROVISION\.TOPIC_DRIFT: /);
    } finally {
      const mine = registry.map((spec) => drifted.physical(spec.name));
      const present = new Set(await admin.listTopics());
      await admin.deleteTopics({ topics: mine.filter((name) => present.has(name)) });
    }
  });

  it('exits 1 with PROVISION.KAFKA_UNREACHABLE after the bounded attempts when nothing listens', async () => {
    const port = await freePort();
    const result = provision({ KAFKA_BROKERS: `127.0.0.1:${port}` }, ['--attempts=2', '--retry-delay-ms=0']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('waiting for Kafka (attempt 1/2 failed');
    expect(result.stderr).toContain(`PROVISION.KAFKA_UNREACHABLE: Kafka at 127.0.0.1:${port} did not answer after 2 attempt(s)`);
  });
});
