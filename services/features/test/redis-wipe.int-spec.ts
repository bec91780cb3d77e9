import { Redis } from 'ioredis';
import { DisposableRedis, waitFor } from '@storeloop/testing';
import { differencesFromTruth } from './support/compare';
import { publishPaced, waitApplied, waitCaughtUp } from './support/drive';
import { generateStream } from './support/stream';
import { FeaturesWorld } from './support/world';

const EVENTS = 60_000;
const DAY = 86_400_000;

/** Value of a counter or gauge on a Prometheus text page. */
function metric(page: string, name: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

describe('features: a wiped Redis is noticed and rebuilt from Kafka (built service, its own redis-server)', () => {
  let redis: DisposableRedis;
  let world: FeaturesWorld;
  let output = () => '';

  beforeAll(async () => {
    // FLUSHALL must not touch the shared test Redis: this test gets a server of its own.
    redis = await DisposableRedis.create();
    await redis.start();
    world = new FeaturesWorld(redis.url(0));
  });

  afterAll(async () => {
    if (process.env.FEATURES_TEST_LOGS) console.info(output().slice(-30000));
    if (process.env.KEEP_WORLD) await new Promise((resolve) => setTimeout(resolve, 600_000));
    await world.dispose();
    await redis.stop();
  });

  it('rebuilds the views after FLUSHALL mid-stream, not ready meanwhile, and ends equal to the ground truth', async () => {
    const events = generateStream({ seed: 777, events: EVENTS, users: 2_000, skus: 800, startMs: Date.now() - 10 * DAY, spanMs: 10 * DAY, tag: `wipe-${world.suffix}` });
    await world.setup();
    const features = await world.process({ LOG_LEVEL: 'info' });
    if (process.env.KEEP_WORLD) console.info(`world ${world.topicPrefix} ${world.redisKeyPrefix} ${redis.url(0)} group ${world.consumerGroup}`);
    output = () => features.output();
    await features.start();
    const publisher = publishPaced(world, events, 1_000, 40);

    await waitApplied(world, Math.floor(EVENTS * 0.4));
    const readiness: { at: number; status: number; body: string }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const response = await fetch(`${features.url}/health/ready`).catch(() => undefined);
        if (response) readiness.push({ at: Date.now(), status: response.status, body: await response.text() });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const admin = new Redis(redis.url(0));
    await admin.flushall();
    admin.disconnect();
    const flushedAt = Date.now();

    await publisher.done;
    await waitCaughtUp(world, process.env.KEEP_WORLD ? 90_000 : 300_000);
    await waitFor(async () => (await fetch(`${features.url}/health/ready`)).status === 200, { timeoutMs: 60_000, description: 'ready again after the rebuild' });
    watching = false;
    await watcher;

    const notReady = readiness.filter((r) => r.at >= flushedAt && r.status === 503);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.some((r) => r.body.includes('rebuilding the feature store'))).toBe(true);
    const page = await (await fetch(`${features.url}/metrics`)).text();
    // The first start builds the empty store too; the wipe makes the second.
    expect(metric(page, 'features_rebuilds_total')).toBe(2);
    expect(metric(page, 'features_rebuild_in_progress')).toBe(0);

    const { differences, users } = await differencesFromTruth(world, events);
    console.info(`features wipe: ${users} users compared; ${notReady.length} not-ready answers after FLUSHALL`);
    expect(differences).toEqual([]);
  }, 600_000);
});
