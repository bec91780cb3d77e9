import { formatReport, type QuickstartReport } from './report';

const report: QuickstartReport = {
  startedAt: '2026-11-29T02:00:00.000Z',
  seconds: 612.4,
  replay: [{ dataset: 'cdnow', sent: 69659, accepted: 69650, duplicates: 0, rejected: 9, rejectedByCode: { 'INGEST.SCHEMA_INVALID': 9 }, retries: 2, seconds: 17.4 }],
  ingestion: { acceptedHttp: 69650, published: 69650, duplicates: 0, rejected: 9 },
  featureStore: { keys: 120345, usedMemory: '210.5M', eventsApplied: 69650, trainingExamples: 70000 },
  runs: [
    { version: 'v1', trainedOn: 'replay + popularity feedback', outcome: 'promoted', decision: 'no champion', challenger: { logLoss: 0.31, auc: 0.81, calibrationError: 0.01, examples: 8000, positiveRate: 0.12 }, champion: null },
    { version: 'v2', trainedOn: 'feedback on v1', outcome: 'rejected', decision: 'worse', challenger: { logLoss: 0.3, calibrationError: 0.02, examples: 9000, positiveRate: 0.1 }, champion: { logLoss: 0.29, auc: 0.8, calibrationError: 0.01, examples: 9000, positiveRate: 0.1 } },
  ],
  online: [{ version: 'popularity', impressions: 1886, clicks: 120, purchases: 14, ctr: 0.0636 }, { version: 'v1', impressions: 943, clicks: 0, purchases: 0, ctr: null }],
  offline: [{ name: 'MovieLens-100K recommender (ease)', ours: 'nDCG@10 0.4856', anchor: 'BiVAE 0.4751' }],
  latency: { requests: 2829, p50: 12.34, p95: 40.1, p99: 88.8 },
  replenishment: { outcome: 'rejected', series: 40, testDays: 28, learned: { cost: 16.07, fillRate: 0.9599 }, classical: { cost: 15.94, fillRate: 0.9596 } },
};

describe('formatReport', () => {
  const text = formatReport(report);

  it('prints every section with the measured figures', () => {
    expect(text).toContain('cdnow');
    expect(text).toContain('69,659');
    expect(text).toContain('120,345 keys, 210.5M used');
    expect(text).toMatch(/v1\s+replay \+ popularity feedback\s+promoted\s+0\.8100\s+0\.3100\s+–\s+–\s+8,000\s+0\.120/);
    expect(text).toMatch(/v2 .* rejected\s+–\s+0\.3000\s+0\.8000\s+0\.2900/);
    expect(text).toMatch(/popularity\s+1,886\s+120\s+14\s+0\.0636/);
    expect(text).toMatch(/v1\s+943\s+0\s+0\s+–/);
    expect(text).toContain('p50 12.3 ms, p95 40.1 ms, p99 88.8 ms');
    expect(text).toContain('learned 16.07 (fill rate 0.9599) vs forecast base-stock 15.94 (fill rate 0.9596): +0.8 %');
    expect(text).toContain('not re-measured by this run');
  });

  it('says when there was no replenishment run', () => {
    expect(formatReport({ ...report, replenishment: null, offline: [] })).toContain('Replenishment: not trained');
  });
});
