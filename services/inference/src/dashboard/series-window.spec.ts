import type { PrometheusSample } from '@storeloop/observability';
import { RingBuffer, SeriesWindow } from './series-window';

const sample = (name: string, value: number, labels: Record<string, string> = {}): PrometheusSample => ({ name, labels, value });

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    [1, 2].forEach((n) => ring.push(n));
    expect(ring.toArray()).toEqual([1, 2]);
    [3, 4, 5].forEach((n) => ring.push(n));
    expect(ring.toArray()).toEqual([3, 4, 5]);
  });
});

describe('SeriesWindow', () => {
  it('plots counters as events per second between scrapes, summed over labels that match the rule', () => {
    const window = new SeriesWindow(10);
    window.record('ingestion', [sample('ingest_events_total', 100, { outcome: 'accepted', type: 'a' }), sample('ingest_events_total', 50, { outcome: 'accepted', type: 'b' }), sample('ingest_events_total', 7, { outcome: 'rejected' })], 1_000);
    expect(window.snapshot().events.map((s) => s.points)).toEqual([[], []]);
    window.record('ingestion', [sample('ingest_events_total', 130, { outcome: 'accepted', type: 'a' }), sample('ingest_events_total', 60, { outcome: 'accepted', type: 'b' }), sample('ingest_events_total', 7, { outcome: 'rejected' })], 3_000);

    expect(window.snapshot().events).toEqual([
      { name: 'ingestion · events accepted', target: 'ingestion', points: [[3_000, 20]] },
      { name: 'ingestion · events rejected', target: 'ingestion', points: [[3_000, 0]] },
    ]);
  });

  it('takes a counter that went down for a restart: what it counted since', () => {
    const window = new SeriesWindow(10);
    window.record('inference', [sample('inference_answers_total', 500)], 0);
    window.record('inference', [sample('inference_answers_total', 8)], 2_000);
    expect(window.snapshot().events[0].points).toEqual([[2_000, 4]]);
  });

  it('sums consumer lag over topics and partitions, by group, and ignores metrics no rule names', () => {
    const window = new SeriesWindow(2);
    const lag = (group: string, partition: string, value: number) => sample('kafka_consumer_lag', value, { group, partition, topic: 't' });
    window.record('features', [lag('features', '0', 3), lag('features', '1', 4), lag('examples', '0', 1), sample('process_cpu_seconds_total', 9)], 1_000);
    window.record('features', [lag('features', '0', 0), lag('features', '1', 2)], 2_000);
    window.record('features', [lag('features', '0', 0), lag('features', '1', 1)], 3_000);

    const { events, lag: lags } = window.snapshot();
    expect(events).toEqual([]);
    expect(lags).toEqual([
      { name: 'features · examples', target: 'features', points: [[1_000, 1]] },
      { name: 'features · features', target: 'features', points: [[2_000, 2], [3_000, 1]] },
    ]);
  });
});
