import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@storeloop/observability';
import { kafkaStartupError, loadKafkaSettings, toKafkaJsConfig } from './config';

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadKafkaSettings(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadKafkaSettings', () => {
  it('defaults to a local plaintext broker', () => {
    expect(loadKafkaSettings({})).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_SSL: false,
      KAFKA_SSL_REJECT_UNAUTHORIZED: true,
      KAFKA_CONNECTION_TIMEOUT_MS: 3000,
      KAFKA_REQUEST_TIMEOUT_MS: 30000,
      KAFKA_TOPIC_REPLICATION_FACTOR: -1,
      KAFKA_PROVISION_TOPICS: true,
      KAFKA_TOPIC_PREFIX: '',
    });
  });

  it('reads a comma-separated broker list', () => {
    expect(loadKafkaSettings({ KAFKA_BROKERS: 'kafka-0.kafka:9092, kafka-1.kafka:9092,10.0.0.7:19092' }).KAFKA_BROKERS).toEqual([
      'kafka-0.kafka:9092',
      'kafka-1.kafka:9092',
      '10.0.0.7:19092',
    ]);
  });

  it.each(['kafka', 'kafka:', 'kafka:port', 'kafka:123456', 'a:1:2'])('rejects broker %p that is not host:port', (broker) => {
    const problems = problemsOf({ KAFKA_BROKERS: `ok:9092,${broker}` });
    expect(problems).toEqual([expect.stringContaining(`KAFKA_BROKERS: "${broker}" is not host:port`)]);
  });

  it('requires both SASL username and password when a mechanism is set', () => {
    const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    expect(problems).toEqual([
      'KAFKA_SASL_USERNAME: required when KAFKA_SASL_MECHANISM is set',
      'KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set',
    ]);
  });

  it('names only the missing SASL variable', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc' })).toEqual([
      'KAFKA_SASL_PASSWORD: required when KAFKA_SASL_MECHANISM is set',
    ]);
  });

  it('rejects an unknown SASL mechanism', () => {
    const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(problems).toEqual([expect.stringMatching(/^KAFKA_SASL_MECHANISM: .*\(got "gssapi"\)$/)]);
  });

  it('rejects a topic prefix with characters Kafka does not allow', () => {
    expect(problemsOf({ KAFKA_TOPIC_PREFIX: 'team a/' })).toEqual([
      'KAFKA_TOPIC_PREFIX: only letters, digits, ".", "_" and "-" (got "team a/")',
    ]);
    expect(loadKafkaSettings({ KAFKA_TOPIC_PREFIX: 'ci-42.run_1.' }).KAFKA_TOPIC_PREFIX).toBe('ci-42.run_1.');
  });

  it('refuses a CA file without TLS rather than connecting in plaintext', () => {
    expect(problemsOf({ KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' })).toEqual(['KAFKA_SSL_CA_FILE: set, but KAFKA_SSL is off: set KAFKA_SSL=true (got "/etc/kafka/ca.pem")']);
    expect(loadKafkaSettings({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' }).KAFKA_SSL_CA_FILE).toBe('/etc/kafka/ca.pem');
  });

  it('rejects timeouts below 100 ms and replication factors below -1', () => {
    const problems = problemsOf({ KAFKA_CONNECTION_TIMEOUT_MS: '50', KAFKA_TOPIC_REPLICATION_FACTOR: '-2' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['KAFKA_CONNECTION_TIMEOUT_MS', 'KAFKA_TOPIC_REPLICATION_FACTOR']);
  });
});

describe('toKafkaJsConfig', () => {
  it('sets neither ssl nor sasl for a plaintext cluster', () => {
    const config = toKafkaJsConfig(loadKafkaSettings({}), 'storeloop-features');
    expect(config).toEqual({
      clientId: 'storeloop-features',
      brokers: ['127.0.0.1:9092'],
      connectionTimeout: 3000,
      requestTimeout: 30000,
    });
    expect(config).not.toHaveProperty('ssl');
    expect(config).not.toHaveProperty('sasl');
  });

  it('lets KAFKA_CLIENT_ID override the default client id', () => {
    expect(toKafkaJsConfig(loadKafkaSettings({ KAFKA_CLIENT_ID: 'custom' }), 'storeloop-features').clientId).toBe('custom');
  });

  it('enables TLS with certificate verification settings', () => {
    const config = toKafkaJsConfig(loadKafkaSettings({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }), 'c');
    expect(config.ssl).toEqual({ rejectUnauthorized: false });
  });

  it('reads the CA bundle from KAFKA_SSL_CA_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeloop-ca-'));
    try {
      const file = join(dir, 'ca.pem');
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const config = toKafkaJsConfig(loadKafkaSettings({ KAFKA_SSL: '1', KAFKA_SSL_CA_FILE: file }), 'c');
      expect(config.ssl).toEqual({ rejectUnauthorized: true, ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes SASL credentials when a mechanism is configured', () => {
    const settings = loadKafkaSettings({
      KAFKA_SSL: 'yes',
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'features',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(toKafkaJsConfig(settings, 'c').sasl).toEqual({ mechanism: 'scram-sha-256', username: 'features', password: 's3cret' });
  });
});

describe('kafkaStartupError', () => {
  const settings = loadKafkaSettings({
    KAFKA_BROKERS: 'k-0:9093,k-1:9093',
    KAFKA_SSL: 'true',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'storeloop',
    KAFKA_SASL_PASSWORD: 'hunter2',
  });
  const kafkaJsError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { name, retriable: false, ...extra });

  it('turns a rejected SASL login into KAFKA.AUTH_FAILED naming the user and the settings, never the password', () => {
    const error = kafkaStartupError(
      kafkaJsError('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials'),
      settings,
    );
    expect(error).toMatchObject({ code: 'KAFKA.AUTH_FAILED', retriable: false });
    expect(error?.message).toMatch(/^Kafka SASL authentication failed for user storeloop \(SCRAM-SHA-512\) at k-0:9093,k-1:9093: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('finds the cause inside a retries-exceeded error, and an unsupported mechanism counts as an auth failure', () => {
    const unsupported = kafkaJsError('KafkaJSProtocolError', 'The broker does not support the requested SASL mechanism', { type: 'UNSUPPORTED_SASL_MECHANISM' });
    const wrapped = kafkaJsError('KafkaJSNumberOfRetriesExceeded', unsupported.message, { cause: unsupported });
    expect(kafkaStartupError(wrapped, settings)?.code).toBe('KAFKA.AUTH_FAILED');
  });

  it('turns an untrusted broker certificate into KAFKA.TLS_FAILED', () => {
    const connection = kafkaJsError('KafkaJSConnectionError', 'Connection error: self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const error = kafkaStartupError(kafkaJsError('KafkaJSNumberOfRetriesExceeded', connection.message, { cause: connection }), settings);
    expect(error).toMatchObject({ code: 'KAFKA.TLS_FAILED' });
    expect(error?.message).toContain('SELF_SIGNED_CERT_IN_CHAIN');
    expect(error?.message).toContain('KAFKA_SSL_CA_FILE');
  });

  it('leaves other failures (a broker down) alone', () => {
    const refused = kafkaJsError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9093', { code: 'ECONNREFUSED' });
    expect(kafkaStartupError(kafkaJsError('KafkaJSNumberOfRetriesExceeded', refused.message, { cause: refused }), settings)).toBeUndefined();
    expect(kafkaStartupError(new Error('boom'), settings)).toBeUndefined();
    expect(kafkaStartupError(undefined, settings)).toBeUndefined();
  });
});
