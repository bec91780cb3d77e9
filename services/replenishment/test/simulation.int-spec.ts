import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventType } from '@storeloop/contracts';
import { applyEventBatch } from '@storeloop/feature-store';
import { FilesystemArtifactStore } from '@storeloop/ml';
import { ForecastBaseStockPolicy, Mlp, NeuralOrderPolicy, serializePolicy, structureFeatureCount, type ForecastBaseStockStructure } from '@storeloop/supply-chain';
import type { RestartableService } from '@storeloop/testing';
import { loadReplenishmentConfig } from '../src/config';
import { PolicyStore } from '../src/policy/policy-store';
import { replayPolicies } from '../src/policy/simulation';
import { ReplenishmentStore } from '../src/store/replenishment-store';
import { ReplenishmentWorld, SECRETS, clearOfUtcMidnight, parsed } from './support/world';

const DAY_MS = 86_400_000;
const DELTAS = [-2, -1, 0, 1, 2];
/** Lead time 2: the service's default, which the registry requires of a policy it loads. */
const structure: ForecastBaseStockStructure = { kind: 'forecast-base-stock', params: { leadTime: 2, window: 7, safetyFactor: 1 }, unitFraction: 0.5 };
/** What a run tuned differently stored: its base-stock baseline is not the promoted run's. */
const rejectedStructure: ForecastBaseStockStructure = { ...structure, params: { leadTime: 2, window: 5, safetyFactor: 0.5 } };
/** Forty days of irregular sales, oldest first, every one positive so the whole series is the pair's history. */
const DEMAND = [4, 7, 1, 3, 9, 2, 5, 6, 1, 8, 3, 4, 12, 2, 5, 1, 6, 7, 3, 2, 9, 4, 1, 5, 6, 3, 8, 2, 4, 10, 1, 3, 5, 7, 2, 6, 4, 1, 9, 3];

/** A learned policy that always adds one correction step to the base-stock order. */
function oneStepMore(version: string, tuned = structure): NeuralOrderPolicy {
  const network = new Mlp([structureFeatureCount(tuned), 4, DELTAS.length]);
  network.params[network.params.length - 1][DELTAS.indexOf(1)] = 1;
  return new NeuralOrderPolicy(tuned, network, DELTAS, version);
}

async function get(service: RestartableService, path: string, secret: string | null = SECRETS.reader): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${service.url}${path}`, { headers: secret ? { 'X-Api-Key': secret } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('replenishment: policy simulation on a pair demand history (built service, real Kafka and Redis)', () => {
  const world = new ReplenishmentWorld();
  const tag = `it-sim-${world.suffix}`;
  let modelDir = '';

  beforeAll(async () => {
    modelDir = await mkdtemp(join(tmpdir(), 'repl-sim-'));
  });

  afterAll(async () => {
    await world.dispose();
    await rm(modelDir, { recursive: true, force: true });
  });

  it('lists the pair, replays the newest trained policy (rejected, then promoted) or the version asked for on its history, and refuses bad requests', async () => {
    // The history must not gain a day (today's midnight) between seeding and the last call.
    const now = await clearOfUtcMidnight(5 * 60_000);
    await world.setup();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const events = DEMAND.map((quantity, i) =>
      parsed(EventType.OrderPlaced, {
        id: `${tag}-sale-${i}`,
        time: new Date(today - (DEMAND.length - i) * DAY_MS + 3_600_000).toISOString(),
        data: { userId: `${tag}-u${i % 5}`, orderId: `${tag}-o${i}`, store: 'S1', items: [{ sku: 'SKU-SIM', quantity, unitPrice: { amount: '1.00', currency: 'EUR' } }] },
      }),
    );
    // The feature store as the features service leaves it, and the pair active as the activity consumer marks it.
    await applyEventBatch(
      world.redis(),
      events.map((event, i) => ({ event, topic: 'events', partition: 0, offset: String(i) })),
      { offsetNamespace: 'test' },
    );
    const settings = loadReplenishmentConfig({}).replenishment;
    await new ReplenishmentStore(world.redis(), settings.REPLENISHMENT_TENANT, 30).markActive(
      new Map([['sim', { pair: { sku: 'SKU-SIM', store: 'S1' }, atMs: now, offset: 0n }]]),
      0,
    );

    const service = await world.replenishment({ REPLENISHMENT_RETRAIN_INTERVAL_MS: '0', ARTIFACT_DIR: modelDir, REPLENISHMENT_HOLDING_COST: '1', REPLENISHMENT_PENALTY_COST: '9' });
    await service.start();

    const pairs = await get(service, '/v1/replenishment/pairs?limit=10');
    expect(pairs).toEqual({ status: 200, body: { limit: 10, pairs: [{ sku: 'SKU-SIM', store: 'S1' }] } });
    expect((await get(service, '/v1/replenishment/pairs?limit=0')).body).toMatchObject({ code: 'REPLENISHMENT.INVALID_QUERY_PARAM' });

    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation', null)).toMatchObject({ status: 401 });
    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?days=6')).toMatchObject({ status: 400, body: { code: 'REPLENISHMENT.INVALID_QUERY_PARAM' } });
    expect(await get(service, '/v1/replenishment/SKU-NONE/S1/simulation')).toMatchObject({ status: 404, body: { code: 'REPLENISHMENT.UNKNOWN_PAIR' } });
    // No training run yet: there is no learned policy to replay.
    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation')).toMatchObject({ status: 503, body: { code: 'REPLENISHMENT.NO_LEARNED_POLICY' } });

    // Training runs record their artifacts as the registry does: version 1 rejected, then version 2 promoted.
    const policies = new PolicyStore(world.redis(), settings.REPLENISHMENT_TENANT, new FilesystemArtifactStore(modelDir), settings.REPLENISHMENT_MODEL_NAME);
    const window = { from: new Date(today - DEMAND.length * DAY_MS).toISOString(), to: new Date(today).toISOString(), examples: DEMAND.length, trainExamples: DEMAND.length, holdoutExamples: 0, holdoutFrom: new Date(today).toISOString() };
    const record = async (policy: NeuralOrderPolicy, outcome: 'promoted' | 'rejected') => {
      const artifactUri = await policies.writeArtifact(serializePolicy(policy), { backend: 'cpu', parentVersion: null, dataWindow: window, metrics: {}, gitRevision: null });
      const at = new Date().toISOString();
      await policies.record({ version: policy.version, outcome, startedAt: at, finishedAt: at, trainSeconds: 0, series: 1, testDays: 0, artifactUri });
    };
    const costs = { leadTime: 2, holdingRate: 1, penaltyRate: 9 };

    // Nothing promoted: the newest trained policy, marked as rejected, against the base-stock tuned in its own run.
    const rejected = oneStepMore('1', rejectedStructure);
    await record(rejected, 'rejected');
    const rejectedBaseStock = new ForecastBaseStockPolicy(rejectedStructure.params);
    const fromRejected = replayPolicies({ history: DEMAND, days: 14, costs, baseStock: rejectedBaseStock, learned: rejected, lastDayMs: today - DAY_MS });
    const rejectedAnswer = await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?days=14');
    expect(rejectedAnswer).toMatchObject({
      status: 200,
      body: {
        days: 14,
        policy: { name: rejected.name, version: '1', promoted: false, outcome: 'rejected', baseline: { name: 'forecast-base-stock', version: rejectedBaseStock.version } },
        initialOnHand: fromRejected.initialOnHand,
        series: fromRejected.series,
        totals: fromRejected.totals,
      },
    });
    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?version=2')).toMatchObject({ status: 404, body: { code: 'REPLENISHMENT.UNKNOWN_POLICY_VERSION', version: '2' } });
    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?version=v1')).toMatchObject({ status: 400, body: { code: 'REPLENISHMENT.INVALID_QUERY_PARAM' } });

    const learned = oneStepMore('2');
    await record(learned, 'promoted');

    // A promotion shows at once: the promoted pointer is read per simulation.
    const promotedAnswer = await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?days=28');
    expect(promotedAnswer.status).toBe(200);
    const simulated = promotedAnswer.body;
    const baseStock = new ForecastBaseStockPolicy(structure.params);
    const expected = replayPolicies({ history: DEMAND, days: 28, costs, baseStock, learned, lastDayMs: today - DAY_MS });
    expect(simulated).toEqual({
      sku: 'SKU-SIM',
      store: 'S1',
      days: 28,
      policy: { name: learned.name, version: '2', promoted: true, outcome: 'promoted', baseline: { name: 'forecast-base-stock', version: baseStock.version } },
      leadTimeDays: 2,
      costs: { holding: 1, penalty: 9 },
      initialOnHand: expected.initialOnHand,
      series: expected.series,
      totals: expected.totals,
    });
    const series = simulated.series as { date: string; demand: number; learned: { order: number }; baseStock: { order: number } }[];
    expect(series.map((day) => day.demand)).toEqual(DEMAND.slice(-28));
    expect(series[27].date).toBe(new Date(today - DAY_MS).toISOString().slice(0, 10));
    expect(series.some((day) => day.learned.order !== day.baseStock.order)).toBe(true);

    // Without days: 56 asked, the 40 days of history replayed; a newer rejected run does not displace the promoted one.
    await record(oneStepMore('3', rejectedStructure), 'rejected');
    expect((await get(service, '/v1/replenishment/SKU-SIM/S1/simulation')).body).toMatchObject({ days: 40, policy: { version: '2', promoted: true } });
    // The rejected run stays replayable by version, beside the promoted one.
    expect(await get(service, '/v1/replenishment/SKU-SIM/S1/simulation?days=14&version=1')).toEqual(rejectedAnswer);
  });
});
