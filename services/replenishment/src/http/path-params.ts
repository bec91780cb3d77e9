import { identifier } from '@storeloop/contracts';
import { HttpProblem } from '@storeloop/platform';
import type { SkuStore } from '../store/replenishment-store';

export const INVALID_PATH_PARAM = 'REPLENISHMENT.INVALID_PATH_PARAM';

const schema = identifier();

/**
 * A SKU and store from the path, held to the contract's identifier rules. A
 * value the contract would change (surrounding spaces) is refused rather
 * than trimmed: it would name a different pair than the one asked for.
 */
export function skuStoreFromPath(sku: string, store: string): SkuStore {
  const problems: string[] = [];
  for (const [name, value] of [['sku', sku], ['store', store]] as const) {
    const parsed = schema.safeParse(value);
    if (!parsed.success) problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    else if (parsed.data !== value) problems.push(`${name}: must not start or end with whitespace`);
  }
  if (problems.length > 0) throw new HttpProblem(400, INVALID_PATH_PARAM, `bad path parameter(s): ${problems.join('; ')}`, { problems });
  return { sku, store };
}

export const INVALID_QUERY_PARAM = 'REPLENISHMENT.INVALID_QUERY_PARAM';

/**
 * An optional integer query parameter within bounds: absent gives the
 * default; anything else that is not one integer in range (a repeated
 * parameter arrives as an array) is a 400.
 */
export function boundedIntFromQuery(name: string, raw: unknown, bounds: { default: number; min: number; max: number }): number {
  if (raw === undefined) return bounds.default;
  const value = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= bounds.min && value <= bounds.max)) {
    throw new HttpProblem(400, INVALID_QUERY_PARAM, `${name} must be an integer from ${bounds.min} to ${bounds.max}, got ${JSON.stringify(raw)}`, { parameter: name });
  }
  return value;
}

/**
 * An optional policy version from the query (training numbers runs 1, 2,
 * ...): absent gives undefined; anything but one positive integer is a 400.
 */
export function policyVersionFromQuery(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && /^[1-9]\d{0,8}$/.test(raw)) return raw;
  throw new HttpProblem(400, INVALID_QUERY_PARAM, `version must be a policy version (a positive integer, see GET /v1/policies), got ${JSON.stringify(raw)}`, { parameter: 'version' });
}
