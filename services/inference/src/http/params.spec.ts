import { HttpProblem } from '@storeloop/platform';
import { loadInferenceConfig } from '../config';
import { INFERENCE_ERRORS, optionalId, parseCategory, parseExclude, parseK, parseSurface, parseTenant, requireId } from './params';

const settings = loadInferenceConfig({ INFERENCE_TENANTS: 'default,shop-2' }).inference;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HttpProblem ? error.code : 'not a problem';
  }
  return undefined;
}

describe('request parameters', () => {
  it('k: default, bounds and garbage', () => {
    expect(parseK(undefined, settings)).toBe(settings.INFERENCE_DEFAULT_K);
    expect(parseK('7', settings)).toBe(7);
    expect(parseK(settings.INFERENCE_MAX_K, settings)).toBe(settings.INFERENCE_MAX_K);
    for (const bad of ['0', '-1', '1.5', 'abc', String(settings.INFERENCE_MAX_K + 1), ['1', '2'], '1e2']) {
      expect(codeOf(() => parseK(bad, settings))).toBe(INFERENCE_ERRORS.paramInvalid);
    }
  });

  it('ids follow the contract and are never silently trimmed', () => {
    expect(requireId('userId', 'u-1')).toBe('u-1');
    expect(codeOf(() => requireId('userId', ' u-1'))).toBe(INFERENCE_ERRORS.paramInvalid);
    expect(codeOf(() => requireId('userId', ''))).toBe(INFERENCE_ERRORS.paramInvalid);
    expect(codeOf(() => requireId('userId', undefined))).toBe(INFERENCE_ERRORS.paramInvalid);
    expect(optionalId('store', undefined)).toBeUndefined();
    expect(optionalId('store', 's1')).toBe('s1');
  });

  it('tenant: the first configured by default, an unknown one refused', () => {
    expect(parseTenant(undefined, settings)).toBe('default');
    expect(parseTenant('shop-2', settings)).toBe('shop-2');
    expect(codeOf(() => parseTenant('other', settings))).toBe(INFERENCE_ERRORS.tenantUnknown);
  });

  it('context, category and exclude', () => {
    expect(parseSurface(undefined)).toBe('api');
    expect(parseSurface('pdp')).toBe('pdp');
    expect(codeOf(() => parseSurface('no spaces please'))).toBe(INFERENCE_ERRORS.paramInvalid);
    expect(parseCategory('Garden > Tools')).toBe('Garden > Tools');
    expect(codeOf(() => parseCategory(' Garden'))).toBe(INFERENCE_ERRORS.paramInvalid);
    expect(parseExclude('a,b,,c')).toEqual(['a', 'b', 'c']);
    expect(codeOf(() => parseExclude(Array.from({ length: 501 }, (_, i) => `s${i}`).join(',')))).toBe(INFERENCE_ERRORS.paramInvalid);
  });
});
