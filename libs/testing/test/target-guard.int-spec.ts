import { Redis } from 'ioredis';
import { DisposableRedis, REDIS_TEST_MARKER, assertKafkaIsTestTarget, assertRedisIsTestTarget, repoRoot, testBrokers } from '../src';

describe('the harness refuses targets that are not marked for tests', () => {
  let server: DisposableRedis;

  beforeEach(async () => {
    server = await DisposableRedis.create();
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('refuses a Redis database other than the test database', async () => {
    await expect(assertRedisIsTestTarget(server.url(0))).rejects.toThrow(/refusing to run tests against Redis database 0/);
  });

  it('marks an empty test database, then accepts it', async () => {
    await assertRedisIsTestTarget(server.url(15));
    const raw = new Redis(server.url(15));
    try {
      expect(await raw.exists(REDIS_TEST_MARKER)).toBe(1);
      await raw.set('some:data', '1');
    } finally {
      raw.disconnect();
    }
    await expect(assertRedisIsTestTarget(server.url(15))).resolves.toBeUndefined();
  });

  it('refuses a test database that holds data but no marker', async () => {
    const raw = new Redis(server.url(15));
    await raw.set('customer:1', 'real data');
    raw.disconnect();
    await expect(assertRedisIsTestTarget(server.url(15))).rejects.toThrow(/holds 1 key\(s\) and no "storeloop:test-target" marker/);
  });

  it('accepts the Kafka cluster started by the project scripts, and refuses an unknown one', async () => {
    await expect(assertKafkaIsTestTarget(testBrokers(), repoRoot())).resolves.toBeUndefined();
    // Pretend the cluster ids on disk live elsewhere: the cluster is then unknown and unmarked.
    await expect(assertKafkaIsTestTarget(testBrokers(), '/nonexistent')).rejects.toThrow(/refusing to run tests against Kafka cluster/);
  });
});
