import { z } from 'zod';
import { env, parseEnv } from '@storeloop/observability';

/** Every Redis setting a service reads, with its default. Documented in the README. */
export const redisConfigSchema = z
  .object({
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, message: 'expected redis://[user:password@]host:port[/db] or rediss://...' })
      .refine((url) => !URL.canParse(url) || /^\/?\d*$/.test(new URL(url).pathname), 'the path must be a database number, e.g. /0')
      .default('redis://127.0.0.1:6379/0'),
    REDIS_CLUSTER_NODES: env.hostPorts().optional(),
    REDIS_USERNAME: z.string().optional(),
    REDIS_PASSWORD: z.string().optional(),
    REDIS_TLS: env.bool(false),
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9:_.-]*$/, 'only letters, digits, ":", "_", "." and "-"')
      .default('sl:'),
    REDIS_CONNECT_TIMEOUT_MS: env.int(5000, { min: 100 }),
    REDIS_COMMAND_TIMEOUT_MS: env.int(5000, { min: 10 }),
  })
  // Cross-field rule; zod runs it once every field is valid.
  .superRefine((c, ctx) => {
    if (c.REDIS_TLS_CA_FILE && !redisTlsEnabled(c)) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_TLS_CA_FILE'], message: 'set, but TLS is off: set REDIS_TLS=true or use a rediss:// REDIS_URL' });
    }
  });

export type RedisSettings = z.infer<typeof redisConfigSchema>;

export function loadRedisSettings(source: Record<string, string | undefined> = process.env): RedisSettings {
  return parseEnv(redisConfigSchema, source);
}

/** TLS to Redis: REDIS_TLS=true, or a rediss:// URL for a single node. */
export function redisTlsEnabled(settings: Pick<RedisSettings, 'REDIS_TLS' | 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>): boolean {
  if (settings.REDIS_TLS) return true;
  return !settings.REDIS_CLUSTER_NODES?.length && settings.REDIS_URL.startsWith('rediss:');
}

/** The database index of a single-node URL (cluster mode has only database 0). */
export function redisDatabase(settings: RedisSettings): number {
  if (settings.REDIS_CLUSTER_NODES?.length) return 0;
  const path = new URL(settings.REDIS_URL).pathname.replace('/', '');
  return path ? Number(path) : 0;
}
