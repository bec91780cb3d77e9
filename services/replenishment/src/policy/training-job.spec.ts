import { getEventListeners } from 'node:events';
import { runTrainingJob, type TrainingJobInput } from './training-job';

const input: TrainingJobInput = {
  series: [[1, 2, 3]],
  leadTimeDays: 2,
  holdingCost: 1,
  penaltyCost: 19,
  budgetMs: 1_000,
  algorithm: 'api',
  states: 100,
  epochs: 1,
  iterations: 1,
  testDays: 7,
  seed: 7,
  version: '1',
};

describe('training job runner', () => {
  // Under jest there is no compiled training-worker.js beside this file: the worker fails to start, which ends the run.
  it('removes its listener from the shared shutdown signal when a run ends', async () => {
    const shutdown = new AbortController();
    for (let run = 0; run < 3; run++) {
      await expect(runTrainingJob(input, shutdown.signal)).rejects.toThrow();
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('refuses to start once the service is shutting down', async () => {
    const shutdown = new AbortController();
    shutdown.abort();
    await expect(runTrainingJob(input, shutdown.signal)).rejects.toThrow('training aborted before it started');
  });
});
