import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS } from '@storeloop/contracts';
import { parsePrometheusText, type PrometheusSample } from '@storeloop/observability';
import { RestartableService, freePort, waitFor } from '@storeloop/testing';

export interface PlatformOptions {
  runId: string;
  brokers: string[];
  redisUrl: string;
  features: number;
  /** Where the run keeps its files (the inference spool). */
  workDir: string;
  /** Extra environment per service name. */
  extra?: Record<string, Record<string, string>>;
}

/**
 * The services of one chaos or soak run as built processes (services/<name>/dist),
 * each on its own port, with the run's own topic prefix, consumer groups and
 * Redis key prefix, so a run never touches another's data.
 */
export class ChaosPlatform {
  readonly apiKey = `chaos-${randomBytes(18).toString('base64url')}`;
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly groups: { ingestion: string; features: string };
  ingestion!: RestartableService;
  features: RestartableService[] = [];
  inference!: RestartableService;

  constructor(private readonly options: PlatformOptions) {
    // Whatever ends the tool (an error, Ctrl-C, the test's time limit), no service process outlives it, and their output is kept.
    process.once('exit', () => {
      for (const s of this.all()) if (s.pid && s.isRunning) process.kill(s.pid, 'SIGKILL');
      if (!this.logsWritten) this.writeLogs();
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    this.topicPrefix = `chaos-${options.runId}.`;
    this.redisKeyPrefix = `chaos:${options.runId}:`;
    this.groups = { ingestion: `chaos-${options.runId}-ingestion`, features: `chaos-${options.runId}-features` };
  }

  physical(logical: string): string {
    return `${this.topicPrefix}${logical}`;
  }

  get consumed(): { ingestion: string[]; features: string[] } {
    return {
      ingestion: [this.physical(TOPICS.rawEvents.name)],
      features: [TOPICS.events.name, TOPICS.feedback.name, TOPICS.privacy.name].map((t) => this.physical(t)),
    };
  }

  private env(service: string): Record<string, string> {
    return {
      KAFKA_BROKERS: this.options.brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_URL: this.options.redisUrl,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      API_KEYS: `chaos:ingest+infer+admin:${createHash('sha256').update(this.apiKey).digest('hex')}`,
      RATE_LIMIT_PER_SEC: '1000000',
      RATE_LIMIT_BURST: '1000000',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '15000',
      INGEST_CONSUMER_GROUP: this.groups.ingestion,
      FEATURES_CONSUMER_GROUP: this.groups.features,
      FEATURES_SESSION_TIMEOUT_MS: '10000',
      INFERENCE_MODELS_GROUP: `chaos-${this.options.runId}-inference-models`,
      INFERENCE_CATALOG_REFRESH_MS: '30000',
      INFERENCE_SPOOL_DIR: `${this.options.workDir}/spool`,
      ...(this.options.extra?.[service] ?? {}),
    };
  }

  async start(): Promise<void> {
    // Ingestion first: it provisions the topics the others read.
    this.ingestion = new RestartableService('ingestion', this.env('ingestion'), await freePort());
    await this.ingestion.start();
    await this.ready(this.ingestion);
    for (let i = 0; i < this.options.features; i++) {
      const service = new RestartableService('features', this.env('features'), await freePort());
      this.features.push(service);
    }
    this.inference = new RestartableService('inference', this.env('inference'), await freePort());
    await Promise.all([...this.features, this.inference].map(async (s) => {
      await s.start();
      await this.ready(s);
    }));
  }

  all(): RestartableService[] {
    return [this.ingestion, ...this.features, this.inference].filter(Boolean);
  }

  /** Waits for /health/ready 200; resolves with the ms it took. */
  async ready(service: RestartableService, timeoutMs = 180_000): Promise<number> {
    const started = Date.now();
    await waitFor(
      async () => {
        const response = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      { timeoutMs, intervalMs: 100, description: `${service.service} on port ${service.port} to be ready` },
    );
    return Date.now() - started;
  }

  /** SIGKILL, start again on the same port; ms from the kill until /health/ready answers 200. */
  async killAndRestart(service: RestartableService): Promise<{ pid?: number; readyAfterMs: number }> {
    const pid = service.pid;
    const killedAt = Date.now();
    await service.kill();
    await service.start();
    await this.ready(service);
    return { pid, readyAfterMs: Date.now() - killedAt };
  }

  async metrics(service: RestartableService): Promise<PrometheusSample[]> {
    const response = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return parsePrometheusText(await response.text());
  }

  /** Every answer of /health/live other than 200 while watched: `<service>:<port> <status> <body>`. */
  readonly notLive: string[] = [];
  private liveTimer?: NodeJS.Timeout;

  /**
   * Asks every running service's /health/live every `intervalMs` until
   * `stop`, keeping each answer that is not 200: a consumer reported stalled
   * under the run's faults would be a liveness probe restarting pods in a
   * cluster. A process killed or too busy to answer is not an answer.
   */
  watchLiveness(intervalMs = 2_000): void {
    this.liveTimer = setInterval(() => {
      for (const s of this.all()) {
        if (!s.isRunning) continue;
        void fetch(`${s.url}/health/live`, { signal: AbortSignal.timeout(2_000) })
          .then(async (response) => {
            if (response.status !== 200) this.notLive.push(`${s.service}:${s.port} ${response.status} ${(await response.text()).slice(0, 300)}`);
          })
          .catch(() => undefined);
      }
    }, intervalMs);
    this.liveTimer.unref();
  }

  /** Stops every service (SIGTERM) and writes each one's output to `<workDir>/<service>-<port>.log`. */
  async stop(): Promise<void> {
    clearInterval(this.liveTimer);
    await Promise.all(this.all().map((s) => s.stop().catch(() => undefined)));
    this.writeLogs();
  }

  private logsWritten = false;

  private writeLogs(): void {
    this.logsWritten = true;
    for (const s of this.all()) {
      try {
        writeFileSync(join(this.options.workDir, `${s.service}-${s.port}.log`), s.output());
      } catch {
        // The run's folder may be gone; the logs are a courtesy.
      }
    }
  }
}
