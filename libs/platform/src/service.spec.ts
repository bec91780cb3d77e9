import { ConfigError, parseEnv } from '@storeloop/observability';
import { z } from 'zod';
import { loadServiceConfig } from './service';

const serviceSchema = z.object({ WIDGETS: z.coerce.number().int().min(1).default(3) });

describe('loadServiceConfig', () => {
  it('returns the service configuration with the HTTP security settings', () => {
    const env = { WIDGETS: '5', CORS_ORIGINS: 'https://shop.example.com' };
    expect(loadServiceConfig(() => parseEnv(serviceSchema, env), env)).toEqual({
      service: { WIDGETS: 5 },
      httpSecurity: { CORS_ORIGINS: ['https://shop.example.com'], HSTS_MAX_AGE_SECONDS: 0 },
    });
  });

  it('names the bad variables of both in one refusal', () => {
    const env = { WIDGETS: '0', CORS_ORIGINS: '*' };
    expect(() => loadServiceConfig(() => parseEnv(serviceSchema, env), env)).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^WIDGETS: /), expect.stringMatching(/^CORS_ORIGINS: /)] }),
    );
    expect(() => loadServiceConfig(() => parseEnv(serviceSchema, env), env)).toThrow(ConfigError);
  });
});
