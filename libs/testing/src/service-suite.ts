import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from './repo';
import { uniqueSuffix, testBrokers } from './kafka';
import { DisposableRedis, startBuiltService, type RunningService } from './processes';
import { waitFor } from './wait';

async function readiness(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The behaviour every service owes its operators, checked against the built
 * service in its own process with a real Kafka and a Redis we can stop:
 * fail-fast config, health, metrics, readiness that follows Redis, and a clean
 * SIGTERM. Each service's integration suite calls this with its name.
 */
export interface LifecycleOptions {
  /**
   * What readiness does while Redis is down: `not-ready` (503, the default),
   * or `degraded` (200 with Redis reported unreachable: inference, which
   * answers from memory rather than leave rotation).
   */
  withoutRedis?: 'not-ready' | 'degraded';
}

export function describeServiceLifecycle(service: string, options: LifecycleOptions = {}): void {
  describe(`${service} service process`, () => {
    const prefix = `test-${service}-${uniqueSuffix()}.`;
    let redis: DisposableRedis;
    let running: RunningService | undefined;

    beforeAll(async () => {
      redis = await DisposableRedis.create();
      await redis.start();
    });

    afterAll(async () => {
      await running?.stop('SIGKILL');
      await redis.stop();
      const admin = new Kafka({ brokers: testBrokers(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length) await admin.deleteTopics({ topics: mine });
      await admin.disconnect();
    });

    it('refuses to start on bad configuration, naming the variable', () => {
      const result = spawnSync(process.execPath, [join(repoRoot(__dirname), 'services', service, 'dist', 'main.js')], {
        env: { ...process.env, KAFKA_BROKERS: 'broker-without-port', REDIS_URL: redis.url() },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(78);
      expect(result.stdout + result.stderr).toContain('KAFKA_BROKERS');
      const line = JSON.parse((result.stdout + result.stderr).trim().split('\n').pop() ?? '{}');
      expect(line).toMatchObject({ level: 'fatal', service, code: 'CONFIG.INVALID' });
    });

    it('connects to Kafka and Redis, serves health and metrics, follows Redis in readiness, and stops cleanly on SIGTERM', async () => {
      running = await startBuiltService(service, {
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_URL: redis.url(),
        HEALTH_CHECK_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'info',
      });
      const url = running.url;

      const live = await fetch(`${url}/health/live`);
      expect(live.status).toBe(200);
      const ready = await waitFor(async () => {
        const r = await readiness(url);
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 30_000, description: `${service} to become ready` });
      expect(ready.body).toMatchObject({ status: 'ok', info: { kafka: { status: 'up' }, redis: { status: 'up' } } });

      // Topics were provisioned from the registry under this test's prefix.
      const admin = new Kafka({ brokers: testBrokers(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const topics = await admin.listTopics();
      await admin.disconnect();
      expect(topics).toEqual(expect.arrayContaining([`${prefix}retail.events.v1`, `${prefix}retail.events.dlq.v1`]));

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain(`process_cpu_user_seconds_total{service="${service}"}`);
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health\/ready"/);

      await redis.stop();
      if (options.withoutRedis === 'degraded') {
        const degraded = await waitFor(async () => {
          const r = await readiness(url);
          const body = r.body as { info?: { redis?: { reachable?: boolean } } };
          return r.status === 200 && body.info?.redis?.reachable === false ? r : undefined;
        }, { timeoutMs: 10_000, description: `${service} to report Redis unreachable and stay ready (degraded)` });
        expect(degraded.body).toMatchObject({ info: { redis: { reachable: false, degraded: true } } });
      } else {
        const down = await waitFor(async () => {
          const r = await readiness(url);
          return r.status === 503 ? r : undefined;
        }, { timeoutMs: 10_000, description: `${service} to turn not-ready without Redis` });
        expect(down.body).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
      }
      expect((await fetch(`${url}/health/live`)).status).toBe(200);

      await redis.start();
      await waitFor(async () => (await readiness(url)).status === 200, {
        timeoutMs: 20_000,
        description: `${service} to be ready again once Redis returns`,
      });

      const exit = await running.stop('SIGTERM');
      expect(exit).toBe(0);
      const lines = running
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      // Every line is structured JSON carrying the service name.
      expect(lines.every((l) => typeof l.level === 'string' && l.service === service)).toBe(true);
      expect(lines.some((l) => l.msg === 'shutdown requested')).toBe(true);
      running = undefined;
    });
  });
}

/**
 * Unit checks of a service's configuration loader: local defaults with the
 * service's own port, and a refusal that names every bad variable.
 */
export function describeServiceConfig(
  service: string,
  load: (env: Record<string, string | undefined>) => { http: { PORT: number }; kafka: { KAFKA_BROKERS: string[] }; redis: { REDIS_URL: string } },
  defaultPort: number,
): void {
  describe(`${service} configuration`, () => {
    it('defaults to the local Kafka and Redis and its own port', () => {
      const config = load({});
      expect(config.http.PORT).toBe(defaultPort);
      expect(config.kafka.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
      expect(config.redis.REDIS_URL).toBe('redis://127.0.0.1:6379/0');
    });

    it('refuses bad variables and names each one', () => {
      expect(() => load({ PORT: '99999', KAFKA_BROKERS: 'no-port-here', REDIS_URL: 'http://x' })).toThrow(
        expect.objectContaining({
          code: 'CONFIG.INVALID',
          problems: [
            expect.stringMatching(/^PORT: /),
            expect.stringMatching(/^KAFKA_BROKERS: .*no-port-here/),
            expect.stringMatching(/^REDIS_URL: /),
          ],
        }),
      );
    });
  });
}
