import { parsePrometheusText, sumSamples } from './prometheus-text';

describe('parsePrometheusText', () => {
  const text = [
    '# HELP ingest_events_total Events by outcome',
    '# TYPE ingest_events_total counter',
    'ingest_events_total{outcome="accepted",type="a"} 120',
    'ingest_events_total{outcome="rejected",type="a"} 3',
    'ingest_events_total{outcome="accepted",type="b"} 30 1700000000000',
    'kafka_consumer_lag{group="g",topic="t",partition="0"} 4',
    'process_resident_memory_bytes 1.5e+08',
    'h_bucket{le="+Inf",path="say \\"hi\\", ok"} 7',
    '',
  ].join('\n');

  it('reads names, labels (escaped quotes and commas inside) and values, skipping comments', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(6);
    expect(samples[2]).toEqual({ name: 'ingest_events_total', labels: { outcome: 'accepted', type: 'b' }, value: 30 });
    expect(samples[4]).toEqual({ name: 'process_resident_memory_bytes', labels: {}, value: 1.5e8 });
    expect(samples[5].labels).toEqual({ le: '+Inf', path: 'say "hi", ok' });
  });

  it('sums the samples of a name whose labels match', () => {
    const samples = parsePrometheusText(text);
    expect(sumSamples(samples, 'ingest_events_total', { outcome: 'accepted' })).toBe(150);
    expect(sumSamples(samples, 'ingest_events_total')).toBe(153);
    expect(sumSamples(samples, 'missing_total')).toBe(0);
  });
});
