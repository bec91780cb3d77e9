import { parseArgs } from 'node:util';
import { z } from 'zod';
import { StoreloopError, env, parseEnv } from '@storeloop/observability';

/** Bad flags: the command prints usage and exits 2, like a config error. */
export const PROVISION_USAGE = 'PROVISION.USAGE';

export const PROVISION_USAGE_TEXT = `Usage: node libs/messaging/dist/cli/provision-topics.js [options]

Creates every topic of the contracts registry that does not exist yet (with the
registry's partitions, cleanup policy and retention) and checks the ones that do.
Kafka is reached with the services' KAFKA_* variables (KAFKA_BROKERS, KAFKA_SSL,
KAFKA_SASL_*, KAFKA_TOPIC_PREFIX, KAFKA_TOPIC_REPLICATION_FACTOR...).

Options (each has an environment variable; the flag wins):
  --attempts <n>        connection attempts before giving up   PROVISION_CONNECT_ATTEMPTS (default 10)
  --retry-delay-ms <ms> pause after the first failed attempt,  PROVISION_RETRY_DELAY_MS (default 1000)
                        doubling per attempt up to 30000
  --strict              exit 3 when an existing topic differs  PROVISION_STRICT (default false)
                        from the registry (partitions, cleanup.policy, retention.ms, max.message.bytes)
  --help                print this text

Exit status: 0 provisioned, 1 Kafka unreachable or a broker error, 2 bad
configuration or flags, 3 drift found with --strict.`;

const provisionEnvSchema = z.object({
  PROVISION_CONNECT_ATTEMPTS: env.int(10, { min: 1, max: 1000 }),
  PROVISION_RETRY_DELAY_MS: env.int(1000, { min: 0, max: 60_000 }),
  PROVISION_STRICT: env.bool(false),
});

export interface ProvisionOptions {
  /** Connection attempts before the command gives up with PROVISION.KAFKA_UNREACHABLE. */
  attempts: number;
  /** Pause after the first failed attempt; doubles per attempt, capped at MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  /** Treat drift between existing topics and the registry as a failure. */
  strict: boolean;
  help: boolean;
}

export const MAX_RETRY_DELAY_MS = 30_000;

function flagInt(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new StoreloopError(PROVISION_USAGE, `--${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/**
 * Reads the command's flags and PROVISION_* variables (KAFKA_* are read by
 * loadKafkaSettings). Throws ConfigError for a bad variable, and a
 * PROVISION.USAGE error for a bad or unknown flag.
 */
export function parseProvisionOptions(argv: readonly string[], source: Record<string, string | undefined> = process.env): ProvisionOptions {
  let values: { attempts?: string; 'retry-delay-ms'?: string; strict?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        attempts: { type: 'string' },
        'retry-delay-ms': { type: 'string' },
        strict: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new StoreloopError(PROVISION_USAGE, (error as Error).message, { cause: error });
  }
  const fromEnv = parseEnv(provisionEnvSchema, source);
  return {
    attempts: flagInt('attempts', values.attempts, 1, 1000) ?? fromEnv.PROVISION_CONNECT_ATTEMPTS,
    retryDelayMs: flagInt('retry-delay-ms', values['retry-delay-ms'], 0, 60_000) ?? fromEnv.PROVISION_RETRY_DELAY_MS,
    strict: values.strict ?? fromEnv.PROVISION_STRICT,
    help: values.help ?? false,
  };
}

/** Pause before attempt `attempt + 1` (attempt counts from 1): doubling, capped. */
export function retryDelayFor(attempt: number, options: Pick<ProvisionOptions, 'retryDelayMs'>): number {
  return Math.min(options.retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}
