import { HttpProblem } from '@storeloop/platform';
import { INVALID_PATH_PARAM, INVALID_QUERY_PARAM, boundedIntFromQuery, policyVersionFromQuery, skuStoreFromPath } from './path-params';

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

describe('boundedIntFromQuery', () => {
  const bounds = { default: 56, min: 7, max: 365 };

  it('gives the default when absent and the number when in range', () => {
    expect(boundedIntFromQuery('days', undefined, bounds)).toBe(56);
    expect(boundedIntFromQuery('days', '7', bounds)).toBe(7);
    expect(boundedIntFromQuery('days', '365', bounds)).toBe(365);
  });

  it.each([[''], ['6'], ['366'], ['14.5'], ['-7'], ['1e2'], ['abc'], [['14', '28']]])('refuses %j with a 400 naming the parameter', (raw) => {
    let problem: HttpProblem | undefined;
    try {
      boundedIntFromQuery('days', raw, bounds);
    } catch (error) {
      problem = error as HttpProblem;
    }
    expect(problem?.getStatus()).toBe(400);
    expect(problem?.code).toBe(INVALID_QUERY_PARAM);
    expect(problem?.message).toContain('days must be an integer from 7 to 365');
  });
});

describe('policyVersionFromQuery', () => {
  it('gives undefined when absent and the version as training numbers it', () => {
    expect(policyVersionFromQuery(undefined)).toBeUndefined();
    expect(policyVersionFromQuery('1')).toBe('1');
    expect(policyVersionFromQuery('42')).toBe('42');
  });

  it.each([[''], ['0'], ['07'], ['-1'], ['1.5'], ['v1'], ['1e3'], ['1234567890'], [['1', '2']]])('refuses %j with a 400 naming the parameter', (raw) => {
    let problem: HttpProblem | undefined;
    try {
      policyVersionFromQuery(raw);
    } catch (error) {
      problem = error as HttpProblem;
    }
    expect(problem?.getStatus()).toBe(400);
    expect(problem?.code).toBe(INVALID_QUERY_PARAM);
    expect(problem?.message).toContain('version must be a policy version');
  });
});
