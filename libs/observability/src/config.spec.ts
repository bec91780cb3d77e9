import { z } from 'zod';
import { CONFIG_INVALID, ConfigError, env, httpConfigSchema, parseEnv, parseEnvGroups } from './config';
import { StoreloopError } from './errors';

/** The ConfigError thrown by `fn`, so tests can look at its problems. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

const schema = z.object({
  WORKERS: env.int(4, { min: 1, max: 64 }),
  VERBOSE: env.bool(false),
  REGIONS: env.list(['eu-west-1']),
  NAME: z.string().default('storeloop'),
});

describe('parseEnv', () => {
  it('applies defaults for unset variables', () => {
    expect(parseEnv(schema, {})).toEqual({ WORKERS: 4, VERBOSE: false, REGIONS: ['eu-west-1'], NAME: 'storeloop' });
  });

  it('treats empty and whitespace-only values as unset', () => {
    expect(parseEnv(schema, { WORKERS: '', VERBOSE: '   ', REGIONS: '', NAME: ' ' })).toEqual(parseEnv(schema, {}));
  });

  it('coerces strings and trims surrounding whitespace', () => {
    expect(parseEnv(schema, { WORKERS: ' 16 ', VERBOSE: 'true', REGIONS: ' a , b,,c ', NAME: ' svc ' })).toEqual({
      WORKERS: 16,
      VERBOSE: true,
      REGIONS: ['a', 'b', 'c'],
      NAME: 'svc',
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads boolean %p as %p', (raw, expected) => {
    expect(parseEnv(schema, { VERBOSE: raw }).VERBOSE).toBe(expected);
  });

  it('rejects a value that is not a boolean, naming the variable', () => {
    const error = configErrorOf(() => parseEnv(schema, { VERBOSE: 'maybe' }));
    expect(error.problems).toEqual(['VERBOSE: expected true or false (got "maybe")']);
  });

  it.each(['0', '65', '-3'])('rejects out-of-range integer %p', (raw) => {
    const error = configErrorOf(() => parseEnv(schema, { WORKERS: raw }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^WORKERS: /);
    expect(error.problems[0]).toContain(`(got "${raw}")`);
  });

  it.each(['2.5', 'four'])('rejects non-integer %p', (raw) => {
    const error = configErrorOf(() => parseEnv(schema, { WORKERS: raw }));
    expect(error.problems[0]).toMatch(/^WORKERS: /);
  });

  it('rejects a list with no items', () => {
    const error = configErrorOf(() => parseEnv(schema, { REGIONS: ' , ,' }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^REGIONS: expected a comma-separated list/);
  });

  it('reports every bad variable at once in a ConfigError', () => {
    const error = configErrorOf(() => parseEnv(schema, { WORKERS: '0', VERBOSE: 'nope' }));
    expect(error).toBeInstanceOf(StoreloopError);
    expect(error.code).toBe(CONFIG_INVALID);
    expect(error.name).toBe('ConfigError');
    expect(error.retriable).toBe(false);
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['VERBOSE', 'WORKERS']);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it.each(['DB_PASSWORD', 'CLIENT_SECRET', 'AUTH_TOKEN', 'API_KEY', 'GCP_CREDENTIALS', 'db_password'])(
    'never shows the value of secret variable %s',
    (name) => {
      const secrets = z.object({ [name]: z.string().min(20) });
      const error = configErrorOf(() => parseEnv(secrets, { [name]: 'hunter2' }));
      expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
      expect(error.problems[0]).toContain('(got "[redacted]")');
      expect(error.message).not.toContain('hunter2');
    },
  );

  it('shows the value of ordinary variables', () => {
    const error = configErrorOf(() => parseEnv(z.object({ LOG_FORMAT: z.enum(['json', 'pretty']) }), { LOG_FORMAT: 'xml' }));
    expect(error.problems[0]).toContain('(got "xml")');
  });

  it('omits "got" for a required variable that is missing', () => {
    const error = configErrorOf(() => parseEnv(z.object({ DATABASE_URL: z.string() }), {}));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^DATABASE_URL: /);
    expect(error.problems[0]).not.toContain('got');
  });

  it('reads only the variables the schema names', () => {
    expect(parseEnv(z.object({ A: z.string() }), { A: 'x', B: 'y' })).toEqual({ A: 'x' });
  });
});

describe('httpConfigSchema', () => {
  it('has production defaults', () => {
    expect(parseEnv(httpConfigSchema, {})).toEqual({
      HOST: '0.0.0.0',
      PORT: 3000,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 15000,
      HEALTH_CHECK_TIMEOUT_MS: 2000,
      HEALTH_CONSUMER_STALL_MS: 300000,
    });
  });

  it('rejects a port above 65535 and an unknown log level', () => {
    const error = configErrorOf(() => parseEnv(httpConfigSchema, { PORT: '70000', LOG_LEVEL: 'verbose' }));
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT']);
  });
});

describe('parseEnvGroups', () => {
  const groups = {
    http: z.object({ PORT: env.int(3000, { min: 0, max: 65535 }) }),
    cache: z.object({ CACHE_TTL_S: env.int(60, { min: 1 }), CACHE_ON: env.bool(true) }),
  };

  it('returns each group parsed from the same environment', () => {
    expect(parseEnvGroups(groups, { PORT: '8080', CACHE_ON: 'no' })).toEqual({
      http: { PORT: 8080 },
      cache: { CACHE_TTL_S: 60, CACHE_ON: false },
    });
  });

  it('collects the problems of every group before failing', () => {
    const error = configErrorOf(() => parseEnvGroups(groups, { PORT: '-1', CACHE_TTL_S: '0', CACHE_ON: 'on' }));
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual(['CACHE_ON', 'CACHE_TTL_S', 'PORT']);
  });

  it('rethrows errors that are not configuration problems', () => {
    const broken = {
      ok: z.object({ A: z.string().default('a') }),
      bug: z.object({
        B: z
          .string()
          .default('b')
          .transform(() => {
            throw new TypeError('bug in a transform');
          }),
      }),
    };
    expect(() => parseEnvGroups(broken, {})).toThrow(TypeError);
  });
});
