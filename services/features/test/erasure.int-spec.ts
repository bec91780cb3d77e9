import { EventType, TOPICS, type TrainingExample } from '@storeloop/contracts';
import { hashedUserId, readUserViews } from '@storeloop/feature-store';
import { TopicReader, waitFor } from '@storeloop/testing';
import { waitCaughtUp } from './support/drive';
import { parsed } from './support/stream';
import { FeaturesWorld } from './support/world';

const MINUTE = 60_000;

describe('features: erasure from retail.privacy.v1 (built service, real Kafka and Redis)', () => {
  const world = new FeaturesWorld();

  afterAll(async () => {
    await world.dispose();
  });

  it('deletes every key of the erased user, records the hashed id, and applies and emits nothing of the user afterwards', async () => {
    await world.setup();
    const examples = world.track(await new TopicReader(world.kafka, world.physical(TOPICS.trainingExamples.name)).start());
    const features = await world.process();
    await features.start();
    const tag = `erase-${world.suffix}`;
    const erased = `${tag}-user-gone`;
    const kept = `${tag}-user-kept`;
    const t0 = Date.now() - 60 * MINUTE;
    const at = (m: number) => new Date(t0 + m * MINUTE).toISOString();
    const activity = (userId: string, from: number) => [
      parsed(EventType.ProductViewed, { id: `${userId}-v${from}`, time: at(from), data: { userId, sku: `${tag}-sku-1` } }),
      parsed(EventType.CartItemAdded, { id: `${userId}-c${from}`, time: at(from + 1), data: { userId, sku: `${tag}-sku-1`, quantity: 1 } }),
      parsed(EventType.RecommendationServed, {
        id: `${userId}-r${from}`,
        time: at(from + 2),
        data: { userId, recommendationId: `${userId}-rec${from}`, modelVersion: 'v1', surface: 'home', items: [{ sku: `${tag}-sku-2`, position: 1, score: 1 }] },
      }),
    ];

    await world.publish([...activity(erased, 0), ...activity(kept, 0)]);
    await waitCaughtUp(world, 120_000);
    const raw = world.redis();
    expect((await readUserViews(raw, [erased]))[0].known).toBe(true);

    await world.publish([parsed(EventType.UserErasureRequested, { id: `${tag}-erasure`, time: at(10), data: { userId: erased, requestedBy: 'privacy-portal' } })]);
    await waitCaughtUp(world, 120_000);
    const before = examples.messages.length;
    await world.publish([...activity(erased, 20), ...activity(kept, 20)]);
    await waitCaughtUp(world, 120_000);
    // The kept user's new interactions give examples; wait for them, then nothing of the erased user may follow.
    await waitFor(() => examples.messages.length >= before + 2, { timeoutMs: 60_000, description: 'examples of the kept user' });

    const keys = await raw.keys(`*${erased}*`);
    expect(keys).toEqual([]);
    expect(await raw.sismember(`default:{erased-users}`, hashedUserId(erased))).toBe(1);
    const [gone, still] = await readUserViews(raw, [erased, kept]);
    expect(gone.known).toBe(false);
    expect(still.counts.view['24h']).toBe(2);
    const after = examples.messages.slice(before).map((m) => JSON.parse(m.message.value?.toString('utf8') ?? '{}') as TrainingExample);
    expect(after.filter((e) => e.userId === erased)).toEqual([]);
    expect(after.filter((e) => e.userId === kept).length).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
