import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './repo';
import { DEFAULT_TEST_REDIS_DB, assertKafkaIsTestTarget, assertRedisIsTestTarget } from './target-guard';

interface Started {
  stop(): Promise<unknown>;
}

declare global {
  var __STORELOOP_CONTAINERS__: Started[] | undefined;
}

function dockerEngineAnswers(): boolean {
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, stdio: 'ignore' });
  return probe.status === 0;
}

async function startContainers(): Promise<{ brokers: string; redisUrl: string; clusterId: string }> {
  // Loaded only when an engine answers: testcontainers is an optional dependency.
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new KafkaContainer('apache/kafka:4.1.1').withKraft().start();
  const redis = await new GenericContainer('redis:7')
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  globalThis.__STORELOOP_CONTAINERS__ = [kafka, redis];
  const { Kafka, logLevel } = await import('kafkajs');
  const brokers = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  await admin.disconnect();
  return { brokers, redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}/${DEFAULT_TEST_REDIS_DB}`, clusterId };
}

/**
 * Jest global setup for integration tests. Uses KAFKA_BROKERS / REDIS_URL
 * when set; else testcontainers when a Docker engine answers; else the local
 * Kafka and Redis of `npm run infra:up` (started here if needed). Then refuses
 * any target that does not look like a test one.
 */
export default async function globalSetup(): Promise<void> {
  const root = repoRoot(__dirname);
  let trustedClusterId: string | undefined;
  if (!process.env.KAFKA_BROKERS && !process.env.REDIS_URL) {
    if (process.env.STORELOOP_TEST_CONTAINERS !== 'false' && dockerEngineAnswers()) {
      const started = await startContainers();
      process.env.KAFKA_BROKERS = started.brokers;
      process.env.REDIS_URL = started.redisUrl;
      trustedClusterId = started.clusterId;
    } else {
      execFileSync('bash', [join(root, 'tools/infra/infra.sh'), 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
    }
  }
  process.env.KAFKA_BROKERS ??= '127.0.0.1:9092';
  process.env.REDIS_URL ??= `redis://127.0.0.1:6379/${DEFAULT_TEST_REDIS_DB}`;
  await assertKafkaIsTestTarget(process.env.KAFKA_BROKERS.split(','), root, trustedClusterId);
  await assertRedisIsTestTarget(process.env.REDIS_URL);
}
