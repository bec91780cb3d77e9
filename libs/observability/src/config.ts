import { z } from 'zod';
import { StoreloopError } from './errors';

export const CONFIG_INVALID = 'CONFIG.INVALID';

export class ConfigError extends StoreloopError {
  constructor(readonly problems: string[]) {
    super(CONFIG_INVALID, `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Parses environment variables with a zod object whose keys are the variable
 * names. Every problem names its variable, so a bad deployment fails at boot
 * with a message an SRE can act on.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(root)';
        const shown = env[String(issue.path[0])];
        return `${name}: ${issue.message}${shown === undefined ? '' : ` (got ${JSON.stringify(redactValue(name, shown))})`}`;
      }),
    );
  }
  return result.data;
}

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL)/i;

/** Error messages show the bad value, but never a secret: by variable name, or a URL's password. */
export function redactValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return '[redacted]';
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_, scheme: string, userInfo: string) =>
    userInfo.includes(':') ? `${scheme}${userInfo.split(':')[0]}:[redacted]@` : `${scheme}${userInfo}@`,
  );
}

/** Reusable variable parsers: environment values are strings. */
export const env = {
  int: (def: number, opts: { min?: number; max?: number } = {}) =>
    z.coerce
      .number()
      .int()
      .min(opts.min ?? Number.MIN_SAFE_INTEGER)
      .max(opts.max ?? Number.MAX_SAFE_INTEGER)
      .default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(def),
  list: (def: string[]) =>
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.string()).min(1, 'expected a comma-separated list'))
      .default(def),
  /** Comma-separated `host:port` addresses, each checked on its own. */
  hostPorts: () =>
    z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(
        z
          .array(z.string())
          .min(1, 'expected a comma-separated list of host:port')
          .superRefine((items, ctx) => {
            for (const item of items) {
              if (!/^[^\s:,]+:\d{1,5}$/.test(item)) ctx.addIssue({ code: 'custom', message: `"${item}" is not host:port` });
            }
          }),
      ),
};

export const httpConfigSchema = z.object({
  HOST: z.string().default('0.0.0.0'),
  PORT: env.int(3000, { min: 0, max: 65535 }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: env.int(15000, { min: 0 }),
  HEALTH_CHECK_TIMEOUT_MS: env.int(2000, { min: 100 }),
  HEALTH_CONSUMER_STALL_MS: env.int(300_000, { min: 0 }),
});
export type HttpConfig = z.infer<typeof httpConfigSchema>;

/**
 * Parses several dependency schemas (http, kafka, redis...) from one
 * environment and reports every bad variable of every group at once.
 */
export function parseEnvGroups<G extends Record<string, z.ZodObject>>(
  groups: G,
  source: Env = process.env,
): { [K in keyof G]: z.infer<G[K]> } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(groups)) {
    try {
      out[name] = parseEnv(schema, source);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as { [K in keyof G]: z.infer<G[K]> };
}
