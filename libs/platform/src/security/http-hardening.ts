import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import { env, parseEnv } from '@storeloop/observability';

/** An origin exactly as browsers send it in `Origin`: scheme, host, optional port; no path, no trailing slash. */
function isOrigin(value: string): boolean {
  return URL.canParse(value) && /^https?:$/.test(new URL(value).protocol) && new URL(value).origin === value;
}

export const httpSecurityConfigSchema = z.object({
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(
      z.array(z.string()).superRefine((origins, ctx) => {
        for (const origin of origins) {
          if (!isOrigin(origin)) ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://shop.example.com` });
        }
      }),
    )
    .default([]),
  HSTS_MAX_AGE_SECONDS: env.int(0, { min: 0, max: 63_072_000 }),
});
export type HttpSecuritySettings = z.infer<typeof httpSecurityConfigSchema>;

export function loadHttpSecuritySettings(source: Record<string, string | undefined> = process.env): HttpSecuritySettings {
  return parseEnv(httpSecurityConfigSchema, source);
}

/**
 * The policy of every answer: the services answer JSON, so nothing may load,
 * frame or submit anything. HTML pages (/docs, /dashboard) replace it on their
 * own answers with one that allows just their same-origin scripts and styles.
 */
export const JSON_CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** Request headers a browser client may send cross-origin: the key, the body type and the W3C trace context. */
const CORS_ALLOWED_HEADERS = ['Content-Type', 'X-Api-Key', 'Authorization', 'traceparent', 'tracestate'];
/** How long a browser may cache a preflight answer. */
const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Answers are per client and per key: never stored by a browser or a shared cache unless a route says otherwise (static assets). */
function noStore(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('Cache-Control', 'no-store');
  next();
}

/**
 * Security headers on every answer of the app (404s and body-parser errors
 * included, since this runs before routing and body parsing), and CORS only
 * for the origins listed in CORS_ORIGINS: with none, no answer carries
 * Access-Control-Allow-Origin and a preflight is an ordinary 404. Call before
 * `app.init()`: Express runs middleware in the order it was added.
 */
export function applyHttpHardening(app: INestApplication, settings: HttpSecuritySettings): void {
  app.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: JSON_CONTENT_SECURITY_POLICY },
      xFrameOptions: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // HSTS only where the operator says TLS terminates in front of every replica; a stray header pins browsers to https.
      strictTransportSecurity: settings.HSTS_MAX_AGE_SECONDS > 0 ? { maxAge: settings.HSTS_MAX_AGE_SECONDS, includeSubDomains: false } : false,
    }),
    noStore,
  );
  if (settings.CORS_ORIGINS.length > 0) {
    app.enableCors({
      origin: settings.CORS_ORIGINS,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: ['Retry-After'],
      credentials: false,
      maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
    });
  }
}
