import { identifier } from '@storeloop/contracts';
import { HttpProblem } from '@storeloop/platform';
import type { z } from 'zod';
import type { InferenceSettings } from '../config';

/** Stable error codes of the inference API (also listed in the OpenAPI document). */
export const INFERENCE_ERRORS = {
  paramInvalid: 'INFERENCE.PARAM_INVALID',
  bodyInvalid: 'INFERENCE.BODY_INVALID',
  tenantUnknown: 'INFERENCE.TENANT_UNKNOWN',
  noModel: 'INFERENCE.NO_MODEL',
  itemUnknown: 'INFERENCE.ITEM_UNKNOWN',
  feedbackUnavailable: 'INFERENCE.FEEDBACK_UNAVAILABLE',
  challengerMissing: 'INFERENCE.CHALLENGER_MISSING',
  /** Propensity, segment (and the admin reads of Redis) while the feature store is down or slow: 503 with Retry-After. */
  featureStoreUnavailable: 'INFERENCE.FEATURE_STORE_UNAVAILABLE',
} as const;

const id = identifier();
const SURFACE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** An id from the path or query, held to the contract's identifier rules; surrounding spaces are refused, not trimmed. */
export function requireId(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, `${name} is required`);
  const parsed = id.safeParse(value);
  if (!parsed.success || parsed.data !== value) {
    throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, `${name}: ${parsed.success ? 'must not start or end with whitespace' : (parsed.error.issues[0]?.message ?? 'invalid')}`);
  }
  return value;
}

export function optionalId(name: string, value: unknown): string | undefined {
  return value === undefined || value === '' ? undefined : requireId(name, value);
}

/** `k`: a whole number from 1 to INFERENCE_MAX_K; absent means INFERENCE_DEFAULT_K. */
export function parseK(value: unknown, settings: InferenceSettings): number {
  if (value === undefined || value === '') return settings.INFERENCE_DEFAULT_K;
  const k = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(k) || k < 1 || k > settings.INFERENCE_MAX_K) {
    throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, `k must be a whole number from 1 to ${settings.INFERENCE_MAX_K}, got ${JSON.stringify(value)}`);
  }
  return k;
}

export function parseTenant(value: unknown, settings: InferenceSettings): string {
  if (value === undefined || value === '') return settings.INFERENCE_TENANTS[0];
  if (typeof value !== 'string' || !settings.INFERENCE_TENANTS.includes(value)) {
    throw new HttpProblem(400, INFERENCE_ERRORS.tenantUnknown, `tenant ${JSON.stringify(value)} is not served here (INFERENCE_TENANTS: ${settings.INFERENCE_TENANTS.join(', ')})`);
  }
  return value;
}

/** `context`: where the list is shown (home, pdp, cart, email...); recorded as the impression's surface. */
export function parseSurface(value: unknown, fallback = 'api'): string {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !SURFACE.test(value)) {
    throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, 'context must be 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  }
  return value;
}

/** A category path as the catalogue writes it: levels joined by " > " (e.g. "Garden > Tools"). */
export function parseCategory(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 512 || value.trim() !== value || /[\u0000-\u001f]/.test(value)) {
    throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, 'category must be a category path of at most 512 characters (levels joined by " > ")');
  }
  return value;
}

/** `exclude=a,b,c`: SKUs left out of this answer. */
export function parseExclude(value: unknown): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, 'exclude must be a comma-separated list of SKUs');
  const skus = value.split(',').filter(Boolean);
  if (skus.length > 500) throw new HttpProblem(400, INFERENCE_ERRORS.paramInvalid, 'exclude names at most 500 SKUs');
  return skus.map((sku) => requireId('exclude', sku));
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown, hint: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 20).map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new HttpProblem(400, INFERENCE_ERRORS.bodyInvalid, `${hint}; ${problems[0]}`, { problems });
  }
  return parsed.data;
}
