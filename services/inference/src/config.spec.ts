import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadInferenceConfig } from './config';

describeServiceConfig('inference', loadInferenceConfig, DEFAULT_PORT);

describe('inference settings', () => {
  it('has production defaults: rules on, no challenger, one tenant', () => {
    const { inference } = loadInferenceConfig({});
    expect(inference).toMatchObject({
      INFERENCE_MODEL_NAME: 'ranker',
      INFERENCE_CHALLENGER: 'none',
      INFERENCE_CHALLENGER_SHARE: 0,
      INFERENCE_TENANTS: ['default'],
      INFERENCE_EXCLUDE_PURCHASED: true,
      INFERENCE_EXCLUDE_OUT_OF_STOCK: true,
      INFERENCE_EXCLUDED_SKUS: [],
      INFERENCE_MAX_PER_CATEGORY: 0,
    });
  });

  it('reads lists and refuses a challenger share without a challenger', () => {
    const { inference } = loadInferenceConfig({ INFERENCE_EXCLUDED_SKUS: 'a, b,,c', INFERENCE_TENANTS: 'shop-1,shop-2' });
    expect(inference.INFERENCE_EXCLUDED_SKUS).toEqual(['a', 'b', 'c']);
    expect(inference.INFERENCE_TENANTS).toEqual(['shop-1', 'shop-2']);
    expect(() => loadInferenceConfig({ INFERENCE_CHALLENGER_SHARE: '0.2' })).toThrow(expect.objectContaining({ problems: [expect.stringMatching(/^INFERENCE_CHALLENGER: /)] }));
    expect(() => loadInferenceConfig({ INFERENCE_DEFAULT_K: '50', INFERENCE_MAX_K: '20' })).toThrow(expect.objectContaining({ problems: [expect.stringMatching(/^INFERENCE_DEFAULT_K: /)] }));
    expect(() => loadInferenceConfig({ INFERENCE_TENANTS: 'Bad Tenant' })).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID' }));
  });
});
