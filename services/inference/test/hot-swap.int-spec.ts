import { performance } from 'node:perf_hooks';
import { waitFor, type RestartableService } from '@storeloop/testing';
import { RecommendationLoad, loadFigures, type LoadSample } from './support/load';
import type { BuiltVersion } from './support/model-artifact';
import { SECRETS, ServingWorld, call } from './support/serving-fixture';

/** Answers wanted on each version before the test moves on: enough that a flip-flop would show. */
const PER_PHASE = 300;

describe('inference: hot swap under load (built service, real Kafka and Redis)', () => {
  const world = new ServingWorld();
  const v1Name = `v1-${world.suffix}`;
  const v2Name = `v2-${world.suffix}`;
  let v2: BuiltVersion;
  let service: RestartableService;
  let load: RecommendationLoad | undefined;

  beforeAll(async () => {
    await world.setup();
    const v1 = await world.build(v1Name, 1, { createdAt: new Date(Date.now() - 60_000) });
    v2 = await world.build(v2Name, 3, { parentVersion: v1Name });
    await world.storeVersion(v1);
    await world.pointChampion(v1Name);
    await world.lifecycle('promoted', v1Name, v1Name);
    // Lifecycle events only: the pointer poll must not be what swaps.
    service = await world.startInference({ INFERENCE_MODEL_POLL_MS: '0' });
  }, 240_000);

  afterAll(async () => {
    await load?.stop();
    if (process.env.KEEP_WORLD) console.info(service?.output().slice(-20_000));
    await world.dispose();
  }, 60_000);

  it('moves every request to a promoted version and back on a rollback, failing none', async () => {
    load = new RecommendationLoad(service.url, SECRETS.infer, world.shop.shoppers.map((s) => s.userId), 8);
    load.start();
    const running = load;
    const wait = (version: string, after: number, what: string) =>
      waitFor(() => running.countSince(version, after) >= PER_PHASE, { timeoutMs: 90_000, intervalMs: 50, description: `${PER_PHASE} answers from ${version} ${what}` });

    await wait(v1Name, 0, 'before the promotion');

    // What the training service does on a promotion: the version, the pointer, then the event.
    await world.storeVersion(v2);
    await world.pointChampion(v2Name, [v1Name]);
    const promotedAt = performance.now();
    await world.lifecycle('promoted', v2Name, v2Name);
    await wait(v2Name, promotedAt, 'after the promotion');

    await world.pointChampion(v1Name);
    const rolledBackAt = performance.now();
    await world.lifecycle('rolled_back', v2Name, v1Name, 'integration test rollback');
    await wait(v1Name, rolledBackAt, 'after the rollback');

    const samples = await load.stop();
    const figures = loadFigures(samples);
    console.info(`hot swap under load: ${JSON.stringify({ ...figures, v1: samples.filter((s) => s.version === v1Name).length, v2: samples.filter((s) => s.version === v2Name).length })}`);

    const failed = samples.filter((s) => s.status !== 200);
    expect(failed.slice(0, 5)).toEqual([]);
    expect(samples.every((s) => s.version === v1Name || s.version === v2Name)).toBe(true);

    // Nothing serves v2 before its promotion is announced (the pointer alone does not swap: polling is off).
    expect(samples.filter((s) => s.endedAt < promotedAt && s.version !== v1Name)).toEqual([]);
    // Once one answer came from v2, every request sent after it got v2 until the rollback: no going back.
    const firstV2 = Math.min(...samples.filter((s) => s.version === v2Name).map((s) => s.endedAt));
    const backSlide = samples.filter((s) => s.startedAt > firstV2 && s.startedAt < rolledBackAt && s.version !== v2Name);
    expect(backSlide.slice(0, 5)).toEqual([] as LoadSample[]);
    // And once the rollback reached one answer, every later request got v1 again.
    const firstBack = Math.min(...samples.filter((s) => s.version === v1Name && s.startedAt > rolledBackAt).map((s) => s.endedAt));
    expect(samples.filter((s) => s.startedAt > firstBack && s.version !== v1Name).slice(0, 5)).toEqual([]);

    const status = await call(service.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
    expect(status).toMatchObject({ status: 200, body: { champion: { version: v1Name }, lastEvent: { stage: 'rolled_back', version: v2Name, championVersion: v1Name }, failedVersions: {} } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const line = (name: string, labels: string) => metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels))?.split(' ').pop();
    expect(line('inference_model_info', `version="${v1Name}",arm="champion"`)).toBe('1');
    expect(line('inference_model_info', `version="${v2Name}"`)).toBeUndefined();
  });
});
