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
