import { performance } from 'node:perf_hooks';
import { TOPICS } from '@storeloop/contracts';
import { waitFor, type RestartableService, type TopicReader } from '@storeloop/testing';
import type { Recommendation } from '../src/recommend/engine';
import { OwnRedisServer } from './support/redis-server';
import { SECRETS, ServingWorld, call } from './support/serving-fixture';
import { STORE } from './support/shop';

type Route = 'recommendations' | 'recommendations-store' | 'batch' | 'similar-user' | 'similar' | 'propensity' | 'segment';
const ROUTES: Route[] = ['recommendations', 'similar-user', 'batch', 'propensity', 'recommendations-store', 'segment', 'similar'];
/** Routes that answer lists (degraded from memory when Redis is away); the others answer 503 then. */
const LIST_ROUTES = new Set<Route>(['recommendations', 'recommendations-store', 'batch', 'similar-user', 'similar']);

interface Sample {
  route: Route;
  startedAt: number;
  endedAt: number;
  /** 0 when no HTTP answer came (connection refused or reset). */
  status: number;
  degradedHeader: string | null;
  retryAfter: string | null;
  body: Record<string, unknown>;
  error?: string;
}

/** The lists of an answer (one, or a batch's results). */
const listsOf = (sample: Sample): Recommendation[] => (sample.route === 'batch' ? ((sample.body.results as Recommendation[] | undefined) ?? []) : [sample.body as unknown as Recommendation]);

/** Open-loop load: one request every `everyMs` across the routes, not waiting for answers (a slow answer does not slow the load). */
class MixedLoad {
  readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private next = 0;

  constructor(
    private readonly url: string,
    private readonly users: readonly string[],
    private readonly skus: readonly string[],
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const n = this.next++;
      const request = this.fire(ROUTES[n % ROUTES.length], n).finally(() => this.inFlight.delete(request));
      this.inFlight.add(request);
    }, this.everyMs);
  }

  async stop(): Promise<Sample[]> {
    clearInterval(this.timer);
    await Promise.all([...this.inFlight]);
    return this.samples;
  }

  private async fire(route: Route, n: number): Promise<void> {
    const user = this.users[n % this.users.length];
    const sku = this.skus[n % this.skus.length];
    const [method, path, body] = ((): [string, string, unknown?] => {
      switch (route) {
        case 'recommendations':
          return ['GET', `/v1/users/${user}/recommendations?k=5&context=home`];
        case 'recommendations-store':
          return ['GET', `/v1/users/${user}/recommendations?k=5&store=${STORE}&context=store`];
        case 'batch':
          return ['POST', '/v1/recommendations:batch', { k: 3, requests: [{ userId: user }, { userId: this.users[(n + 1) % this.users.length] }] }];
        case 'similar-user':
          return ['GET', `/v1/items/${sku}/similar?k=4&userId=${user}&context=pdp`];
        case 'similar':
          return ['GET', `/v1/items/${sku}/similar?k=4`];
        case 'propensity':
          return ['POST', '/v1/propensity', { users: [user] }];
        case 'segment':
          return ['GET', `/v1/users/${user}/segment`];
      }
    })();
    const startedAt = performance.now();
    try {
      const response = await fetch(`${this.url}${path}`, {
        method,
        headers: { 'X-Api-Key': SECRETS.infer, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      this.samples.push({
        route,
        startedAt,
        endedAt: performance.now(),
        status: response.status,
        degradedHeader: response.headers.get('storeloop-degraded'),
        retryAfter: response.headers.get('retry-after'),
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
    } catch (error) {
      this.samples.push({ route, startedAt, endedAt: performance.now(), status: 0, degradedHeader: null, retryAfter: null, body: {}, error: (error as Error).message });
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function latency(samples: readonly Sample[]): { n: number; medianMs: number; p99Ms: number; maxMs: number } {
  const ms = samples.map((s) => s.endedAt - s.startedAt).sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0);
  return { n: ms.length, medianMs: at(0.5), p99Ms: at(0.99), maxMs: Math.round(ms[ms.length - 1] ?? 0) };
}

/**
 * Redis (the feature store) goes away under load, twice: stopped with
 * SIGSTOP (connections open, nothing answers: every read would wait for
 * ioredis's command timeout) and killed (connections refused: ioredis
 * reconnects and queues). Throughout, lists are answered 200 from memory,
 * marked degraded (body, header, impression), propensity and segment answer
 * the documented 503 with Retry-After, nothing else is 5xx, and answers stay
 * fast; when Redis is back (same port, same data) answers are normal again
 * without a restart. Its own redis-server; Kafka is the shared one.
 */
describe('inference: degraded answers through a Redis outage (built service, its own redis-server, shared Kafka)', () => {
  let redis: OwnRedisServer;
  let world: ServingWorld;
  let service: RestartableService;
  let feedback: TopicReader;
  let version: string;

  beforeAll(async () => {
    redis = await OwnRedisServer.create();
    await redis.start();
    world = new ServingWorld({ redisUrl: redis.url });
    version = `v1-${world.suffix}`;
    await world.setup();
    await world.storeVersion(await world.build(version, 1));
    await world.pointChampion(version);
    // REDIS_COMMAND_TIMEOUT_MS stays at its 5 s default: the deadline, not ioredis, must bound the answers.
    // 500 ms rather than the 200 ms default: test boxes shared with Kafka clusters and other suites starve Redis itself.
    service = await world.startInference({ INFERENCE_REDIS_DEADLINE_MS: '500', INFERENCE_REDIS_RETRY_MS: '500', INFERENCE_CATALOG_REFRESH_MS: '1000' });
    feedback = await world.reader(TOPICS.feedback.name);
  }, 240_000);

  afterAll(async () => {
    await world?.dispose();
    await redis?.dispose();
  }, 120_000);

  it('answers lists degraded (200) and propensity/segment 503 while Redis is stopped or killed, and normally once it is back', async () => {
    const users = world.shop.shoppers.map((s) => s.userId);
    const skus = world.shop.items.map((item) => item.sku);
    const normal = async () => {
      const answer = await call<Recommendation>(service.url, 'GET', `/v1/users/${users[0]}/recommendations?k=5`, { secret: SECRETS.infer });
      return answer.status === 200 && answer.body.modelVersion === version && answer.body.degraded === false;
    };
    await waitFor(normal, { timeoutMs: 60_000, description: `the service serving ${version}` });

    const load = new MixedLoad(service.url, users, skus, 20); // 5 requests per 100 ms
    const outages: { kind: 'sigstop' | 'kill'; from: number; to: number; recovered: number }[] = [];
    const midOutage: { ready: number; live: number; readyBody: Record<string, unknown> }[] = [];
    const probeHealth = async () => {
      const ready = await fetch(`${service.url}/health/ready`);
      const live = await fetch(`${service.url}/health/live`);
      midOutage.push({ ready: ready.status, live: live.status, readyBody: (await ready.json()) as Record<string, unknown> });
    };
    const recover = async (kind: string) =>
      waitFor(normal, { timeoutMs: 60_000, intervalMs: 100, description: `normal answers after the ${kind} outage` }).then(() => performance.now());

    load.start();
    try {
      await sleep(1_000);

      // 1. SIGSTOP: Redis holds its connections and answers nothing.
      let from = performance.now();
      redis.pause();
      await sleep(2_000);
      await probeHealth();
      await sleep(2_000);
      let to = performance.now();
      redis.resume();
      outages.push({ kind: 'sigstop', from, to, recovered: await recover('sigstop') });
      await sleep(2_000);

      // 2. SIGKILL: connections reset, new ones refused; then a new redis-server on the same port with the same data.
      await redis.save();
      from = performance.now();
      await redis.kill();
      await sleep(2_000);
      await probeHealth();
      await sleep(2_000);
      to = performance.now();
      await redis.start();
      outages.push({ kind: 'kill', from, to, recovered: await recover('kill') });
      await sleep(2_000);
    } finally {
      await load.stop();
    }
    const samples = load.samples;
    const last = performance.now();

    // No request without an answer; nothing 5xx but the documented 503 of the routes that need the store.
    expect(samples.filter((s) => s.status === 0)).toEqual([]);
    const serverErrors = samples.filter((s) => s.status >= 500);
    const undocumented = serverErrors.filter(
      (s) => !(s.status === 503 && (s.route === 'propensity' || s.route === 'segment') && s.body.code === 'INFERENCE.FEATURE_STORE_UNAVAILABLE' && Number(s.retryAfter) >= 1),
    );
    expect(undocumented.map((s) => ({ route: s.route, status: s.status, body: s.body }))).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 503).map((s) => ({ route: s.route, status: s.status, body: s.body }))).toEqual([]);
    // The process never died.
    expect(service.exits).toEqual([]);

    // Health during each outage: alive, and still in rotation (answers degraded), Redis reported down.
    expect(midOutage.map((h) => [h.live, h.ready])).toEqual([
      [200, 200],
      [200, 200],
    ]);
    for (const health of midOutage) expect(health.readyBody).toMatchObject({ details: { redis: { status: 'up', reachable: false, degraded: true, gatesReadiness: false } } });

    for (const outage of outages) {
      // Requests sent well inside the outage (the first few ms may still reach Redis).
      const during = samples.filter((s) => s.startedAt > outage.from + 300 && s.endedAt < outage.to);
      const lists = during.filter((s) => LIST_ROUTES.has(s.route));
      const personal = lists.filter((s) => s.route === 'recommendations' || s.route === 'batch' || s.route === 'recommendations-store');
      expect(personal.length).toBeGreaterThan(20);
      for (const sample of personal) {
        expect({ route: sample.route, status: sample.status, header: sample.degradedHeader }).toEqual({ route: sample.route, status: 200, header: 'feature-store-unavailable' });
        for (const list of listsOf(sample)) {
          expect(list).toMatchObject({ degraded: true, degradedReason: 'FEATURE_STORE_UNAVAILABLE', modelVersion: 'popularity', coldStart: true });
        }
      }
      // Without store, the popularity list from memory is not empty.
      for (const sample of during.filter((s) => s.route === 'recommendations')) expect((sample.body.items as unknown[]).length).toBe(5);
      // Similar items with a user skip the purchase filter (degraded); without user or store they need no Redis at all.
      for (const sample of lists.filter((s) => s.route === 'similar-user')) expect(sample).toMatchObject({ status: 200, degradedHeader: 'feature-store-unavailable', body: { degraded: true } });
      for (const sample of lists.filter((s) => s.route === 'similar')) expect(sample).toMatchObject({ status: 200, degradedHeader: null, body: { degraded: false } });
      // Propensity and segment: the documented 503.
      const refused = during.filter((s) => s.route === 'propensity' || s.route === 'segment');
      expect(refused.length).toBeGreaterThan(3);
      for (const sample of refused) expect(sample).toMatchObject({ status: 503, body: { code: 'INFERENCE.FEATURE_STORE_UNAVAILABLE' } });
      // Within about the normal budget: the deadline, not ioredis's 5 s command timeout.
      const figures = latency(during);
      console.info(`redis outage (${outage.kind}, ${Math.round(outage.to - outage.from)} ms): ${figures.n} requests, median ${figures.medianMs} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms; recovered ${Math.round(outage.recovered - outage.to)} ms after Redis returned`);
      const slowest = [...during].sort((a, b) => b.endedAt - b.startedAt - (a.endedAt - a.startedAt)).slice(0, 5);
      console.info(`slowest (${outage.kind}): ${slowest.map((s) => `${s.route} ${s.status} sent +${Math.round(s.startedAt - outage.from)} ms took ${Math.round(s.endedAt - s.startedAt)} ms`).join('; ')}`);
      // Unbounded, each would wait REDIS_COMMAND_TIMEOUT_MS (5 s) in the rate limiter and again in the engine, then 500.
      // (A 2-core box shared with Kafka clusters has shown single answers of ~1.4 s even when Redis was skipped.)
      expect(figures.medianMs).toBeLessThan(500);
      expect(figures.maxMs).toBeLessThan(4_000);

      // Back to normal, without a restart: answers after recovery are not degraded. A read that misses the
      // deadline on a starved test box degrades the answers of one INFERENCE_REDIS_RETRY_MS (that is the
      // contract), so a short burst is tolerated; the last answers before the next phase must all be normal.
      const next = outages[outages.indexOf(outage) + 1];
      const end = next?.from ?? last;
      const after = samples.filter((s) => s.startedAt > outage.recovered + 200 && s.endedAt < end);
      expect(after.length).toBeGreaterThan(10);
      const stillDegraded = after.filter((s) => s.status !== 200 || s.degradedHeader !== null);
      if (stillDegraded.length > 0) {
        console.error(
          `${outage.kind}: degraded after recovery`,
          stillDegraded.map((s) => ({ route: s.route, status: s.status, afterReturnMs: Math.round(s.startedAt - outage.to), afterRecoveredMs: Math.round(s.startedAt - outage.recovered), tookMs: Math.round(s.endedAt - s.startedAt) })),
          service.output().split('\n').filter((line) => /feature.store|redis/i.test(line)).slice(-20).join('\n'),
        );
      }
      expect(stillDegraded.length).toBeLessThanOrEqual(Math.ceil(after.length * 0.1));
      const settled = [...after].sort((a, b) => a.startedAt - b.startedAt).slice(-10);
      for (const sample of settled) {
        expect({ route: sample.route, status: sample.status, header: sample.degradedHeader }).toEqual({ route: sample.route, status: 200, header: null });
        if (LIST_ROUTES.has(sample.route)) for (const list of listsOf(sample)) expect(list.degraded).toBe(false);
      }
      expect(after.some((s) => s.route === 'recommendations' && (s.body as unknown as Recommendation).modelVersion === version)).toBe(true);
    }

    // Every degraded list shown to a user arrives on retail.feedback.v1 as an impression marked degraded.
    const degradedIds = new Set(
      samples
        .filter((s) => s.status === 200 && s.route !== 'similar')
        .flatMap(listsOf)
        .filter((list) => list.degraded)
        .map((list) => list.recommendationId),
    );
    expect(degradedIds.size).toBeGreaterThan(40);
    const impressions = () => {
      const byId = new Map<string, { degraded?: boolean; modelVersion: string }>();
      for (const { message } of feedback.messages) {
        const event = JSON.parse(String(message.value)) as { id: string; type: string; data: { degraded?: boolean; modelVersion: string } };
        byId.set(event.id, event.data);
      }
      return byId;
    };
    await waitFor(() => [...degradedIds].every((id) => impressions().has(id)), { timeoutMs: 60_000, intervalMs: 250, description: `${degradedIds.size} degraded impressions on retail.feedback.v1` });
    const seen = impressions();
    for (const id of degradedIds) expect(seen.get(id)).toMatchObject({ degraded: true });

    // The catalogue refresh and the online metrics consumer came through: both work again after the outage.
    // (The kill rolled Redis back to the SAVE before it: the lists of that outage are a lower bound of what must be counted after it.)
    const killed = outages[1];
    const countedAfterKill = samples
      .filter((s) => s.status === 200 && s.route !== 'similar' && s.startedAt > killed.from && s.endedAt < killed.to)
      .flatMap(listsOf)
      .filter((list) => list.degraded && list.modelVersion === 'popularity').length;
    expect(countedAfterKill).toBeGreaterThan(20);
    const backAt = Date.now() - Math.round(last - killed.to);
    await waitFor(
      async () => {
        const admin = await call<{ catalog: Record<string, { refreshedAt: string; items: number }>; online: { version: string; impressions: number }[] | null }>(service.url, 'GET', '/v1/admin/models', { secret: SECRETS.admin });
        const catalog = admin.body.catalog.default;
        const popularity = admin.body.online?.find((row) => row.version === 'popularity');
        return admin.status === 200 && Date.parse(catalog.refreshedAt) > backAt && catalog.items > 0 && (popularity?.impressions ?? 0) >= countedAfterKill;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'a catalogue refreshed after the outage and the degraded impressions counted by the online metrics' },
    );
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/inference_degraded_answers_total\{[^}]*route="recommendations"[^}]*reason="feature_store_unavailable"[^}]*\} [1-9]/);
    expect(service.exits).toEqual([]);
  }, 300_000);
});
