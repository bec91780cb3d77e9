import { OnlineLoss, retrainReason, TriggerMemory, type TriggerSettings, type TriggerState } from './retrain-trigger';

const settings: TriggerSettings = { intervalMs: 60_000, newExamples: 100, drift: true, driftTolerance: 0.25, driftMinExamples: 50, minExamples: 200 };
const state: TriggerState = { nowMs: 1_000_000, lastRunAtMs: 990_000, windowSize: 1000, newExamples: 10, championLogLoss: 0.4, online: null };

describe('retrainReason', () => {
  it('waits while nothing is due', () => {
    expect(retrainReason(settings, state)).toBeNull();
  });

  it('never trains below the minimum window or without new examples', () => {
    expect(retrainReason(settings, { ...state, windowSize: 199, newExamples: 500 })).toBeNull();
    expect(retrainReason(settings, { ...state, newExamples: 0, lastRunAtMs: 0 })).toBeNull();
  });

  it('fires after N new examples, unless that trigger is off', () => {
    expect(retrainReason(settings, { ...state, newExamples: 100 })).toBe('new-examples');
    expect(retrainReason({ ...settings, newExamples: 0 }, { ...state, newExamples: 100_000 })).toBeNull();
  });

  it('fires on the schedule, at once before the first run, unless the schedule is off', () => {
    expect(retrainReason(settings, { ...state, lastRunAtMs: 940_000 })).toBe('schedule');
    expect(retrainReason(settings, { ...state, lastRunAtMs: 940_001 })).toBeNull();
    expect(retrainReason(settings, { ...state, lastRunAtMs: null })).toBe('schedule');
    expect(retrainReason({ ...settings, intervalMs: 0 }, { ...state, lastRunAtMs: 0 })).toBeNull();
  });

  it('fires on drift: the online log loss beyond the tolerance over the holdout log loss, on enough examples', () => {
    const drifted = { ...state, online: { examples: 50, logLoss: 0.51 } };
    expect(retrainReason(settings, drifted)).toBe('drift');
    expect(retrainReason(settings, { ...drifted, online: { examples: 50, logLoss: 0.5 } })).toBeNull();
    expect(retrainReason(settings, { ...drifted, online: { examples: 49, logLoss: 2 } })).toBeNull();
    expect(retrainReason(settings, { ...drifted, championLogLoss: null })).toBeNull();
    expect(retrainReason({ ...settings, drift: false }, drifted)).toBeNull();
  });
});

describe('OnlineLoss', () => {
  it('keeps the last `capacity` predictions and their log loss', () => {
    const online = new OnlineLoss(3);
    expect(online.current()).toBeNull();
    online.record([0.9, 0.1], [1, 0]);
    expect(online.current()?.logLoss).toBeCloseTo(-Math.log(0.9), 10);
    online.record([0.5, 0.5], [1, 1]);
    expect(online.current()).toEqual({ examples: 3, logLoss: expect.closeTo((-Math.log(0.9) - 2 * Math.log(0.5)) / 3, 10) });
    online.reset();
    expect(online.current()).toBeNull();
  });
});

describe('TriggerMemory', () => {
  const driftOnly: TriggerSettings = { ...settings, newExamples: 0, intervalMs: 0 };
  const reason = (memory: TriggerMemory, nowMs: number, newExamples: number) =>
    retrainReason(driftOnly, { ...state, nowMs, lastRunAtMs: memory.lastRunAtMs, retryAtMs: memory.retryAtMs, newExamples, online: memory.online.current() });
  const badPredictions = (n: number) => [Array(n).fill(0.1), Array(n).fill(1)] as [number[], (0 | 1)[]];

  it('after a run whose challenger was rejected, drift waits for enough examples that arrived after it', () => {
    const memory = new TriggerMemory(new OnlineLoss(200), { initialMs: 1000, maxMs: 8000 });
    memory.online.record(...badPredictions(60));
    expect(reason(memory, 1_000_000, 60)).toBe('drift');
    // The run completes, the challenger is rejected: the champion (and its high online loss) stays.
    memory.completed(1_000_000);
    expect(reason(memory, 1_000_500, 5)).toBeNull();
    memory.online.record(...badPredictions(49));
    expect(reason(memory, 1_001_000, 49)).toBeNull();
    memory.online.record(...badPredictions(1));
    expect(reason(memory, 1_001_000, 50)).toBe('drift');
  });

  it('a failed run fires again, after a backoff that doubles per failure up to the cap, and resets on success', () => {
    const memory = new TriggerMemory(new OnlineLoss(200), { initialMs: 1000, maxMs: 3000 });
    memory.online.record(...badPredictions(60));
    memory.failed(1_000_000);
    expect(memory.lastRunAtMs).toBeNull();
    expect(reason(memory, 1_000_999, 60)).toBeNull();
    expect(reason(memory, 1_001_000, 60)).toBe('drift');
    memory.failed(1_001_000);
    expect(memory.retryAtMs).toBe(1_003_000);
    memory.failed(1_003_000);
    expect(memory.retryAtMs).toBe(1_006_000);
    expect(memory.consecutiveFailures).toBe(3);
    memory.completed(1_006_000);
    expect(memory.retryAtMs).toBeNull();
    expect(memory.consecutiveFailures).toBe(0);
  });
});
