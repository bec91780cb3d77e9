import { logLoss, type BinaryLabel } from '@storeloop/ml';

export type RetrainReason = 'schedule' | 'new-examples' | 'drift' | 'manual';

export interface TriggerSettings {
  /** 0: off. */
  intervalMs: number;
  /** 0: off. */
  newExamples: number;
  drift: boolean;
  driftTolerance: number;
  driftMinExamples: number;
  minExamples: number;
}

export interface TriggerState {
  nowMs: number;
  /** When the last run started; null before the first. */
  lastRunAtMs: number | null;
  windowSize: number;
  /** Examples stored since the last run. */
  newExamples: number;
  /** The champion's holdout log loss, null without a champion. */
  championLogLoss: number | null;
  /** The champion's log loss on examples that arrived since, with how many. */
  online: { examples: number; logLoss: number } | null;
  /** After a failed run: no automatic run before this. Null when the last run did not fail. */
  retryAtMs?: number | null;
}

/**
 * Why to retrain now, or null. Nothing trains on a window below
 * `minExamples`, nor when nothing new arrived since the last run (the same
 * data would give the same model). Drift compares like with like: the
 * champion's log loss on new examples against its log loss on its holdout.
 */
export function retrainReason(settings: TriggerSettings, state: TriggerState): RetrainReason | null {
  if (state.windowSize < settings.minExamples || state.newExamples === 0) return null;
  if (state.retryAtMs != null && state.nowMs < state.retryAtMs) return null;
  if (settings.newExamples > 0 && state.newExamples >= settings.newExamples) return 'new-examples';
  if (
    settings.drift &&
    state.championLogLoss !== null &&
    state.online !== null &&
    state.online.examples >= settings.driftMinExamples &&
    state.online.logLoss > state.championLogLoss * (1 + settings.driftTolerance)
  ) {
    return 'drift';
  }
  if (settings.intervalMs > 0 && (state.lastRunAtMs === null || state.nowMs - state.lastRunAtMs >= settings.intervalMs)) return 'schedule';
  return null;
}

/**
 * The champion's predictions on examples that arrived after it was chosen,
 * the last `capacity` of them: the online side of the drift trigger.
 */
export class OnlineLoss {
  private probs: number[] = [];
  private labels: BinaryLabel[] = [];

  constructor(private readonly capacity: number) {}

  record(probs: readonly number[], labels: readonly BinaryLabel[]): void {
    this.probs.push(...probs);
    this.labels.push(...labels);
    const excess = this.probs.length - this.capacity;
    if (excess > 0) {
      this.probs.splice(0, excess);
      this.labels.splice(0, excess);
    }
  }

  reset(): void {
    this.probs = [];
    this.labels = [];
  }

  current(): { examples: number; logLoss: number } | null {
    if (this.probs.length === 0) return null;
    return { examples: this.probs.length, logLoss: logLoss(this.probs, this.labels, 1e-7) };
  }
}

export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

/**
 * What the triggers remember between runs. A completed run (promoted or
 * rejected) moves `lastRunAtMs` and clears the online loss: a rejected
 * challenger leaves the same champion, whose loss on the examples before the
 * run must not trigger again at once; drift is then judged on at least
 * `driftMinExamples` examples that arrived after the run. A failed run moves
 * neither, so the same trigger fires again, but only after a backoff that
 * doubles per consecutive failure (a permanently failing run does not spin).
 */
export class TriggerMemory {
  lastRunAtMs: number | null = null;
  retryAtMs: number | null = null;
  private failures = 0;

  constructor(
    readonly online: OnlineLoss,
    private readonly backoff: RetryBackoff,
  ) {}

  get consecutiveFailures(): number {
    return this.failures;
  }

  completed(startedAtMs: number): void {
    this.lastRunAtMs = startedAtMs;
    this.failures = 0;
    this.retryAtMs = null;
    this.online.reset();
  }

  failed(nowMs: number): void {
    this.failures += 1;
    this.retryAtMs = nowMs + Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.failures - 1, 30));
  }
}
