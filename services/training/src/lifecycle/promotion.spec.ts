import { decidePromotion, type HoldoutMetrics } from './promotion';

const metrics = (logLoss: number, auc?: number): HoldoutMetrics => ({ logLoss, auc, calibrationError: 0.05, examples: 200, positiveRate: 0.4 });
const baseline = metrics(0.673, 0.5);

describe('decidePromotion', () => {
  it('promotes a first model only when it beats the base-rate predictor by the margin', () => {
    expect(decidePromotion({ metric: 'logLoss', margin: 0.01 }, metrics(0.5), null, baseline)).toMatchObject({
      promote: true,
      reason: expect.stringContaining('the base-rate predictor'),
    });
    expect(decidePromotion({ metric: 'logLoss', margin: 0.01 }, metrics(0.668), null, baseline)).toMatchObject({
      promote: false,
      reason: expect.stringContaining('better by only 0.0050'),
    });
  });

  it('needs the challenger to beat the champion by at least the margin on log loss (lower is better)', () => {
    const champion = { version: 'v1', metrics: metrics(0.4) };
    expect(decidePromotion({ metric: 'logLoss', margin: 0.02 }, metrics(0.379), champion, baseline).promote).toBe(true);
    expect(decidePromotion({ metric: 'logLoss', margin: 0.02 }, metrics(0.381), champion, baseline).promote).toBe(false);
    expect(decidePromotion({ metric: 'logLoss', margin: 0.02 }, metrics(0.45), champion, baseline)).toMatchObject({
      promote: false,
      reason: expect.stringMatching(/logLoss 0\.4500 vs 0\.4000 of champion v1 .*not better/),
    });
  });

  it('compares AUC the other way round (higher is better), and refuses when the holdout has one class', () => {
    const champion = { version: 'v1', metrics: metrics(0.4, 0.8) };
    expect(decidePromotion({ metric: 'auc', margin: 0.01 }, metrics(0.5, 0.82), champion, baseline).promote).toBe(true);
    expect(decidePromotion({ metric: 'auc', margin: 0.01 }, metrics(0.3, 0.805), champion, baseline).promote).toBe(false);
    expect(decidePromotion({ metric: 'auc', margin: 0 }, metrics(0.3), champion, baseline)).toMatchObject({
      promote: false,
      reason: expect.stringContaining('one-class holdout'),
    });
  });

  it('with a zero margin promotes a tie but not a loss', () => {
    const champion = { version: 'v1', metrics: metrics(0.4) };
    expect(decidePromotion({ metric: 'logLoss', margin: 0 }, metrics(0.4), champion, baseline).promote).toBe(true);
    expect(decidePromotion({ metric: 'logLoss', margin: 0 }, metrics(0.4001), champion, baseline).promote).toBe(false);
  });
});
