import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '@storeloop/ml';
import type { ProcessExit } from '@storeloop/testing';
import { differencesFromTruth } from './support/compare';
import { publishPaced, waitApplied, waitCaughtUp } from './support/drive';
import { generateStream } from './support/stream';
import { FeaturesWorld } from './support/world';

const EVENTS = 200_000;
const CHUNK = 2_000;
const KILLS = 3;
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Date.now() % 2 ** 31;
const DAY = 86_400_000;

describe('features: exactly once through SIGKILL (built service, real Kafka and Redis)', () => {
  const world = new FeaturesWorld();

  afterAll(async () => {
    await world.dispose();
  });

  it('ends with every user and item counter equal to the events, after the process is SIGKILLed mid-stream three times', async () => {
    const random = mulberry32(SEED);
    // Kill points as fractions of the stream applied, each in its own third.
    const killAt = [0.1 + random() * 0.15, 0.35 + random() * 0.15, 0.6 + random() * 0.15];
    console.info(`features crash seed ${SEED}: kills at ${killAt.map((f) => f.toFixed(3)).join(', ')} of ${EVENTS} events applied`);
    const events = generateStream({ seed: SEED, events: EVENTS, users: 5_000, skus: 1_500, startMs: Date.now() - 10 * DAY, spanMs: 10 * DAY, tag: `crash-${world.suffix}` });
    await world.setup();
    const features = await world.process();
    await features.start();

    // Paced so the stream outlasts the restarts: kills land while events keep coming.
    const publisher = publishPaced(world, events, CHUNK);

    const kills: { atApplied: number; published: number; exit: ProcessExit }[] = [];
    for (const fraction of killAt) {
      const applied = await waitApplied(world, Math.floor(EVENTS * fraction));
      await sleep(random() * 250);
      const exit = await features.kill();
      kills.push({ atApplied: applied, published: publisher.published(), exit });
      await features.start();
    }
    await publisher.done;
    await waitCaughtUp(world);

    const { differences, users, items } = await differencesFromTruth(world, events);
    console.info(`features crash: ${EVENTS} events, ${users} users, ${items} items compared; kills ${JSON.stringify(kills.map((k) => ({ atApplied: k.atApplied, published: k.published, signal: k.exit.signal })))}`);
    expect(features.exits.map((e) => e.signal)).toEqual(Array.from({ length: KILLS }, () => 'SIGKILL'));
    expect(differences).toEqual([]);
    expect(users).toBeGreaterThan(4_000);
  }, 900_000);
});
