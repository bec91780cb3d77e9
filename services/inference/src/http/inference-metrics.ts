import { Counter, type Registry } from 'prom-client';
import type { Recommendation } from '../recommend/engine';
import { degradedMetricReason } from '../recommend/feature-store-gate';

/** Routes that answer recommendation lists (the `route` label of the degraded answers). */
export type ListRoute = 'recommendations' | 'batch' | 'similar';

/** Answers served, by version and arm; the online outcome figures per version come from feedback/online-metrics. */
export class InferenceMetrics {
  private readonly answers: Counter<'version' | 'arm' | 'cold_start'>;
  private readonly items: Counter<'version'>;
  private readonly empty: Counter<'version'>;
  private readonly degradedAnswers: Counter<'route' | 'reason'>;

  constructor(registry: Registry) {
    this.answers = new Counter({
      name: 'inference_answers_total',
      help: 'Recommendation lists answered, by model version, A/B arm and cold start',
      labelNames: ['version', 'arm', 'cold_start'],
      registers: [registry],
    });
    this.items = new Counter({ name: 'inference_items_served_total', help: 'Items in the lists answered, by model version', labelNames: ['version'], registers: [registry] });
    this.empty = new Counter({ name: 'inference_empty_answers_total', help: 'Lists answered with no item (every candidate ruled out)', labelNames: ['version'], registers: [registry] });
    this.degradedAnswers = new Counter({
      name: 'inference_degraded_answers_total',
      help: 'Lists answered degraded (from memory, without the feature store), by route and reason',
      labelNames: ['route', 'reason'],
      registers: [registry],
    });
  }

  /** A list answered degraded (counted whether or not it is an impression). */
  degraded(route: ListRoute, answer: Recommendation): void {
    if (answer.degraded && answer.degradedReason) this.degradedAnswers.inc({ route, reason: degradedMetricReason(answer.degradedReason) });
  }

  served(answer: Recommendation): void {
    this.answers.inc({ version: answer.modelVersion, arm: answer.arm, cold_start: String(answer.coldStart) });
    this.items.inc({ version: answer.modelVersion }, answer.items.length);
    if (answer.items.length === 0) this.empty.inc({ version: answer.modelVersion });
  }
}
