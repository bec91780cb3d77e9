// Transport security, end to end: tools/infra/secure.sh runs a Kafka that only
// speaks SASL_SSL (SCRAM-SHA-512) and a Redis that only speaks TLS with an ACL
// user. The built ingestion and features services work there with the right
// settings, and refuse to start, with a stable code and without the password
// in their output, when a credential or the CA is wrong. Plaintext and
// anonymous clients are refused by the servers.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { EventType, TOPICS, exampleEvent } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, readUserViews, type RedisClient } from '@storeloop/feature-store';
import { loadKafkaSettings, toKafkaJsConfig } from '@storeloop/messaging';
import { TopicReader, repoRoot, startBuiltService, uniqueSuffix, waitFor, type RunningService } from '@storeloop/testing';

const root = repoRoot(__dirname);
const script = join(__dirname, '..', 'secure.sh');

function secureSh(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('bash', [script, ...args], { encoding: 'utf8', timeout: 280_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const API_SECRET = 'it-secure-writer-secret-0001';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

/** Runs a built service until it exits (or kills it after `timeoutMs`). */
function runUntilExit(service: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(root, 'services', service, 'dist', 'main.js')], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    }),
  );
}

function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('transport security: Kafka SASL/SCRAM + TLS, Redis ACL + TLS (tools/infra/secure.sh, built services)', () => {
  const suffix = uniqueSuffix();
  const topicPrefix = `it-secure-${suffix}.`;
  const keyPrefix = `it:secure:${suffix}:`;
  let secure: Record<string, string> = {};
  const running: RunningService[] = [];
  const clients: { close(): Promise<unknown> }[] = [];

  /** Everything a service gets: the secured settings of `secure.sh env`, this run's prefixes, one API key. */
  function serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...secure,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      REDIS_KEY_PREFIX: keyPrefix,
      INGEST_CONSUMER_GROUP: `it-secure-ingest-${suffix}`,
      FEATURES_CONSUMER_GROUP: `it-secure-features-${suffix}`,
      FEATURES_SESSION_TIMEOUT_MS: '6000',
      FEATURES_REBUILD_FENCE_MS: '1000',
      API_KEYS: `writer:ingest:${sha256(API_SECRET)}`,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '15000',
      ...extra,
    };
  }

  function expectNoSecret(output: string): void {
    for (const name of ['KAFKA_SASL_PASSWORD', 'REDIS_PASSWORD']) {
      expect(output.includes(secure[name])).toBe(false);
    }
  }

  beforeAll(() => {
    const up = secureSh('up');
    if (up.status !== 0) throw new Error(`tools/infra/secure.sh up failed (exit ${up.status}):\n${up.output}`);
    const env = secureSh('env');
    if (env.status !== 0) throw new Error(`tools/infra/secure.sh env failed (exit ${env.status}):\n${env.output}`);
    secure = Object.fromEntries(
      env.output
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(secure).toMatchObject({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL: 'true', REDIS_USERNAME: 'storeloop' });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    const down = secureSh('down');
    if (down.status !== 0) throw new Error(`tools/infra/secure.sh down failed (exit ${down.status}):\n${down.output}`);
  }, 120_000);

  it('ingestion and features work over SASL_SSL and TLS with the ACL user: an event is accepted, reaches retail.events.v1 and counts in Redis', async () => {
    const ingestion = await startBuiltService('ingestion', serviceEnv());
    running.push(ingestion);
    const features = await startBuiltService('features', serviceEnv());
    running.push(features);
    for (const service of [ingestion, features]) {
      const ready = await waitFor(
        async () => {
          const r = await fetch(`${service.url}/health/ready`);
          return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
        },
        { timeoutMs: 60_000, description: `${service.url} to be ready` },
      );
      expect(ready).toMatchObject({ info: { kafka: { status: 'up' }, redis: { status: 'up' } } });
    }

    // A reader with the same client settings the services use.
    const kafka = new Kafka({ ...toKafkaJsConfig(loadKafkaSettings(secure), `it-secure-${suffix}`), logLevel: logLevel.NOTHING });
    const events = await new TopicReader(kafka, `${topicPrefix}${TOPICS.events.name}`).start();
    clients.push({ close: () => events.stop() });

    const userId = `secure-user-${suffix}`;
    const event = exampleEvent(EventType.ProductViewed, { id: `secure-${suffix}-1`, time: new Date().toISOString(), data: { userId } });
    const answer = await fetch(`${ingestion.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_SECRET },
      body: JSON.stringify([event]),
    });
    expect(answer.status).toBe(202);

    await waitFor(() => events.messages.some((m) => m.message.value?.toString('utf8').includes(event.id)), {
      timeoutMs: 60_000,
      description: `event ${event.id} on ${topicPrefix}${TOPICS.events.name}`,
    });

    const redis: RedisClient = createRedis(loadRedisSettings({ ...secure, REDIS_KEY_PREFIX: keyPrefix }), 'it-secure');
    clients.push({ close: () => redis.quit() });
    const view = await waitFor(
      async () => {
        const [v] = await readUserViews(redis, [userId]);
        return v.known && v.counts.view['24h'] >= 1 ? v : undefined;
      },
      { timeoutMs: 60_000, description: `a view counted for ${userId} in the secured Redis` },
    );
    expect(view.counts.view['24h']).toBe(1);

    for (const service of [ingestion, features]) {
      expect(await service.stop('SIGTERM')).toBe(0);
      expectNoSecret(service.output());
    }
  }, 180_000);

  it.each(['ingestion', 'features'])('%s refuses to start with a wrong Kafka password: KAFKA.AUTH_FAILED, exit 1, no password in the output', async (service) => {
    const wrong = `wrong-kafka-password-${suffix}`;
    const exit = await runUntilExit(service, serviceEnv({ KAFKA_SASL_PASSWORD: wrong }));
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.ms).toBeLessThan(30_000);
    const fatal = jsonLines(exit.output).find((l) => l.level === 'fatal');
    expect(fatal).toMatchObject({ service, code: 'KAFKA.AUTH_FAILED' });
    expect(fatal?.msg).toContain('Kafka SASL authentication failed for user storeloop (SCRAM-SHA-512)');
    expect(exit.output.includes(wrong)).toBe(false);
    expectNoSecret(exit.output);
  }, 60_000);

  it.each(['ingestion', 'features'])('%s refuses to start with a wrong Redis password: REDIS.AUTH_FAILED, exit 1, no password in the output', async (service) => {
    const wrong = `wrong-redis-password-${suffix}`;
    const exit = await runUntilExit(service, serviceEnv({ REDIS_PASSWORD: wrong }));
    expect(exit).toMatchObject({ code: 1, signal: null });
    expect(exit.ms).toBeLessThan(30_000);
    const fatal = jsonLines(exit.output).find((l) => l.level === 'fatal');
    expect(fatal).toMatchObject({ service, code: 'REDIS.AUTH_FAILED' });
    expect(fatal?.msg).toContain('Redis authentication failed for user storeloop');
    expect(exit.output.includes(wrong)).toBe(false);
    expectNoSecret(exit.output);
  }, 60_000);

  it('refuses to start when the CA does not match: KAFKA.TLS_FAILED and REDIS.TLS_FAILED', async () => {
    // Without the CA file the test CA is untrusted (the system store does not hold it).
    const noKafkaCa = serviceEnv();
    delete noKafkaCa.KAFKA_SSL_CA_FILE;
    const noRedisCa = serviceEnv();
    delete noRedisCa.REDIS_TLS_CA_FILE;
    const [kafkaExit, redisExit] = await Promise.all([runUntilExit('ingestion', noKafkaCa), runUntilExit('ingestion', noRedisCa)]);
    expect(kafkaExit.code).toBe(1);
    expect(jsonLines(kafkaExit.output).find((l) => l.level === 'fatal')).toMatchObject({ code: 'KAFKA.TLS_FAILED' });
    expect(redisExit.code).toBe(1);
    expect(jsonLines(redisExit.output).find((l) => l.level === 'fatal')).toMatchObject({ code: 'REDIS.TLS_FAILED' });
    expectNoSecret(kafkaExit.output + redisExit.output);
  }, 90_000);

  it('the servers refuse plaintext and anonymous clients', async () => {
    const kafkaSettings = loadKafkaSettings(secure);
    const admin = (config: Partial<ReturnType<typeof toKafkaJsConfig>>) =>
      new Kafka({ ...toKafkaJsConfig(kafkaSettings, `it-secure-${suffix}`), ...config, retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();

    // Plaintext to the SASL_SSL listener.
    const plaintext = admin({ ssl: undefined, sasl: undefined });
    await expect(plaintext.connect().then(() => plaintext.listTopics())).rejects.toThrow();
    await plaintext.disconnect();
    // TLS, but no SASL: the broker answers nothing but the SASL handshake.
    const anonymous = admin({ sasl: undefined });
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    await anonymous.disconnect();
    // TLS and SASL with a wrong password.
    const wrong = admin({ sasl: { mechanism: 'scram-sha-512', username: 'storeloop', password: 'not-the-password' } });
    await expect(wrong.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    await wrong.disconnect();

    const port = Number(new URL(secure.REDIS_URL).port);
    const oneShot = { host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false };
    // Plaintext to the TLS-only port: the connection is dropped.
    const plain = new Redis({ ...oneShot });
    plain.on('error', () => undefined);
    await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
    plain.disconnect();
    // TLS without credentials: the default user is off.
    const tls = { tls: { ca: [readFileSync(secure.REDIS_TLS_CA_FILE, 'utf8')] } };
    const nobody = new Redis({ ...oneShot, ...tls });
    nobody.on('error', () => undefined);
    await nobody.connect();
    await expect(nobody.ping()).rejects.toThrow(/NOAUTH/);
    nobody.disconnect();
    // The ACL user may not run dangerous commands.
    const user = new Redis({ ...oneShot, ...tls, username: 'storeloop', password: secure.REDIS_PASSWORD });
    user.on('error', () => undefined);
    await user.connect();
    expect(await user.ping()).toBe('PONG');
    await expect(user.flushall()).rejects.toThrow(/NOPERM/);
    await expect(user.config('GET', 'requirepass')).rejects.toThrow(/NOPERM/);
    user.disconnect();
  }, 60_000);
});
