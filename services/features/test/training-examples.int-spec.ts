import { EventType, TOPICS, trainingExampleSchema, type StoreloopEvent, type TrainingExample } from '@storeloop/contracts';
import { TopicReader, waitFor } from '@storeloop/testing';
import { parsed } from './support/stream';
import { FeaturesWorld } from './support/world';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Total of a user's windowed counts (30 d covers the whole test stream) over the activities of the
 * events topic. Impressions and clicks come from the feedback topic, which is consumed side by side
 * (see the README: order between the two topics is by consumption, not event time).
 */
const EVENTS_TOPIC_ACTIVITIES = ['view', 'cart', 'uncart', 'order', 'search', 'favorite'];
const userEvents30d = (example: TrainingExample) =>
  EVENTS_TOPIC_ACTIVITIES.reduce((sum, activity) => sum + (example.userFeatures[`count.${activity}.30d`] ?? Number.NaN), 0);

describe('features: training examples, point in time (built service, real Kafka and Redis)', () => {
  const world = new FeaturesWorld();
  let examples: TopicReader;
  let features: Awaited<ReturnType<FeaturesWorld['process']>>;
  const t0 = Date.now() - 5 * DAY;
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const tag = `ex-${world.suffix}`;

  beforeAll(async () => {
    await world.setup();
    if (process.env.KEEP_WORLD) console.info(`world ${world.topicPrefix}`);
    examples = world.track(await new TopicReader(world.kafka, world.physical(TOPICS.trainingExamples.name)).start());
    features = await world.process();
    await features.start();
  });

  afterAll(async () => {
    if (process.env.KEEP_WORLD) console.info(features.output().slice(-20000));
    await world.dispose();
  });

  const received = () => examples.messages.map((m) => JSON.parse(m.message.value?.toString('utf8') ?? '{}') as TrainingExample);

  it('gives each interaction an example with features from before its event (no leakage), and joins impressions with clicks and purchases', async () => {
    // Phase 1: shoppers with histories, probe items touched exactly once, and two served recommendations.
    const shopper: StoreloopEvent[] = [];
    const sequences = new Map<string, string[]>();
    for (let u = 0; u < 40; u++) {
      const userId = `${tag}-shopper-${u}`;
      for (let i = 0; i < 8; i++) {
        const id = `${tag}-s${u}-${i}`;
        const sku = `${tag}-common-${(u + i) % 6}`;
        const time = at(u * 1000 + i * 2 * MINUTE);
        const event =
          i % 4 === 3
            ? parsed(EventType.OrderPlaced, { id, time, data: { userId, orderId: `${id}-o`, items: [{ sku, quantity: 1, unitPrice: { amount: '9.99', currency: 'EUR' } }] } })
            : i % 4 === 2
              ? parsed(EventType.CartItemAdded, { id, time, data: { userId, sku, quantity: 1 } })
              : parsed(EventType.ProductViewed, { id, time, data: { userId, sku } });
        shopper.push(event);
        sequences.set(userId, [...(sequences.get(userId) ?? []), id]);
      }
    }
    const probes = Array.from({ length: 20 }, (_, p) =>
      parsed(EventType.ProductViewed, { id: `${tag}-probe-${p}`, time: at(HOUR + p * 1000), data: { userId: `${tag}-prober-${p}`, sku: `${tag}-probe-sku-${p}` } }),
    );
    const served = [
      parsed(EventType.RecommendationServed, {
        id: `${tag}-served-1`,
        time: at(2 * HOUR),
        data: {
          userId: `${tag}-shopper-1`,
          recommendationId: `${tag}-rec-1`,
          modelName: 'two-tower',
          modelVersion: 'v7',
          surface: 'home',
          items: ['a', 'b', 'c'].map((s, i) => ({ sku: `${tag}-common-${i}`, position: i + 1, score: 1 - i / 10 })),
        },
      }),
      parsed(EventType.RecommendationClicked, {
        id: `${tag}-click-1`,
        time: at(2 * HOUR + 10 * MINUTE),
        data: { userId: `${tag}-shopper-1`, recommendationId: `${tag}-rec-1`, sku: `${tag}-common-1`, position: 2 },
      }),
      parsed(EventType.RecommendationServed, {
        id: `${tag}-served-2`,
        time: at(2 * HOUR),
        data: {
          userId: `${tag}-shopper-2`,
          recommendationId: `${tag}-rec-2`,
          modelVersion: 'v8',
          surface: 'pdp',
          items: [{ sku: `${tag}-common-4`, position: 1, score: 0.5 }],
        },
      }),
      // 40 minutes after the impression: outside the 30-minute click window.
      parsed(EventType.RecommendationClicked, {
        id: `${tag}-late-click`,
        time: at(2 * HOUR + 40 * MINUTE),
        data: { userId: `${tag}-shopper-2`, recommendationId: `${tag}-rec-2`, sku: `${tag}-common-4`, position: 1 },
      }),
    ];
    await world.publish([...shopper, ...probes, ...served]);
    await waitFor(async () => (await world.progress()).caughtUp, { timeoutMs: 120_000, intervalMs: 200, description: 'phase 1 applied' });
    // The purchase goes to the events topic, the impression to the feedback topic: publish it once the impression is in.
    const purchase = parsed(EventType.OrderPlaced, {
      id: `${tag}-order-after-rec`,
      time: at(4 * HOUR),
      data: { userId: `${tag}-shopper-1`, orderId: `${tag}-o-rec`, items: [{ sku: `${tag}-common-2`, quantity: 2, unitPrice: { amount: '5.00', currency: 'EUR' } }] },
    });
    await world.publish([purchase]);
    await waitFor(async () => (await world.progress()).caughtUp, { timeoutMs: 120_000, intervalMs: 200, description: 'the purchase applied' });

    // Phase 2: later impressions on every feedback partition move the watermark past both windows.
    const closers = Array.from({ length: 60 }, (_, c) =>
      parsed(EventType.RecommendationServed, {
        id: `${tag}-closer-${c}`,
        time: at(2 * DAY + c),
        data: { userId: `${tag}-closer-user-${c}`, recommendationId: `${tag}-closer-rec-${c}`, modelVersion: 'v9', surface: 'home', items: [{ sku: `${tag}-closer-sku`, position: 1, score: 1 }] },
      }),
    );
    await world.publish(closers);
    const servedIds = (rec: string) => received().filter((e) => e.recommendationId === rec && e.kind?.startsWith('served-'));
    await waitFor(() => servedIds(`${tag}-rec-1`).length === 6 && servedIds(`${tag}-rec-2`).length === 2, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: `the served examples of both recommendations (have ${servedIds(`${tag}-rec-1`).map((e) => e.exampleId).join(', ')} and ${servedIds(`${tag}-rec-2`).length}; prefix ${world.redisKeyPrefix})`,
    });

    const all = received();
    // Every record is a valid example, and each id occurs once.
    for (const example of all) expect(trainingExampleSchema.safeParse(example).success).toBe(true);
    expect(new Set(all.map((e) => e.exampleId)).size).toBe(all.length);

    // One example per interaction (orders per line), none for searches or impressions.
    const interactions = all.filter((e) => ['view', 'cart', 'order', 'click'].includes(e.kind ?? ''));
    expect(interactions).toHaveLength(shopper.length + probes.length + 2 /* click + order after the recommendation */ + 1 /* late click: an interaction all the same */);

    // No leakage, user side: an example counts only events of its user strictly before its own.
    for (const example of interactions.filter((e) => e.userId.includes('-shopper-'))) {
      const sequence = sequences.get(example.userId);
      if (!sequence || !example.sourceEventId || !sequence.includes(example.sourceEventId)) continue;
      const before = sequence.indexOf(example.sourceEventId);
      expect({ id: example.exampleId, counted: userEvents30d(example) <= before }).toEqual({ id: example.exampleId, counted: true });
      expect(Date.parse(example.featureTime)).toBeLessThanOrEqual(Date.parse(example.eventTime));
    }
    // No leakage, item side: an item touched once has no trace of that touch in its own example.
    for (const probe of probes) {
      const example = interactions.find((e) => e.sourceEventId === probe.id);
      expect(example?.itemFeatures['total.view']).toBe(0);
      expect(example?.userFeatures.known).toBe(0);
    }

    // Attribution: click within 30 min positive, the other served items negative; purchase within 24 h positive.
    const byId = new Map(all.map((e) => [e.exampleId, e]));
    const label = (rec: string, kind: string, sku: string) => byId.get(`${tag}-${rec}:${kind}:${tag}-${sku}`)?.label;
    expect([0, 1, 2].map((i) => label('rec-1', 'served-click', `common-${i}`))).toEqual([0, 1, 0]);
    expect([0, 1, 2].map((i) => label('rec-1', 'served-purchase', `common-${i}`))).toEqual([0, 0, 1]);
    expect(label('rec-2', 'served-click', 'common-4')).toBe(0);
    expect(label('rec-2', 'served-purchase', 'common-4')).toBe(0);
    for (const example of servedIds(`${tag}-rec-1`)) {
      expect(example).toMatchObject({ modelName: 'two-tower', modelVersion: 'v7', surface: 'home', featureTime: at(2 * HOUR) });
    }
    expect(byId.get(`${tag}-rec-1:served-click:${tag}-common-1`)).toMatchObject({ position: 2, eventTime: at(2 * HOUR + 10 * MINUTE), sourceEventId: `${tag}-click-1` });
    expect(byId.get(`${tag}-rec-1:served-click:${tag}-common-0`)?.eventTime).toBe(at(2 * HOUR + 30 * MINUTE));
  }, 300_000);
});
