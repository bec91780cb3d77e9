import 'reflect-metadata';
import { Body, Controller, Get, Header, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@storeloop/observability';
import { applyHttpHardening, loadHttpSecuritySettings, type HttpSecuritySettings } from './http-hardening';

const PAGE_POLICY = "default-src 'none'; script-src 'self'";

@Controller()
class ProbeController {
  @Get('thing')
  thing() {
    return { ok: true };
  }

  @Post('thing')
  echo(@Body() body: unknown) {
    return { received: body };
  }

  @Get('page')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', PAGE_POLICY)
  page() {
    return '<!doctype html><title>page</title>';
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

async function serve(settings: HttpSecuritySettings): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(ProbeModule, { logger: false });
  applyHttpHardening(app, settings);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-powered-by')).toBeNull();
}

describe('HTTP security settings', () => {
  it('defaults to no CORS origin and no HSTS', () => {
    expect(loadHttpSecuritySettings({})).toEqual({ CORS_ORIGINS: [], HSTS_MAX_AGE_SECONDS: 0 });
  });

  it('reads a list of origins and refuses anything that is not exactly an origin', () => {
    expect(loadHttpSecuritySettings({ CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual([
      'https://shop.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['*', 'https://shop.example.com/', 'shop.example.com', 'ftp://files.example.com']) {
      expect(() => loadHttpSecuritySettings({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
    expect(() => loadHttpSecuritySettings({ HSTS_MAX_AGE_SECONDS: '-1' })).toThrow(/HSTS_MAX_AGE_SECONDS/);
  });
});

describe('applyHttpHardening with the defaults', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await serve(loadHttpSecuritySettings({})));
  });

  afterAll(async () => {
    await app.close();
  });

  it('sends the security headers and a JSON-only policy on answers, errors and 404s alike', async () => {
    const answers = [
      await fetch(`${url}/thing`),
      await fetch(`${url}/nowhere`),
      await fetch(`${url}/thing`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"broken":' }),
      await fetch(`${url}/thing`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ big: 'x'.repeat(200_000) }) }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 404, 400, 413]);
    for (const response of answers) {
      expectSecurityHeaders(response);
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('strict-transport-security')).toBeNull();
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('leaves a page its own policy', async () => {
    const response = await fetch(`${url}/page`);
    expectSecurityHeaders(response);
    expect(response.headers.get('content-security-policy')).toBe(PAGE_POLICY);
  });

  it('allows no origin and does not answer preflights', async () => {
    const simple = await fetch(`${url}/thing`, { headers: { Origin: 'https://shop.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${url}/thing`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-api-key' },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('applyHttpHardening with CORS origins and HSTS configured', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await serve(loadHttpSecuritySettings({ CORS_ORIGINS: 'https://shop.example.com', HSTS_MAX_AGE_SECONDS: '31536000' })));
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers a listed origin, its preflight included, and no other origin', async () => {
    const allowed = await fetch(`${url}/thing`, { headers: { Origin: 'https://shop.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expectSecurityHeaders(allowed);

    const preflight = await fetch(`${url}/thing`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-api-key,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Api-Key');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');

    const other = await fetch(`${url}/thing`, { headers: { Origin: 'https://evil.example.net' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends HSTS with the configured age', async () => {
    expect((await fetch(`${url}/thing`)).headers.get('strict-transport-security')).toBe('max-age=31536000');
  });
});
