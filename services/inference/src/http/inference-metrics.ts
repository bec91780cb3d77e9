import { Counter, type Registry } from 'prom-client';
import type { Recommendation } from '../recommend/engine';

/** Answers served, by version and arm; the online outcome figures per version come from feedback/online-metrics. */
export class InferenceMetrics {
  private readonly answers: Counter<'version' | 'arm' | 'cold_start'>;
  private readonly items: Counter<'version'>;
  private readonly empty: Counter<'version'>;

  constructor(registry: Registry) {
    this.answers = new Counter({
      name: 'inference_answers_total',
      help: 'Recommendation lists answered, by model version, A/B arm and cold start',
      labelNames: ['version', 'arm', 'cold_start'],
      registers: [registry],
    });
    this.items = new Counter({ name: 'inference_items_served_total', help: 'Items in the lists answered, by model version', labelNames: ['version'], registers: [registry] });
    this.empty = new Counter({ name: 'inference_empty_answers_total', help: 'Lists answered with no item (every candidate ruled out)', labelNames: ['version'], registers: [registry] });
  }

  served(answer: Recommendation): void {
    this.answers.inc({ version: answer.modelVersion, arm: answer.arm, cold_start: String(answer.coldStart) });
    this.items.inc({ version: answer.modelVersion }, answer.items.length);
    if (answer.items.length === 0) this.empty.inc({ version: answer.modelVersion });
  }
}
