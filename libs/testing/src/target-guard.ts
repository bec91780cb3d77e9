import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/** Raw (unprefixed) key that marks a Redis database as disposable test state. */
export const REDIS_TEST_MARKER = 'storeloop:test-target';
/** A topic whose presence marks a Kafka cluster as a test target. */
export const KAFKA_TEST_MARKER_TOPIC = 'storeloop.test-target';
export const DEFAULT_TEST_REDIS_DB = 15;

/**
 * Refuses a Redis database that is not the test database or that holds data
 * without the test marker: tests flush keys, and must never do so on real state.
 * An empty test database gets the marker.
 */
export async function assertRedisIsTestTarget(url: string): Promise<void> {
  const expectedDb = Number(process.env.STORELOOP_TEST_REDIS_DB ?? DEFAULT_TEST_REDIS_DB);
  const db = Number(new URL(url).pathname.replace('/', '') || 0);
  if (db !== expectedDb) {
    throw new Error(
      `refusing to run tests against Redis database ${db} (${redactUrl(url)}): tests use database ${expectedDb} ` +
        `(set STORELOOP_TEST_REDIS_DB to choose another one)`,
    );
  }
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
  try {
    await redis.connect();
    if (await redis.exists(REDIS_TEST_MARKER)) return;
    const size = await redis.dbsize();
    if (size > 0) {
      throw new Error(
        `refusing to run tests against ${redactUrl(url)}: it holds ${size} key(s) and no "${REDIS_TEST_MARKER}" marker`,
      );
    }
    await redis.set(REDIS_TEST_MARKER, new Date().toISOString());
  } finally {
    redis.disconnect();
  }
}

/**
 * Accepts a Kafka cluster started by this project's scripts (cluster id on
 * disk), one started by testcontainers, or one that carries the marker topic.
 */
export async function assertKafkaIsTestTarget(brokers: string[], root: string, trustedClusterId?: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'storeloop-test-guard', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 5000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { clusterId } = await admin.describeCluster();
    const localIds = ['single', 'cluster3']
      .map((mode) => join(root, '.local/infra/kafka', mode, 'cluster.id'))
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8').trim());
    if (clusterId === trustedClusterId || localIds.includes(clusterId)) return;
    if ((await admin.listTopics()).includes(KAFKA_TEST_MARKER_TOPIC)) return;
    throw new Error(
      `refusing to run tests against Kafka cluster ${clusterId} at ${brokers.join(',')}: it was not started by ` +
        `"npm run infra:up" and has no "${KAFKA_TEST_MARKER_TOPIC}" topic`,
    );
  } finally {
    await admin.disconnect();
  }
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
