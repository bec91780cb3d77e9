import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadReplenishmentConfig, serviceLevelOf } from './config';

describeServiceConfig('replenishment', loadReplenishmentConfig, DEFAULT_PORT);

describe('replenishment settings', () => {
  it('defaults to a daily review at 06:00 UTC, a two-day lead time and daily retraining', () => {
    expect(loadReplenishmentConfig({}).replenishment).toMatchObject({
      REPLENISHMENT_REVIEW_TIME_UTC: '06:00',
      REPLENISHMENT_REVIEW_INTERVAL_MS: 0,
      REPLENISHMENT_LEAD_TIME_DAYS: 2,
      REPLENISHMENT_RETRAIN_INTERVAL_MS: 86_400_000,
      REPLENISHMENT_CONSUMER_GROUP: 'storeloop-replenishment',
    });
  });

  it('derives the service level from the costs unless it is set', () => {
    const derived = loadReplenishmentConfig({ REPLENISHMENT_HOLDING_COST: '1', REPLENISHMENT_PENALTY_COST: '9' }).replenishment;
    expect(serviceLevelOf(derived)).toBeCloseTo(0.9, 10);
    const set = loadReplenishmentConfig({ REPLENISHMENT_SERVICE_LEVEL: '0.98' }).replenishment;
    expect(serviceLevelOf(set)).toBe(0.98);
  });

  it.each([
    ['REPLENISHMENT_REVIEW_TIME_UTC', '6am'],
    ['REPLENISHMENT_REVIEW_TIME_UTC', '24:00'],
    ['REPLENISHMENT_SERVICE_LEVEL', '1'],
    ['REPLENISHMENT_LEAD_TIME_DAYS', '-1'],
    ['REPLENISHMENT_TRAIN_BUDGET_MS', '10'],
    ['REPLENISHMENT_TRAIN_BUDGET_MS', '2147483647'],
    ['REPLENISHMENT_REVIEW_INTERVAL_MS', '2147483648'],
    ['REPLENISHMENT_TRAIN_ALGORITHM', 'dqn'],
    ['REPLENISHMENT_MODEL_NAME', '../policies'],
    ['ARTIFACT_STORE', 'ftp'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadReplenishmentConfig({ [name]: value })).toThrow(expect.objectContaining({ problems: [expect.stringMatching(new RegExp(`^${name}: `))] }));
  });

  it('refuses costs that give no service level when none is set', () => {
    expect(() => loadReplenishmentConfig({ REPLENISHMENT_PENALTY_COST: '0' })).toThrow(/REPLENISHMENT_PENALTY_COST: .*both be positive/);
    expect(serviceLevelOf(loadReplenishmentConfig({ REPLENISHMENT_PENALTY_COST: '0', REPLENISHMENT_SERVICE_LEVEL: '0.9' }).replenishment)).toBe(0.9);
  });
});

describe('replenishment settings that do not fit together', () => {
  it('accepts the largest timer delay Node honours as the review interval', () => {
    expect(loadReplenishmentConfig({ REPLENISHMENT_REVIEW_INTERVAL_MS: '2147483647' }).replenishment.REPLENISHMENT_REVIEW_INTERVAL_MS).toBe(2_147_483_647);
  });

  it('refuses an order retention that does not cover the lead time and its margin', () => {
    expect(() => loadReplenishmentConfig({ REPLENISHMENT_LEAD_TIME_DAYS: '30', REPLENISHMENT_ORDER_RETENTION_DAYS: '36' })).toThrow(
      /REPLENISHMENT_ORDER_RETENTION_DAYS: must be at least REPLENISHMENT_LEAD_TIME_DAYS \+ 7 \(37\)/,
    );
    expect(loadReplenishmentConfig({ REPLENISHMENT_LEAD_TIME_DAYS: '30', REPLENISHMENT_ORDER_RETENTION_DAYS: '37' }).replenishment.REPLENISHMENT_ORDER_RETENTION_DAYS).toBe(37);
  });

  it('refuses training days the feature store does not keep', () => {
    expect(() => loadReplenishmentConfig({ REPLENISHMENT_TRAIN_MIN_DAYS: '372', REPLENISHMENT_TRAIN_TEST_DAYS: '28' })).toThrow(
      /REPLENISHMENT_TRAIN_MIN_DAYS: .*\(400\) must be at most 399/,
    );
    expect(loadReplenishmentConfig({ REPLENISHMENT_TRAIN_MIN_DAYS: '371', REPLENISHMENT_TRAIN_TEST_DAYS: '28' }).replenishment.REPLENISHMENT_TRAIN_MIN_DAYS).toBe(371);
  });
});
