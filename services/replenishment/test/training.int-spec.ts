import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventType } from '@storeloop/contracts';
import { mulberry32 } from '@storeloop/ml';
import { waitFor } from '@storeloop/testing';
import { ReplenishmentWorld, SECRETS, parsed, salesAndCount } from './support/world';

const DAY_MS = 86_400_000;

async function call(url: string, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, { method, headers: { 'X-Api-Key': SECRETS.admin } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Events the activity consumer counted, all types together. */
async function activityEvents(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('replenishment_activity_events_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('replenishment: retraining the learned policy from the demand history (built services, real Kafka and Redis)', () => {
  const world = new ReplenishmentWorld();
  let modelDir = '';

  beforeAll(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'repl-models-'));
  });

  afterAll(async () => {
    await world.dispose();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('trains on the active pairs, scores the run against the classical policy on held-out days and saves a versioned artifact', async () => {
    await world.setup();
    const features = await world.features();
    await features.start();
    const tag = `it-${world.suffix}`;
    const now = Date.now();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const random = mulberry32(11);
    const events = [];
    for (const [sku, mean] of [['SKU-A', 4], ['SKU-B', 9], ['SKU-C', 2]] as const) {
      for (let d = 100; d >= 1; d--) {
        const quantity = Math.max(1, Math.round(mean * (0.4 + 1.2 * random())));
        events.push(
          parsed(EventType.OrderPlaced, {
            id: `${tag}-${sku}-${d}`,
            time: new Date(today - d * DAY_MS + 3_600_000).toISOString(),
            data: { userId: `${tag}-u${d % 5}`, orderId: `${tag}-${sku}-o${d}`, store: 'S1', items: [{ sku, quantity, unitPrice: { amount: '1.00', currency: 'EUR' } }] },
          }),
        );
      }
      events.push(...salesAndCount(tag, sku, 'S1', { days: 0, unitsPerDay: 1, onHand: 5, onOrder: 0, nowMs: now }));
    }
    await world.publish(events);
    for (const sku of ['SKU-A', 'SKU-B', 'SKU-C']) await world.waitForView(sku, 'S1', (view) => view.lastCountAt !== null);

    const replenishment = await world.replenishment({
      REPLENISHMENT_RETRAIN_INTERVAL_MS: '0',
      REPLENISHMENT_TRAIN_STATES: '500',
      REPLENISHMENT_TRAIN_EPOCHS: '5',
      REPLENISHMENT_TRAIN_MIN_DAYS: '60',
      REPLENISHMENT_TRAIN_TEST_DAYS: '28',
      ARTIFACT_DIR: modelDir,
      REPLENISHMENT_HOLDING_COST: '1',
      REPLENISHMENT_PENALTY_COST: '9',
    });
    await replenishment.start();
    // The activity consumer must have seen every event before training can find the pairs.
    await waitFor(async () => (await activityEvents(replenishment.url)) >= events.length, { timeoutMs: 60_000, description: 'the activity consumer to see every event' });

    const trained = await call(replenishment.url, 'POST', '/v1/policies/train');
    expect(trained.status).toBe(200);
    console.info(`replenishment training run: ${JSON.stringify(trained.body)}`);
    expect(trained.body).toMatchObject({ version: '1', series: 3, testDays: 28, artifactUri: pathToFileURL(join(modelDir, 'replenishment-policy', 'versions', '1')).href });
    expect(['promoted', 'rejected']).toContain(trained.body.outcome);
    for (const score of [trained.body.learned, trained.body.classical] as { cost: number; fillRate: number }[]) {
      expect(score.cost).toBeGreaterThan(0);
      expect(score.fillRate).toBeGreaterThan(0);
    }
    for (const file of ['metadata.json', 'policy.json', 'weights.bin']) expect(existsSync(join(modelDir, 'replenishment-policy', 'versions', '1', file))).toBe(true);

    const again = await call(replenishment.url, 'POST', '/v1/policies/train');
    expect(again.body).toMatchObject({ version: '2' });

    const policies = await call(replenishment.url, 'GET', '/v1/policies');
    expect(policies.status).toBe(200);
    expect((policies.body.runs as { version: string }[]).map((run) => run.version)).toEqual(['2', '1']);
    const promoted = policies.body.promoted as { version: string } | null;
    if (promoted) {
      // The promoted policy acts, and the classical policy tuned in the same run stands beside it.
      expect(policies.body).toMatchObject({ acting: 'learned', learned: { policyVersion: promoted.version } });
      const decision = await call(replenishment.url, 'POST', '/v1/replenishment/SKU-A/S1/review');
      expect(decision.body).toMatchObject({ acting: 'learned', learned: { policyVersion: promoted.version } });
    } else {
      expect(policies.body).toMatchObject({ acting: 'classical', learned: null });
    }
  });
});
