import { HttpProblem } from '@storeloop/platform';
import { INVALID_PATH_PARAM, skuStoreFromPath } from './path-params';

function problemOf(sku: string, store: string): HttpProblem {
  try {
    skuStoreFromPath(sku, store);
  } catch (error) {
    return error as HttpProblem;
  }
  throw new Error('expected a problem');
}

describe('skuStoreFromPath', () => {
  it('accepts identifiers as the contract writes them', () => {
    expect(skuStoreFromPath('SKU-1/blue', 'store 42')).toEqual({ sku: 'SKU-1/blue', store: 'store 42' });
  });

  it.each([
    [' ', 'S1', 'sku'],
    ['SKU-1', ' S1', 'store'],
    ['x'.repeat(257), 'S1', 'sku'],
  ])('refuses sku %j / store %j with a 400 naming %s', (sku, store, name) => {
    const problem = problemOf(sku, store);
    expect(problem.getStatus()).toBe(400);
    expect(problem.code).toBe(INVALID_PATH_PARAM);
    expect(problem.message).toContain(`${name}:`);
  });
});
