import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { PolicyArtifact } from '@storeloop/supply-chain';
import { TRAINING_GRACE_MS } from '../config';
import type { PolicyScore } from './policy-store';

/** What a training run gets: the demand histories and the economics, all plain data (it crosses a thread). */
export interface TrainingJobInput {
  /** Daily units sold per SKU x store, completed days since the first sale, oldest first. */
  series: number[][];
  leadTimeDays: number;
  holdingCost: number;
  penaltyCost: number;
  /** Wall-clock budget: a run still going past it (plus grace) is stopped. */
  budgetMs: number;
  algorithm: 'api' | 'ppo';
  /** API: rollout states; epochs fitting them. */
  states: number;
  epochs: number;
  /** PPO: iterations. */
  iterations: number;
  /** The last days of every series, held out of training: promotion is decided on them. */
  testDays: number;
  seed: number;
  /** The version the artifact is written under. */
  version: string;
}

export interface TrainingJobResult {
  artifact: PolicyArtifact;
  /** Held-out days per series the scores are computed on. */
  testDays: number;
  learned: PolicyScore;
  classical: PolicyScore;
  trainSeconds: number;
  /** The TF.js backend it trained on. */
  backend: string;
}

/**
 * Runs a training job on a worker thread, so the learning loop (seconds to
 * minutes of CPU) never stalls HTTP answers, Kafka heartbeats or the review.
 * The worker is terminated when it outlives the budget by `graceMs`, or
 * when `signal` aborts (shutdown).
 */
export function runTrainingJob(input: TrainingJobInput, signal?: AbortSignal, graceMs = TRAINING_GRACE_MS): Promise<TrainingJobResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new Error('training aborted before it started'));
      return;
    }
    const worker = new Worker(join(__dirname, 'training-worker.js'), { workerData: input });
    let settled = false;
    // The signal is the service's shutdown signal, shared by every run: the listener goes when the run ends.
    const onAbort = () => {
      finish(() => reject(new Error('training stopped: the service is shutting down')));
      void worker.terminate();
    };
    const finish = (callback: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      callback();
    };
    const timer = setTimeout(() => {
      finish(() => reject(new Error(`training ran past its budget of ${input.budgetMs} ms by more than ${graceMs} ms; stopped`)));
      void worker.terminate();
    }, input.budgetMs + graceMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { ok: true; result: TrainingJobResult } | { ok: false; error: string }) =>
      finish(() => (message.ok ? resolve(message.result) : reject(new Error(message.error)))),
    );
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code} before answering`))));
  });
}
