import { ConfigError } from '@storeloop/observability';
import { MAX_RETRY_DELAY_MS, PROVISION_USAGE, parseProvisionOptions, retryDelayFor } from './provision-options';

describe('parseProvisionOptions', () => {
  it('defaults to 10 attempts, a 1 s first pause and lenient drift', () => {
    expect(parseProvisionOptions([], {})).toEqual({ attempts: 10, retryDelayMs: 1000, strict: false, help: false });
  });

  it('reads PROVISION_* variables', () => {
    const options = parseProvisionOptions([], { PROVISION_CONNECT_ATTEMPTS: '3', PROVISION_RETRY_DELAY_MS: '250', PROVISION_STRICT: 'true' });
    expect(options).toEqual({ attempts: 3, retryDelayMs: 250, strict: true, help: false });
  });

  it('lets flags override the variables', () => {
    const options = parseProvisionOptions(['--attempts', '2', '--retry-delay-ms=0', '--strict'], { PROVISION_CONNECT_ATTEMPTS: '9', PROVISION_STRICT: 'false' });
    expect(options).toMatchObject({ attempts: 2, retryDelayMs: 0, strict: true });
  });

  it('rejects an unknown flag and a stray argument with PROVISION.USAGE', () => {
    expect(() => parseProvisionOptions(['--force'], {})).toThrow(expect.objectContaining({ code: PROVISION_USAGE }));
    expect(() => parseProvisionOptions(['topics'], {})).toThrow(expect.objectContaining({ code: PROVISION_USAGE }));
  });

  it.each([['0'], ['-1'], ['1.5'], ['ten']])('rejects --attempts=%s, naming the flag', (value) => {
    expect(() => parseProvisionOptions([`--attempts=${value}`], {})).toThrow(/--attempts must be an integer from 1 to 1000/);
  });

  it('names the bad variable', () => {
    expect(() => parseProvisionOptions([], { PROVISION_CONNECT_ATTEMPTS: '0' })).toThrow(ConfigError);
    expect(() => parseProvisionOptions([], { PROVISION_STRICT: 'maybe' })).toThrow(/PROVISION_STRICT/);
  });
});

describe('retryDelayFor', () => {
  it('doubles per failed attempt and stops at the cap', () => {
    const options = { retryDelayMs: 1000 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayFor(attempt, options))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayFor(10, options)).toBe(MAX_RETRY_DELAY_MS);
  });
});
