import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { applyHttpHardening, loadHttpSecuritySettings } from '../security/http-hardening';
import { DOCS_CONTENT_SECURITY_POLICY, DocsModule } from './docs.module';

@Module({ imports: [DocsModule.forRoot({ openapi: '3.1.0', info: { title: 'probe', version: '1' }, paths: {} })] })
class ProbeModule {}

describe('DocsModule behind the platform security headers', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    applyHttpHardening(app, loadHttpSecuritySettings({}));
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves the page under its own policy, with every script from a file of this origin', async () => {
    const response = await fetch(`${url}/docs`);
    expect(response.headers.get('content-security-policy')).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(DOCS_CONTENT_SECURITY_POLICY).toMatch(/script-src 'self';/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const scripts = [...(await response.text()).matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map(([, attributes, body]) => ({ attributes: attributes.trim(), body }))).toEqual([
      { attributes: 'src="/docs/assets/swagger-ui-bundle.js"', body: '' },
      { attributes: 'src="/docs/assets/swagger-init.js"', body: '' },
    ]);
  });

  it('serves the start script, the UI files and the document', async () => {
    const init = await fetch(`${url}/docs/assets/swagger-init.js`);
    expect(init.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await init.text()).toContain("url: '/docs/openapi.json'");
    const bundle = await fetch(`${url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await (await fetch(`${url}/docs/openapi.json`)).json()).toMatchObject({ openapi: '3.1.0' });
    expect((await fetch(`${url}/docs/assets/secrets.txt`)).status).toBe(404);
  });
});
