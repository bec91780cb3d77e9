import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { TOPICS } from '@storeloop/contracts';
import { TopicReader, deleteRedisKeysWithPrefix, startBuiltService, testKafka, uniqueSuffix, waitFor, type RunningService } from '@storeloop/testing';

/** API keys the tests present; the service only ever sees their SHA-256. */
export const SECRETS = {
  writer: 'it-writer-secret-0001',
  inferOnly: 'it-infer-secret-0002',
} as const;

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** `API_KEYS` in the compact form: a writer with the ingest scope, and a key that may only call inference. */
export function apiKeysEnv(): string {
  return [`writer:ingest:${sha256(SECRETS.writer)}`, `infer-only:infer:${sha256(SECRETS.inferOnly)}`].join(',');
}

export function apiKeyRecord(id: string, secret: string, ratePerSec: number, burst: number): Record<string, unknown> {
  return { id, scopes: ['ingest'], sha256: sha256(secret), ratePerSec, burst };
}

export const LOGICAL = {
  raw: TOPICS.rawEvents.name,
  events: TOPICS.events.name,
  feedback: TOPICS.feedback.name,
  privacy: TOPICS.privacy.name,
  dlq: TOPICS.deadLetters.name,
} as const;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  elapsedMs: number;
}

/**
 * One test run's world: its own topic prefix (so the service provisions its own
 * topics), consumer group and Redis key prefix, the ingestion processes it
 * started, and readers on its topics. `dispose()` stops and deletes all of it.
 */
export class IngestionWorld {
  readonly suffix = uniqueSuffix();
  readonly topicPrefix = `it-ingest-${this.suffix}.`;
  readonly redisKeyPrefix = `it:ingest:${this.suffix}:`;
  readonly consumerGroup = `it-ingest-${this.suffix}`;
  readonly kafka: Kafka = testKafka(`it-ingest-${this.suffix}`);
  readonly admin: Admin = this.kafka.admin();
  private readonly services: RunningService[] = [];
  private readonly readers = new Map<string, TopicReader>();
  private adminConnected = false;

  /** The environment every ingestion process of this world gets; `extra` overrides. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_URL: requiredEnv('REDIS_URL'),
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      INGEST_CONSUMER_GROUP: this.consumerGroup,
      API_KEYS: apiKeysEnv(),
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: '15000',
      ...extra,
    };
  }

  async start(extra: Record<string, string> = {}): Promise<RunningService> {
    const service = await startBuiltService('ingestion', this.env(extra));
    this.services.push(service);
    return service;
  }

  physical(logical: string): string {
    return `${this.topicPrefix}${logical}`;
  }

  async connectAdmin(): Promise<Admin> {
    if (!this.adminConnected) {
      await this.admin.connect();
      this.adminConnected = true;
    }
    return this.admin;
  }

  /** A reader (read_committed, from the beginning) on one of this world's topics, started once. */
  async reader(logical: string): Promise<TopicReader> {
    const existing = this.readers.get(logical);
    if (existing) return existing;
    const reader = await new TopicReader(this.kafka, this.physical(logical)).start();
    this.readers.set(logical, reader);
    return reader;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop('SIGKILL')));
    await Promise.all([...this.readers.values()].map((r) => r.stop()));
    this.readers.clear();
    await this.connectAdmin();
    const mine = (await this.admin.listTopics()).filter((t) => t.startsWith(this.topicPrefix));
    if (mine.length > 0) await this.admin.deleteTopics({ topics: mine });
    await this.admin.disconnect();
    this.adminConnected = false;
    await deleteRedisKeysWithPrefix(requiredEnv('REDIS_URL'), this.redisKeyPrefix);
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (the integration global setup sets it)`);
  return value;
}

/** A Redis client on the test database, without a key prefix: tests look at the raw keys. */
export function testRedis(): Redis {
  return new Redis(requiredEnv('REDIS_URL'), { maxRetriesPerRequest: 1, connectTimeout: 5000 });
}

/** POST /v1/events with the writer key unless told otherwise; the body is sent as given. */
export async function postEvents(
  service: RunningService,
  body: string | Buffer | unknown[],
  options: { contentType?: string; apiKey?: string | null; bearer?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  else if (options.apiKey !== null) headers['x-api-key'] = options.apiKey ?? SECRETS.writer;
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const started = Date.now();
  const response = await fetch(`${service.url}/v1/events`, { method: 'POST', headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, elapsedMs: Date.now() - started };
}

/** JSON of a record's value. */
export function valueOf<T = Record<string, unknown>>(message: KafkaMessage): T {
  return JSON.parse(message.value?.toString('utf8') ?? 'null') as T;
}

export function headerOf(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : last.toString();
}

/** The records of a reader whose CloudEvent id is one of `ids`. */
export function withIds(reader: TopicReader, ids: readonly string[]): KafkaMessage[] {
  const wanted = new Set(ids);
  return reader.messages.map((m) => m.message).filter((m) => wanted.has(valueOf<{ id?: string }>(m).id ?? ''));
}

/** Waits until each id is on the reader's topic, then returns its records (in topic order per partition). */
export async function waitForIds(reader: TopicReader, ids: readonly string[], timeoutMs = 30_000): Promise<KafkaMessage[]> {
  await waitFor(() => new Set(withIds(reader, ids).map((m) => valueOf<{ id: string }>(m).id)).size === new Set(ids).size, {
    timeoutMs,
    description: `events ${ids.join(', ')} to arrive`,
  });
  return withIds(reader, ids);
}

/** The dead letters of a reader whose original value contains `marker`. */
export function deadLettersWith(reader: TopicReader, marker: string): Record<string, unknown>[] {
  return reader.messages
    .map((m) => valueOf(m.message))
    .filter((letter) => typeof letter.value === 'string' && Buffer.from(letter.value, 'base64').toString('utf8').includes(marker));
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Samples of one metric from the Prometheus text exposition. */
export async function metricSamples(service: RunningService, name: string): Promise<Sample[]> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ labels, value: Number(match[2]) });
  }
  return samples;
}

/** Sum of the samples whose labels include `where`. */
export function sumWhere(samples: Sample[], where: Record<string, string>): number {
  return samples
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
