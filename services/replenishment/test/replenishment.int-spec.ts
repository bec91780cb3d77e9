import type { ReplenishmentOrder } from '@storeloop/contracts';
import { waitFor, type RestartableService, type TopicReader } from '@storeloop/testing';
import { ReplenishmentWorld, SECRETS, clearOfUtcMidnight, salesAndCount } from './support/world';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(service: RestartableService, method: 'GET' | 'POST', path: string, secret?: string): Promise<Answer> {
  const response = await fetch(`${service.url}${path}`, { method, headers: secret ? { 'X-Api-Key': secret } : {} });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function ordersOn(reader: TopicReader): { key: string; order: ReplenishmentOrder }[] {
  return reader.messages.map(({ message }) => ({ key: message.key?.toString() ?? '', order: JSON.parse(message.value?.toString() ?? '{}') as ReplenishmentOrder }));
}

/** Completed review runs the process reports on /metrics. */
async function completedReviews(service: RestartableService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('replenishment_reviews_total{') && l.includes('outcome="completed"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('replenishment: events in, orders out (built services, real Kafka and Redis)', () => {
  const world = new ReplenishmentWorld();
  const tag = `it-${world.suffix}`;
  /** The test runs within one review period (UTC day): far enough from midnight for the whole first test. */
  const MIDNIGHT_MARGIN_MS = 10 * 60_000;
  let now: number;
  let today: string;

  beforeAll(async () => {
    now = await clearOfUtcMidnight(MIDNIGHT_MARGIN_MS);
    today = new Date(now).toISOString().slice(0, 10);
  }, MIDNIGHT_MARGIN_MS + 60_000);

  afterAll(async () => {
    await world.dispose();
  });

  it('orders up to the base-stock level once per period, through restarts and on-demand reviews, and serves the decision', async () => {
    await world.setup();
    const features = await world.features();
    await features.start();
    const orders = await world.ordersReader();

    // Five units a day for 30 days; 4 on hand, nothing on order. With a constant
    // history the forecast is 5 a day, sd 0: level 5 x (L + 1) = 15, order 11.
    const low = salesAndCount(tag, 'SKU-LOW', 'S1', { days: 30, unitsPerDay: 5, onHand: 4, onOrder: 0, nowMs: now });
    // Plenty on hand: the decision is zero and nothing is published.
    const full = salesAndCount(tag, 'SKU-FULL', 'S1', { days: 30, unitsPerDay: 5, onHand: 100, onOrder: 0, nowMs: now });
    await world.publish([...low, ...full]);
    await world.waitForView('SKU-LOW', 'S1', (view) => view.lastCountAt !== null && view.dailyUnitsSold.reduce((a, b) => a + b, 0) === 150);
    await world.waitForView('SKU-FULL', 'S1', (view) => view.lastCountAt !== null && view.onHand === 100);

    const replenishment = await world.replenishment({ REPLENISHMENT_REVIEW_INTERVAL_MS: '500', REPLENISHMENT_RETRAIN_INTERVAL_MS: '0' });
    await replenishment.start();

    await orders.waitForCount(1, { timeoutMs: 60_000 });
    const [first] = ordersOn(orders);
    expect(first.key).toBe('SKU-LOW:S1');
    expect(first.order).toMatchObject({
      sku: 'SKU-LOW',
      store: 'S1',
      quantity: 11,
      policy: 'forecast-base-stock',
      forPeriod: today,
      baseline: { policy: 'forecast-base-stock', quantity: 11 },
    });
    expect(first.order.orderId).toMatch(/^ro-[0-9a-f]{32}$/);
    // Later answers are compared with the period the service ordered for.
    const period = first.order.forPeriod;

    const served = await call(replenishment, 'GET', '/v1/replenishment/SKU-LOW/S1', SECRETS.reader);
    expect(served.status).toBe(200);
    expect(served.body).toMatchObject({
      sku: 'SKU-LOW',
      store: 'S1',
      period,
      acting: 'classical',
      quantity: 11,
      learned: null,
      classical: { policy: 'forecast-base-stock', quantity: 11 },
      state: { onHand: 4, onOrder: 0, pipeline: [0], inventoryPosition: 4 },
      forecast: { mean: 5, std: 0, historyDays: 30 },
      order: { orderId: first.order.orderId, quantity: 11, state: 'published' },
    });

    const zero = await waitFor(
      async () => {
        const answer = await call(replenishment, 'GET', '/v1/replenishment/SKU-FULL/S1', SECRETS.reader);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 30_000, description: 'a decision for SKU-FULL' },
    );
    expect(zero.body).toMatchObject({ quantity: 0, order: null, classical: { quantity: 0 } });

    // A crash and a restart, then more reviews of the same period: no second order.
    expect((await replenishment.kill()).signal).toBe('SIGKILL');
    await replenishment.start();
    const before = await completedReviews(replenishment);
    await waitFor(async () => (await completedReviews(replenishment)) >= before + 3, { timeoutMs: 60_000, description: 'three reviews after the restart' });
    const again = await call(replenishment, 'POST', '/v1/replenishment/SKU-LOW/S1/review', SECRETS.admin);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ quantity: 11, order: { orderId: first.order.orderId, state: 'published' } });

    // An on-demand review of a new pair orders at once.
    const fresh = salesAndCount(tag, 'SKU-NEW', 'S2', { days: 10, unitsPerDay: 3, onHand: 2, onOrder: 1, nowMs: now });
    await world.publish(fresh);
    await world.waitForView('SKU-NEW', 'S2', (view) => view.lastCountAt !== null && view.dailyUnitsSold.reduce((a, b) => a + b, 0) === 30);
    const onDemand = await call(replenishment, 'POST', '/v1/replenishment/SKU-NEW/S2/review', SECRETS.admin);
    expect(onDemand.status).toBe(200);
    // Forecast 3 a day: level 9; position 2 on hand + 1 on order; order 6.
    expect(onDemand.body).toMatchObject({ quantity: 6, state: { inventoryPosition: 3 }, order: { quantity: 6, state: 'published' } });
    await orders.waitForCount(2, { timeoutMs: 30_000 });
    await waitFor(async () => (await completedReviews(replenishment)) >= before + 6, { timeoutMs: 60_000, description: 'three more reviews' });

    expect(ordersOn(orders).map(({ order }) => [order.sku, order.store, order.quantity, order.forPeriod])).toEqual([
      ['SKU-LOW', 'S1', 11, period],
      ['SKU-NEW', 'S2', 6, period],
    ]);
  });

  it('answers bad path parameters, missing keys and unknown pairs with stable codes', async () => {
    const replenishment = await world.replenishment({ REPLENISHMENT_RETRAIN_INTERVAL_MS: '0' });
    await replenishment.start();
    const blank = await call(replenishment, 'GET', '/v1/replenishment/%20/S1', SECRETS.reader);
    expect(blank).toMatchObject({ status: 400, body: { code: 'REPLENISHMENT.INVALID_PATH_PARAM' } });
    const long = await call(replenishment, 'POST', `/v1/replenishment/SKU-1/${'s'.repeat(300)}/review`, SECRETS.admin);
    expect(long).toMatchObject({ status: 400, body: { code: 'REPLENISHMENT.INVALID_PATH_PARAM' } });
    expect(await call(replenishment, 'GET', '/v1/replenishment/SKU-1/S1')).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_MISSING' } });
    expect(await call(replenishment, 'POST', '/v1/replenishment/SKU-1/S1/review', SECRETS.reader)).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    expect(await call(replenishment, 'GET', '/v1/replenishment/NO-SUCH/S1', SECRETS.reader)).toMatchObject({ status: 404, body: { code: 'REPLENISHMENT.NO_DECISION' } });
    expect(await call(replenishment, 'POST', '/v1/replenishment/NO-SUCH/S1/review', SECRETS.admin)).toMatchObject({ status: 404, body: { code: 'REPLENISHMENT.UNKNOWN_PAIR' } });

    const policies = await call(replenishment, 'GET', '/v1/policies', SECRETS.reader);
    expect(policies).toMatchObject({ status: 200, body: { acting: 'classical', learned: null, classical: { policy: 'forecast-base-stock' }, forecastWindowDays: 28 } });
    const docs = await (await fetch(`${replenishment.url}/docs/openapi.json`)).json();
    expect(Object.keys((docs as { paths: Record<string, unknown> }).paths)).toEqual(
      expect.arrayContaining(['/v1/replenishment/{sku}/{store}', '/v1/replenishment/{sku}/{store}/review', '/v1/policies']),
    );
  });
});
