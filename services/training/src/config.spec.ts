import { describeServiceConfig } from '@storeloop/testing';
import { DEFAULT_PORT, loadTrainingConfig } from './config';

describeServiceConfig('training', loadTrainingConfig, DEFAULT_PORT);

describe('training settings', () => {
  it('defaults: filesystem artifacts, every trigger on, log-loss promotion with a small margin', () => {
    const { training, artifacts } = loadTrainingConfig({});
    expect(artifacts.ARTIFACT_STORE).toBe('filesystem');
    expect(training).toMatchObject({
      TRAINING_MODEL_NAME: 'ranker',
      TRAINING_TRIGGER_INTERVAL_MS: 6 * 3600 * 1000,
      TRAINING_TRIGGER_NEW_EXAMPLES: 10_000,
      TRAINING_TRIGGER_DRIFT: true,
      TRAINING_PROMOTION_METRIC: 'logLoss',
      TRAINING_PROMOTION_MARGIN: 0.005,
      TRAINING_HOLDOUT_FRACTION: 0.2,
    });
  });

  it('reads each setting from its variable', () => {
    const { training } = loadTrainingConfig({
      TRAINING_TRIGGER_INTERVAL_MS: '0',
      TRAINING_TRIGGER_DRIFT: 'false',
      TRAINING_PROMOTION_METRIC: 'auc',
      TRAINING_PROMOTION_MARGIN: '0.02',
      TRAINING_SEGMENTS: '0',
      GIT_REVISION: 'abc123',
    });
    expect(training).toMatchObject({ TRAINING_TRIGGER_INTERVAL_MS: 0, TRAINING_TRIGGER_DRIFT: false, TRAINING_PROMOTION_METRIC: 'auc', TRAINING_PROMOTION_MARGIN: 0.02, TRAINING_SEGMENTS: 0, GIT_REVISION: 'abc123' });
  });

  it('refuses bad values and names every variable, across groups', () => {
    expect(() =>
      loadTrainingConfig({ TRAINING_HOLDOUT_FRACTION: '0.9', TRAINING_PROMOTION_METRIC: 'accuracy', TRAINING_MODEL_NAME: '../x', ARTIFACT_STORE: 's3' }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG.INVALID',
        problems: expect.arrayContaining([
          expect.stringMatching(/^TRAINING_HOLDOUT_FRACTION: /),
          expect.stringMatching(/^TRAINING_PROMOTION_METRIC: /),
          expect.stringMatching(/^TRAINING_MODEL_NAME: /),
          expect.stringMatching(/^ARTIFACT_S3_BUCKET: required/),
        ]),
      }),
    );
  });

  it('refuses a check interval a Node timer cannot hold', () => {
    expect(loadTrainingConfig({ TRAINING_CHECK_INTERVAL_MS: '2147483647' }).training.TRAINING_CHECK_INTERVAL_MS).toBe(2_147_483_647);
    expect(() => loadTrainingConfig({ TRAINING_CHECK_INTERVAL_MS: '2147483648' })).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([expect.stringMatching(/^TRAINING_CHECK_INTERVAL_MS: /)]),
      }),
    );
  });
});
