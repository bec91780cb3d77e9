import { differencesFromTruth } from './support/compare';
import { publishPaced, waitApplied, waitCaughtUp } from './support/drive';
import { generateStream } from './support/stream';
import { FeaturesWorld } from './support/world';

const EVENTS = 100_000;
const DAY = 86_400_000;

describe('features: exactly once through rebalances (two built instances, real Kafka and Redis)', () => {
  const world = new FeaturesWorld();

  afterAll(async () => {
    await world.dispose();
  });

  it('ends with every counter equal to the events while a second instance joins, the first leaves and rejoins, and the second leaves', async () => {
    const events = generateStream({ seed: 4242, events: EVENTS, users: 3_000, skus: 1_000, startMs: Date.now() - 10 * DAY, spanMs: 10 * DAY, tag: `rebalance-${world.suffix}` });
    await world.setup();
    const a = await world.process();
    const b = await world.process();
    await a.start();
    const publisher = publishPaced(world, events, 1_000, 50);
    const steps: string[] = [];
    const step = async (fraction: number, what: string, action: () => Promise<unknown>) => {
      const applied = await waitApplied(world, Math.floor(EVENTS * fraction));
      await action();
      steps.push(`${what} at ${applied} applied, ${publisher.published()} published`);
    };
    await step(0.15, 'B joins', () => b.start());
    await step(0.4, 'A leaves', async () => expect(await a.stop()).toBe(0));
    await step(0.6, 'A rejoins', () => a.start());
    await step(0.8, 'B leaves', async () => expect(await b.stop()).toBe(0));
    await publisher.done;
    await waitCaughtUp(world);

    const { differences, users, items } = await differencesFromTruth(world, events);
    console.info(`features rebalance: ${steps.join('; ')}; ${users} users and ${items} items compared`);
    expect(differences).toEqual([]);
    expect(a.exits.map((e) => e.code)).toEqual([0]);
    expect(b.exits.map((e) => e.code)).toEqual([0]);
  }, 900_000);
});
