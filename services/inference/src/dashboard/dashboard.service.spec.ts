import { HttpProblem } from '@storeloop/platform';
import { createLogger } from '@storeloop/observability';
import { Registry } from 'prom-client';
import type { OnlineModelMetrics } from '../feedback/online-metrics';
import type { Recommendation, RecommendRequest } from '../recommend/engine';
import { dashboardConfigSchema } from './dashboard-settings';
import { DashboardService, WATCH_IDLE_MS, type DashboardDeps } from './dashboard.service';

const KEY = 'dashboard-key';
const TARGETS = 'ingestion=http://ingestion.test,training=http://training.test,replenishment=http://replenishment.test';

type Route = (init: RequestInit | undefined) => Response | Promise<Response>;
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const status = {
  modelName: 'ranker',
  champion: { version: 'v2', createdAt: '2026-11-28T10:00:00.000Z', loadedAt: 'x', metrics: { auc: 0.7, logLoss: 0.5 }, items: 10, scorer: true },
  challenger: { version: 'v3', createdAt: '2026-11-28T11:00:00.000Z', loadedAt: 'x', metrics: { auc: 0.72, logLoss: 0.48 }, items: 10, scorer: true },
  challengerShare: 0.2,
  challengerSetting: 'latest',
  lastEvent: null,
  failedVersions: {},
};

const onlineRow = (version: string, impressions: number, clicks: number): OnlineModelMetrics =>
  ({ modelName: 'ranker', version, impressions, itemsShown: impressions * 5, clicks, purchases: 1, users: impressions, ctr: clicks / impressions, conversion: 1 / impressions }) as OnlineModelMetrics;

function world(options: { env?: Record<string, string>; routes?: Record<string, Route>; noKey?: boolean } = {}) {
  let now = 1_000_000;
  const calls: { url: string; init?: RequestInit }[] = [];
  const routes = options.routes ?? {};
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    const route = routes[url];
    if (!route) throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    return route(init);
  }) as typeof globalThis.fetch;
  const requests: RecommendRequest[] = [];
  const answer: Recommendation = { recommendationId: 'r1', tenant: 'default', userId: 'u1', surface: 'dashboard-preview', modelName: 'ranker', modelVersion: 'v2', arm: 'champion', coldStart: false, degraded: false, items: [{ sku: 's1', score: 0.9, position: 1, reason: 'bought together with s0', source: 'co-purchased' }] };
  const metrics = new Registry();
  const deps: DashboardDeps = {
    settings: dashboardConfigSchema.parse({ DASHBOARD_TARGETS: TARGETS, ...(options.noKey ? {} : { DASHBOARD_API_KEY: KEY }), DASHBOARD_SCRAPE_INTERVAL_MS: '60000', ...options.env }),
    inference: { INFERENCE_TENANTS: ['default', 'other'], INFERENCE_DEFAULT_K: 10, INFERENCE_MAX_K: 50 },
    registry: { status: () => status },
    online: { snapshot: async () => [onlineRow('v2', 100, 10), onlineRow('popularity', 40, 2)] },
    engine: {
      recommend: async (request: RecommendRequest) => {
        requests.push(request);
        return answer;
      },
    },
    logger: createLogger('dashboard-spec', 'silent'),
    metrics,
    fetch,
    now: () => now,
  };
  const service = new DashboardService(deps);
  return { service, calls, requests, metrics, advance: (ms: number) => (now += ms) };
}

async function problem(promise: Promise<unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpProblem)) throw new Error(`expected an HttpProblem, got ${String(error)}`);
  return { status: error.getStatus(), body: error.getResponse() as Record<string, unknown> };
}

describe('DashboardService', () => {
  const services: DashboardService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });
  const track = <T extends { service: DashboardService }>(w: T): T => {
    services.push(w.service);
    return w;
  };

  describe('scraping', () => {
    const metricsText = (accepted: number) => `# TYPE ingest_events_total counter\ningest_events_total{outcome="accepted"} ${accepted}\nkafka_consumer_lag{group="g",topic="t",partition="0"} 3\n`;

    it('scrapes nothing until a page polls, and stops once nobody has for a minute', async () => {
      let accepted = 0;
      const w = track(world({ routes: { 'http://ingestion.test/metrics': () => new Response(metricsText((accepted += 10))) } }));
      await w.service.tick();
      expect(w.calls).toHaveLength(0);

      w.service.watch();
      await w.service.tick();
      w.advance(2_000);
      await w.service.tick();
      const scraped = w.calls.filter((c) => c.url === 'http://ingestion.test/metrics').length;
      expect(scraped).toBe(2);
      expect(w.service.series().events).toEqual([{ name: 'ingestion · events accepted', target: 'ingestion', points: [[1_002_000, 5]] }]);
      expect(w.service.series().lag).toEqual([{ name: 'ingestion · g', target: 'ingestion', points: [[1_000_000, 3], [1_002_000, 3]] }]);

      w.advance(WATCH_IDLE_MS);
      await w.service.tick();
      expect(w.calls.filter((c) => c.url === 'http://ingestion.test/metrics')).toHaveLength(scraped);
      expect(w.service.watching).toBe(false);
    });

    it('counts failed scrapes per target and shows why the target is down', async () => {
      const w = track(world({ routes: { 'http://ingestion.test/metrics': () => new Response('<html>proxy error</html>'), 'http://training.test/metrics': () => new Response('', { status: 500 }) } }));
      w.service.watch();
      await w.service.tick();

      const targets = Object.fromEntries(w.service.series().targets.map((t) => [t.name, t]));
      expect(targets.ingestion).toMatchObject({ up: false, error: 'the answer holds no Prometheus sample' });
      expect(targets.training).toMatchObject({ up: false, error: 'status 500' });
      expect(targets.replenishment).toMatchObject({ up: false, error: 'fetch failed (ECONNREFUSED)' });
      const failed = (await w.metrics.getSingleMetric('dashboard_scrapes_total')!.get()).values.filter((v) => v.labels.outcome === 'failed');
      expect(failed.map((v) => [v.labels.target, v.value]).sort()).toEqual([['ingestion', 1], ['replenishment', 1], ['training', 1]]);
    });
  });

  describe('models', () => {
    const versions = {
      modelName: 'ranker',
      versions: [
        { version: 'v3', createdAt: 'c3', champion: false, metrics: { auc: 0.72, logLoss: 0.48, examples: 400 }, details: { training: { curve: [{ epoch: 1, loss: 0.7, validationLoss: 0.69 }, { epoch: 2, loss: 0.6, validationLoss: 0.62 }] } } },
        { version: 'v2', createdAt: 'c2', champion: true, metrics: { auc: 0.7, logLoss: 0.5, note: 'text' }, details: { training: { epochs: 3 } } },
      ],
    };

    it("joins the training service's versions (offline metrics, curves) with the arms served here and the online figures", async () => {
      const w = track(world({ routes: { 'http://training.test/v1/models/ranker/versions': (init) => ((init?.headers as Record<string, string>)['X-Api-Key'] === KEY ? json(200, versions) : json(401, {})) } }));
      const models = await w.service.models();

      expect(models.training).toBeNull();
      expect(models.versions).toEqual([
        { version: 'v3', createdAt: 'c3', champion: false, serving: 'challenger', offline: { auc: 0.72, logLoss: 0.48, examples: 400 }, online: null, curve: versions.versions[0].details.training.curve },
        { version: 'v2', createdAt: 'c2', champion: true, serving: 'champion', offline: { auc: 0.7, logLoss: 0.5 }, online: { impressions: 100, clicks: 10, purchases: 1, ctr: 0.1, conversion: 0.01 }, curve: null },
        { version: 'popularity', createdAt: null, champion: false, serving: null, offline: null, online: { impressions: 40, clicks: 2, purchases: 1, ctr: 0.05, conversion: 0.025 }, curve: null },
      ]);
    });

    it('asks the training service at most once per scrape interval however many pages poll', async () => {
      const w = track(world({ routes: { 'http://training.test/v1/models/ranker/versions': () => json(200, versions) } }));
      await Promise.all([w.service.models(), w.service.models()]);
      w.advance(59_999);
      await w.service.models();
      w.advance(1);
      await w.service.models();
      expect(w.calls.filter((c) => c.url.includes('/versions'))).toHaveLength(2);
    });

    it('falls back to the versions served here, saying why, when training cannot be asked', async () => {
      const down = await track(world()).service.models();
      expect(down.training).toEqual({ code: 'DASHBOARD.TARGET_UNAVAILABLE', message: 'training did not answer: fetch failed (ECONNREFUSED)', target: 'training' });
      expect(down.versions.map((v) => [v.version, v.serving, v.offline?.auc ?? null])).toEqual([
        ['v2', 'champion', 0.7],
        ['v3', 'challenger', 0.72],
        ['popularity', null, null],
      ]);

      const keyless = track(world({ noKey: true, routes: { 'http://training.test/v1/models/ranker/versions': () => json(200, versions) } }));
      expect((await keyless.service.models()).training).toMatchObject({ code: 'DASHBOARD.API_KEY_UNSET', target: 'training' });
      expect(keyless.calls).toEqual([]);
    });
  });

  describe('preview', () => {
    it('asks the engine for the list with a surface of its own and says no impression was logged', async () => {
      const w = track(world());
      const answer = await w.service.preview({ user: 'u1', k: '5', store: 'st1', tenant: 'other' });
      expect(w.requests).toEqual([{ tenant: 'other', userId: 'u1', k: 5, store: 'st1', surface: 'dashboard-preview' }]);
      expect(answer).toMatchObject({ impressionLogged: false, items: [{ sku: 's1', reason: 'bought together with s0', source: 'co-purchased' }] });
      await w.service.preview({ user: 'u1' });
      expect(w.requests[1]).toEqual({ tenant: 'default', userId: 'u1', k: 10, store: undefined, surface: 'dashboard-preview' });
    });

    it.each([
      [{}, /user is required/],
      [{ user: ' u1' }, /user is required/],
      [{ user: 'u1', k: '0' }, /k must be a whole number from 1 to 50/],
      [{ user: 'u1', k: '51' }, /k must be/],
      [{ user: 'u1', k: '2.5' }, /k must be/],
      [{ user: 'u1', tenant: 'nope' }, /tenant "nope" is not served here/],
    ])('answers 400 DASHBOARD.PARAM_INVALID to %j', async (query, message) => {
      const w = track(world());
      const { status: code, body } = await problem(w.service.preview(query));
      expect(code).toBe(400);
      expect(body).toMatchObject({ code: 'DASHBOARD.PARAM_INVALID', message: expect.stringMatching(message) });
      expect(w.requests).toEqual([]);
    });
  });

  describe('replenishment', () => {
    const simulation = {
      sku: 'sku 1',
      store: 'st1',
      days: 2,
      // A rejected run's policy, as the service replays one when none is promoted: the marks reach the page.
      policy: { name: 'neural-order', version: '3', promoted: false, outcome: 'rejected', baseline: { name: 'forecast-base-stock', version: 'w7' } },
      series: [
        { day: 1, demand: 3, learned: { onHand: 10, order: 0 }, baseStock: { onHand: 9, order: 4 } },
        { day: 2, date: '2026-11-02', demand: 2, learned: { onHand: 8, order: 5 }, baseStock: { onHand: 7, order: 2 } },
      ],
      totals: { learned: { cost: 12.5, fillRate: 1 }, baseStock: { cost: 14, fillRate: 0.95 } },
    };
    const url = 'http://replenishment.test/v1/replenishment/sku%201/st1/simulation?days=7';

    it('proxies the simulation of the SKU x store with the dashboard key', async () => {
      const w = track(world({ routes: { [url]: () => json(200, simulation) } }));
      expect(await w.service.replenishment({ sku: 'sku 1', store: 'st1', days: '7' })).toEqual(simulation);
      expect(w.calls[0].init?.headers).toMatchObject({ 'X-Api-Key': KEY });
    });

    it('lists the pairs the replenishment service reviews', async () => {
      const w = track(world({ routes: { 'http://replenishment.test/v1/replenishment/pairs?limit=200': () => json(200, { limit: 200, pairs: [{ sku: 'a', store: 'b', extra: 1 }] }) } }));
      expect(await w.service.replenishmentPairs()).toEqual({ pairs: [{ sku: 'a', store: 'b' }] });
      const odd = track(world({ routes: { 'http://replenishment.test/v1/replenishment/pairs?limit=200': () => json(200, { items: [] }) } }));
      expect(await problem(odd.service.replenishmentPairs())).toMatchObject({ status: 502, body: { code: 'DASHBOARD.TARGET_UNAVAILABLE', target: 'replenishment' } });
    });

    it.each([
      ['a refusal of the target (unknown pair) as its status with the target and its code', () => json(404, { code: 'REPLENISHMENT.UNKNOWN_PAIR', message: 'no such pair' }), 404, { code: 'DASHBOARD.TARGET_REFUSED', target: 'replenishment', targetStatus: 404, targetCode: 'REPLENISHMENT.UNKNOWN_PAIR' }],
      ['a key the target refuses as 502 TARGET_REFUSED (a server-side setting, not the browser key)', () => json(403, { code: 'AUTH.SCOPE_MISSING', message: 'lacks admin' }), 502, { code: 'DASHBOARD.TARGET_REFUSED', target: 'replenishment', targetStatus: 403, targetCode: 'AUTH.SCOPE_MISSING' }],
      ['an answer of another shape as 502', () => json(200, { ...simulation, totals: undefined }), 502, { code: 'DASHBOARD.TARGET_UNAVAILABLE', target: 'replenishment' }],
      ['a policy marked in another way as 502', () => json(200, { ...simulation, policy: { version: '3', promoted: 'no' } }), 502, { code: 'DASHBOARD.TARGET_UNAVAILABLE', target: 'replenishment' }],
      ['a body that is not JSON as 502', () => new Response('<html/>', { status: 200 }), 502, { code: 'DASHBOARD.TARGET_UNAVAILABLE', target: 'replenishment' }],
    ])('answers %s', async (_what, route, code, body) => {
      const w = track(world({ routes: { [url]: route } }));
      const answer = await problem(w.service.replenishment({ sku: 'sku 1', store: 'st1', days: '7' }));
      expect(answer.status).toBe(code);
      expect(answer.body).toMatchObject(body);
    });

    it('answers 503 naming the target when it is down, not configured, or no key is set', async () => {
      expect(await problem(track(world()).service.replenishment({ sku: 'a', store: 'b' }))).toMatchObject({ status: 503, body: { code: 'DASHBOARD.TARGET_UNAVAILABLE', target: 'replenishment' } });
      expect(await problem(track(world({ env: { DASHBOARD_TARGETS: 'ingestion=http://i' } })).service.replenishment({ sku: 'a', store: 'b' }))).toMatchObject({
        status: 503,
        body: { code: 'DASHBOARD.TARGET_NOT_CONFIGURED', target: 'replenishment' },
      });
    });

    it('refuses days outside 7..365 and missing ids before asking anyone', async () => {
      const w = track(world());
      expect(await problem(w.service.replenishment({ sku: 'a', store: 'b', days: '366' }))).toMatchObject({ status: 400, body: { code: 'DASHBOARD.PARAM_INVALID' } });
      expect(await problem(w.service.replenishment({ sku: 'a', store: 'b', days: '6' }))).toMatchObject({ status: 400, body: { code: 'DASHBOARD.PARAM_INVALID', message: expect.stringMatching(/from 7 to 365/) } });
      expect(await problem(w.service.replenishment({ sku: 'a' }))).toMatchObject({ status: 400, body: { code: 'DASHBOARD.PARAM_INVALID', message: expect.stringMatching(/^store is required/) } });
      expect(w.calls).toEqual([]);
    });
  });
});
