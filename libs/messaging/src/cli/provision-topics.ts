/**
 * One-shot topic provisioning, the same code path services run at start
 * (provisionTopics over the contracts registry), for deployments that create
 * topics before the services: the compose `topics` job and the Helm chart's
 * provisioning Job run `node libs/messaging/dist/cli/provision-topics.js`.
 */
import pino from 'pino';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { TOPICS } from '@storeloop/contracts';
import { ConfigError, StoreloopError, errorCode, errorMessage, loggerOptions } from '@storeloop/observability';
import { createKafka } from '../client';
import { loadKafkaSettings, toKafkaJsConfig, type KafkaSettings } from '../config';
import { provisionTopics, type TopicSpec } from '../provisioning';
import { TopicNamer } from '../topic-namer';
import { PROVISION_USAGE, PROVISION_USAGE_TEXT, parseProvisionOptions, retryDelayFor, type ProvisionOptions } from './provision-options';
import { observeTopics, topicDrift, type ObservedTopic, type TopicDrift } from './topic-audit';

export const KAFKA_UNREACHABLE = 'PROVISION.KAFKA_UNREACHABLE';
export const TOPIC_DRIFT = 'PROVISION.TOPIC_DRIFT';

export const EXIT = { ok: 0, failed: 1, usage: 2, drift: 3 } as const;

export interface ProvisionReport {
  created: string[];
  existing: string[];
  /** Every registry topic as the broker reports it after provisioning. */
  topics: ObservedTopic[];
  drift: TopicDrift[];
}

type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects, trying `options.attempts` times with a doubling pause. A broker
 * that is still starting (compose, a fresh cluster) refuses connections for a
 * while; one that never answers ends the command with KAFKA_UNREACHABLE.
 */
export async function connectWithRetry(
  admin: Pick<Admin, 'connect' | 'describeCluster' | 'disconnect'>,
  options: Pick<ProvisionOptions, 'attempts' | 'retryDelayMs'>,
  brokers: readonly string[],
  onRetry: (attempt: number, delayMs: number, error: unknown) => void = () => undefined,
  pause: Sleep = sleep,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      if (attempt >= options.attempts) {
        throw new StoreloopError(
          KAFKA_UNREACHABLE,
          `Kafka at ${brokers.join(',')} did not answer after ${attempt} attempt(s): ${errorMessage(error)}`,
          { retriable: true, cause: error },
        );
      }
      const delayMs = retryDelayFor(attempt, options);
      onRetry(attempt, delayMs, error);
      await pause(delayMs);
    }
  }
}

/** Creates the missing topics, then reads every topic back and compares it with the registry. */
export async function provisionAndAudit(
  admin: Admin,
  specs: readonly TopicSpec[],
  namer: TopicNamer,
  settings: Pick<KafkaSettings, 'KAFKA_TOPIC_REPLICATION_FACTOR'>,
): Promise<ProvisionReport> {
  const { created, existing } = await provisionTopics(admin, specs, namer, { replicationFactor: settings.KAFKA_TOPIC_REPLICATION_FACTOR });
  const topics = await observeTopics(admin, specs, namer);
  const drift = specs.flatMap((spec, i) => topicDrift(spec, topics[i]!));
  return { created, existing, topics, drift };
}

/** Human-readable lines for the job's log: one per topic, then drift, then a summary. */
export function formatReport(report: ProvisionReport, brokers: readonly string[]): string[] {
  const observedLine = (name: string): string => {
    const topic = report.topics.find((t) => t.name === name);
    if (!topic) return '';
    return `partitions=${topic.partitions} replication=${topic.replicationFactor} cleanup.policy=${topic.configs['cleanup.policy']} retention.ms=${topic.configs['retention.ms']}`;
  };
  const lines = [
    ...report.created.map((name) => `created  ${name}  ${observedLine(name)}`),
    ...report.existing.map((name) => `exists   ${name}  ${observedLine(name)}`),
    ...report.drift.map((d) => `drift    ${d.topic}  ${d.setting}: broker ${d.broker}, registry ${d.registry}`),
  ];
  lines.push(
    `${report.created.length + report.existing.length} topics on ${brokers.join(',')}: ` +
      `${report.created.length} created, ${report.existing.length} existing, ${report.drift.length} drifted setting(s)`,
  );
  return lines;
}

const CLIENT_ID = 'storeloop-provision-topics';

async function run(kafka: Kafka, settings: KafkaSettings, options: ProvisionOptions, log: (line: string) => void): Promise<number> {
  const specs = Object.values(TOPICS);
  const namer = new TopicNamer(settings.KAFKA_TOPIC_PREFIX);
  // The probe client never retries (kafkajs retries a connect for ~20 s on its own), so the
  // bounded loop above decides how long to wait, and reports each failure itself.
  const probe = new Kafka({ ...toKafkaJsConfig(settings, CLIENT_ID), retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();
  await connectWithRetry(probe, options, settings.KAFKA_BROKERS, (attempt, delayMs, error) =>
    log(`waiting for Kafka (attempt ${attempt}/${options.attempts} failed: ${errorMessage(error)}); retrying in ${delayMs} ms`),
  );
  await probe.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  try {
    const report = await provisionAndAudit(admin, specs, namer, settings);
    for (const line of formatReport(report, settings.KAFKA_BROKERS)) log(line);
    if (report.drift.length > 0 && options.strict) {
      process.stderr.write(`${TOPIC_DRIFT}: ${report.drift.length} setting(s) differ from the registry (--strict); provisioning never alters existing topics\n`);
      return EXIT.drift;
    }
    return EXIT.ok;
  } finally {
    await admin.disconnect();
  }
}

/** The command: parses flags and KAFKA_* variables, provisions, and maps failures to exit codes with a stable code. */
export async function main(argv: readonly string[], source: Record<string, string | undefined> = process.env): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let options: ProvisionOptions;
  let settings: KafkaSettings;
  try {
    options = parseProvisionOptions(argv, source);
    if (options.help) {
      log(PROVISION_USAGE_TEXT);
      return EXIT.ok;
    }
    settings = loadKafkaSettings(source);
  } catch (error) {
    process.stderr.write(`${errorCode(error)}: ${errorMessage(error)}\n`);
    if (errorCode(error) === PROVISION_USAGE) process.stderr.write(`${PROVISION_USAGE_TEXT}\n`);
    if (error instanceof ConfigError || errorCode(error) === PROVISION_USAGE) return EXIT.usage;
    throw error;
  }
  // kafkajs' own log lines (JSON) go to stderr, so stdout stays the report.
  const logger = pino(loggerOptions('provision-topics', source.LOG_LEVEL ?? 'error'), pino.destination(2));
  try {
    return await run(createKafka(settings, CLIENT_ID, logger), settings, options, log);
  } catch (error) {
    process.stderr.write(`${errorCode(error, 'PROVISION.FAILED')}: ${errorMessage(error)}\n`);
    return EXIT.failed;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`PROVISION.FAILED: ${errorMessage(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
