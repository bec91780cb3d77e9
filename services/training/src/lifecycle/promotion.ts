export type PromotionMetric = 'logLoss' | 'auc';

/** What a model scored on the holdout; `auc` is absent when the holdout has one class. */
export interface HoldoutMetrics {
  logLoss: number;
  auc?: number;
  calibrationError: number;
  examples: number;
  positiveRate: number;
}

export interface PromotionPolicy {
  metric: PromotionMetric;
  /** Absolute improvement required on `metric`. */
  margin: number;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

/** Positive when `candidate` is better than `reference` on the metric (lower log loss, higher AUC). */
function improvement(metric: PromotionMetric, candidate: HoldoutMetrics, reference: HoldoutMetrics): number | undefined {
  if (metric === 'logLoss') return reference.logLoss - candidate.logLoss;
  if (candidate.auc === undefined || reference.auc === undefined) return undefined;
  return candidate.auc - reference.auc;
}

const fmt = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(4));

/**
 * A challenger is promoted only when it beats, on the same holdout and by at
 * least the margin, the champion, or, when there is none yet, the
 * base-rate predictor (the training positive rate for every example, AUC
 * 0.5): a first model must at least have learnt something.
 */
export function decidePromotion(
  policy: PromotionPolicy,
  challenger: HoldoutMetrics,
  champion: { version: string; metrics: HoldoutMetrics } | null,
  baseline: HoldoutMetrics,
): PromotionDecision {
  const reference = champion?.metrics ?? baseline;
  const against = champion ? `champion ${champion.version}` : 'the base-rate predictor';
  const gain = improvement(policy.metric, challenger, reference);
  if (gain === undefined) {
    return { promote: false, reason: `AUC is undefined on a one-class holdout; cannot compare with ${against}` };
  }
  const summary = `${policy.metric} ${fmt(challenger[policy.metric])} vs ${fmt(reference[policy.metric])} of ${against} on the same holdout of ${challenger.examples}`;
  if (gain >= policy.margin) return { promote: true, reason: `${summary}: better by ${gain.toFixed(4)} (margin ${policy.margin})` };
  return { promote: false, reason: `${summary}: ${gain > 0 ? `better by only ${gain.toFixed(4)}` : 'not better'} (margin ${policy.margin})` };
}
