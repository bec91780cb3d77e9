import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { env, parseEnv } from '@storeloop/observability';
import type { KafkaConfig as KafkaJsConfig, SASLOptions } from 'kafkajs';

/** Every Kafka setting a service reads, with its default. Documented in the README. */
export const kafkaConfigSchema = z
  .object({
    KAFKA_BROKERS: env.hostPorts().default(['127.0.0.1:9092']),
    KAFKA_CLIENT_ID: z.string().optional(),
    KAFKA_SSL: env.bool(false),
    KAFKA_SSL_CA_FILE: z.string().optional(),
    KAFKA_SSL_REJECT_UNAUTHORIZED: env.bool(true),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD: z.string().optional(),
    KAFKA_CONNECTION_TIMEOUT_MS: env.int(3000, { min: 100 }),
    KAFKA_REQUEST_TIMEOUT_MS: env.int(30000, { min: 100 }),
    KAFKA_TOPIC_REPLICATION_FACTOR: env.int(-1, { min: -1 }),
    KAFKA_PROVISION_TOPICS: env.bool(true),
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9._-]*$/, 'only letters, digits, ".", "_" and "-"')
      .default(''),
  })
  // Cross-field rule; zod runs it once every field is valid.
  .superRefine((c, ctx) => {
    if (c.KAFKA_SASL_MECHANISM && (!c.KAFKA_SASL_USERNAME || !c.KAFKA_SASL_PASSWORD)) {
      for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
        if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: `required when KAFKA_SASL_MECHANISM is set` });
      }
    }
  });

export type KafkaSettings = z.infer<typeof kafkaConfigSchema>;

export function loadKafkaSettings(source: Record<string, string | undefined> = process.env): KafkaSettings {
  return parseEnv(kafkaConfigSchema, source);
}

/** Translates validated settings into kafkajs options (TLS and SASL only when configured). */
export function toKafkaJsConfig(settings: KafkaSettings, clientId: string): KafkaJsConfig {
  const ssl = settings.KAFKA_SSL
    ? {
        rejectUnauthorized: settings.KAFKA_SSL_REJECT_UNAUTHORIZED,
        ...(settings.KAFKA_SSL_CA_FILE ? { ca: [readFileSync(settings.KAFKA_SSL_CA_FILE, 'utf8')] } : {}),
      }
    : undefined;
  const sasl: SASLOptions | undefined = settings.KAFKA_SASL_MECHANISM
    ? ({
        mechanism: settings.KAFKA_SASL_MECHANISM,
        username: settings.KAFKA_SASL_USERNAME ?? '',
        password: settings.KAFKA_SASL_PASSWORD ?? '',
      } as SASLOptions)
    : undefined;
  return {
    clientId: settings.KAFKA_CLIENT_ID ?? clientId,
    brokers: settings.KAFKA_BROKERS,
    connectionTimeout: settings.KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeout: settings.KAFKA_REQUEST_TIMEOUT_MS,
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
  };
}
