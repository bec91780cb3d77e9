import { sumSamples, type PrometheusSample } from '@storeloop/observability';

/** A counter of one service plotted as events per second: samples of `metric` whose labels include `match`, summed. */
export interface EventRateRule {
  metric: string;
  label: string;
  match?: Record<string, string>;
}

/** The main counters of the five services (README, each service's "Metrics"); a target shows those it exposes. */
export const EVENT_RATE_RULES: readonly EventRateRule[] = [
  { metric: 'ingest_events_total', match: { outcome: 'accepted' }, label: 'events accepted' },
  { metric: 'ingest_events_total', match: { outcome: 'rejected' }, label: 'events rejected' },
  { metric: 'features_events_applied_total', label: 'events applied' },
  { metric: 'features_training_examples_total', label: 'examples emitted' },
  { metric: 'training_examples_consumed_total', label: 'examples consumed' },
  { metric: 'inference_answers_total', label: 'answers' },
  { metric: 'inference_impressions_sent_total', label: 'impressions sent' },
  { metric: 'replenishment_decisions_total', label: 'decisions' },
];

/** Consumer lag gauge of libs/messaging's batch consumer, one series per partition: summed by group. */
export const CONSUMER_LAG_METRIC = 'kafka_consumer_lag';

/** `[epoch ms, value]`. */
export type Point = [number, number];

export interface PlottedSeries {
  /** `<target> · <what>`: the legend entry. */
  name: string;
  target: string;
  points: Point[];
}

/** The last `capacity` points, oldest overwritten first. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  toArray(): T[] {
    return this.items.length < this.capacity ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

interface RateState {
  target: string;
  points: RingBuffer<Point>;
  last?: { at: number; total: number };
}

const matches = (sample: PrometheusSample, match: Record<string, string> | undefined) => !match || Object.entries(match).every(([name, value]) => sample.labels[name] === value);

/**
 * The plotted window: per target, events/s of each rule's counter (rate
 * between two scrapes; a counter that went down restarted, so its value is
 * what was counted since) and consumer lag per group.
 */
export class SeriesWindow {
  private readonly rates = new Map<string, RateState>();
  private readonly lags = new Map<string, { target: string; points: RingBuffer<Point> }>();

  constructor(private readonly capacity: number) {}

  record(target: string, samples: readonly PrometheusSample[], at: number): void {
    for (const rule of EVENT_RATE_RULES) {
      // A counter with labels has no sample before its first increment: no series yet, rather than a false zero.
      if (!samples.some((sample) => sample.name === rule.metric && matches(sample, rule.match))) continue;
      const total = sumSamples(samples, rule.metric, rule.match);
      const name = `${target} · ${rule.label}`;
      let state = this.rates.get(name);
      if (!state) {
        state = { target, points: new RingBuffer<Point>(this.capacity) };
        this.rates.set(name, state);
      }
      if (state.last && at > state.last.at) {
        const counted = total >= state.last.total ? total - state.last.total : total;
        state.points.push([at, round((counted * 1000) / (at - state.last.at))]);
      }
      state.last = { at, total };
    }

    const lagByGroup = new Map<string, number>();
    for (const sample of samples) {
      if (sample.name !== CONSUMER_LAG_METRIC || !Number.isFinite(sample.value)) continue;
      const group = sample.labels.group ?? 'unknown';
      lagByGroup.set(group, (lagByGroup.get(group) ?? 0) + sample.value);
    }
    for (const [group, lag] of lagByGroup) {
      const name = `${target} · ${group}`;
      let state = this.lags.get(name);
      if (!state) {
        state = { target, points: new RingBuffer<Point>(this.capacity) };
        this.lags.set(name, state);
      }
      state.points.push([at, lag]);
    }
  }

  snapshot(): { events: PlottedSeries[]; lag: PlottedSeries[] } {
    const plotted = (entries: Map<string, { target: string; points: RingBuffer<Point> }>) =>
      [...entries].map(([name, state]) => ({ name, target: state.target, points: state.points.toArray() })).sort((a, b) => a.name.localeCompare(b.name));
    return { events: plotted(this.rates), lag: plotted(this.lags) };
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;
