import { Controller, Get, Header, Inject, Module, NotFoundException, Param, Res, type DynamicModule } from '@nestjs/common';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

/** Starts the UI from a file rather than inline, so the page's policy needs no 'unsafe-inline' script; no external validator badge. */
const INIT_SCRIPT = "window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui', validatorUrl: null });\n";

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>API</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-init.js"></script>
</body>
</html>`;

/**
 * The page's own policy, replacing the JSON-only one every answer gets: its
 * scripts and styles from this origin only (no inline ones), the spec fetched
 * from here, the UI's SVG icons as data: images. The training integration
 * test renders the page in Chromium under it and fails on any violation.
 */
export const DOCS_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * `/docs` (Swagger UI, served from the npm package: no CDN) and
 * `/docs/openapi.json`. Public on purpose: the API's shape is no secret, and
 * every operation it lists still needs its key.
 */
@Controller('docs')
export class DocsController {
  private readonly assetDir = join(require.resolve('swagger-ui-dist/package.json'), '..');
  /** Read once: the UI files never change while the process runs. */
  private readonly assets = new Map<string, Buffer>();

  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: Record<string, unknown>) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY)
  page(): string {
    return PAGE;
  }

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get('assets/swagger-init.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  init(): string {
    return INIT_SCRIPT;
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() response: Response): void {
    const type = UI_ASSETS[name];
    if (!type) throw new NotFoundException();
    response.type(type).setHeader('Cache-Control', 'public, max-age=86400');
    let bytes = this.assets.get(name);
    if (!bytes) {
      bytes = readFileSync(join(this.assetDir, name));
      this.assets.set(name, bytes);
    }
    response.send(bytes);
  }
}

@Module({})
export class DocsModule {
  static forRoot(document: Record<string, unknown>): DynamicModule {
    return { module: DocsModule, controllers: [DocsController], providers: [{ provide: OPENAPI_DOCUMENT, useValue: document }] };
  }
}
