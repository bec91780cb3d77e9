import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { StoreloopError, causeChain, env, parseEnv, isTlsFailureCode } from '@storeloop/observability';
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
    if (c.KAFKA_SSL_CA_FILE && !c.KAFKA_SSL) {
      ctx.addIssue({ code: 'custom', path: ['KAFKA_SSL_CA_FILE'], message: 'set, but KAFKA_SSL is off: set KAFKA_SSL=true' });
    }
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

/**
 * A Kafka connection failure that retrying cannot fix, as the error the service
 * refuses to start with: KAFKA.AUTH_FAILED (the broker rejected the SASL
 * credentials or mechanism) or KAFKA.TLS_FAILED (the broker's certificate is not
 * trusted). Names the user and the settings to check, never the password.
 * Undefined for anything else (a broker down, timeouts).
 */
export function kafkaStartupError(error: unknown, settings: KafkaSettings): StoreloopError | undefined {
  const chain = causeChain(error);
  const brokers = settings.KAFKA_BROKERS.join(',');
  const auth = chain.find(
    (e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.type === 'UNSUPPORTED_SASL_MECHANISM',
  );
  if (auth) {
    const mechanism = settings.KAFKA_SASL_MECHANISM?.toUpperCase() ?? 'no SASL mechanism';
    const user = settings.KAFKA_SASL_USERNAME ?? '(none)';
    return new StoreloopError(
      'KAFKA.AUTH_FAILED',
      `Kafka SASL authentication failed for user ${user} (${mechanism}) at ${brokers}: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (broker: ${String(auth.message)})`,
      { cause: error, retriable: false },
    );
  }
  const tls = chain.find((e) => isTlsFailureCode(e.code));
  if (tls) {
    return new StoreloopError(
      'KAFKA.TLS_FAILED',
      `TLS to Kafka at ${brokers} failed (${String(tls.code)}: ${String(tls.message)}): check KAFKA_SSL_CA_FILE and the broker certificate`,
      { cause: error, retriable: false },
    );
  }
  return undefined;
}
