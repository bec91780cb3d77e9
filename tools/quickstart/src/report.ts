import type { ReplayTally } from './replay';

export interface HoldoutMetrics {
  logLoss: number;
  auc?: number;
  calibrationError: number;
  examples: number;
  positiveRate: number;
}

export interface TrainingRunReport {
  version: string;
  outcome: string;
  decision: string;
  challenger: HoldoutMetrics;
  champion: HoldoutMetrics | null;
  /** What the run learned from: "replay + popularity feedback", "feedback on v…". */
  trainedOn: string;
}

export interface OnlineRow {
  version: string;
  impressions: number;
  clicks: number;
  purchases: number;
  ctr: number | null;
}

export interface LatencySummary {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface PolicyScore {
  cost: number;
  fillRate: number;
}

export interface QuickstartReport {
  startedAt: string;
  seconds: number;
  replay: ReplayTally[];
  ingestion: { acceptedHttp: number; published: number; duplicates: number; rejected: number };
  featureStore: { keys: number; usedMemory: string; eventsApplied: number; trainingExamples: number };
  runs: TrainingRunReport[];
  online: OnlineRow[];
  /** Offline evaluations on record (`npm run eval`), with their published anchors; not measured by this run. */
  offline: { name: string; ours: string; anchor: string }[];
  latency: LatencySummary;
  replenishment: { outcome: string; series: number; testDays: number; learned?: PolicyScore; classical?: PolicyScore; reason?: string; exampleDecision?: string } | null;
}

const fmt = (value: number | undefined, digits = 4) => (value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const int = (value: number) => value.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The closing report of `npm start`, as printed (also saved as .local/quickstart/report.txt). */
export function formatReport(report: QuickstartReport): string {
  const lines: string[] = [];
  lines.push(`Storeloop quickstart report (${report.startedAt}, ${Math.round(report.seconds)} s)`, '');
  lines.push('Events through POST /v1/events:');
  lines.push(
    ...table(
      ['dataset', 'sent', 'accepted', 'duplicates', 'rejected', 'retries', 'events/s'],
      report.replay.map((t) => [t.dataset, int(t.sent), int(t.accepted), int(t.duplicates), int(t.rejected), int(t.retries), int(Math.round(t.sent / Math.max(t.seconds, 1e-3)))]),
    ),
  );
  const i = report.ingestion;
  lines.push(`  ingestion's own count (ingest_events_total, since it started): ${int(i.acceptedHttp)} accepted over HTTP, ${int(i.published)} published to the validated topics, ${int(i.duplicates)} duplicates dropped, ${int(i.rejected)} rejected`, '');
  const fs = report.featureStore;
  lines.push(`Feature store (Redis): ${int(fs.keys)} keys, ${fs.usedMemory} used; ${int(fs.eventsApplied)} events applied, ${int(fs.trainingExamples)} training examples emitted`, '');
  lines.push('Model runs (holdout of the training window; the champion is scored on the same holdout):');
  lines.push(
    ...table(
      ['version', 'trained on', 'outcome', 'AUC', 'log loss', 'champion AUC', 'champion log loss', 'holdout', 'base rate'],
      report.runs.map((r) => [
        r.version,
        r.trainedOn,
        r.outcome,
        fmt(r.challenger.auc),
        fmt(r.challenger.logLoss),
        fmt(r.champion?.auc),
        fmt(r.champion?.logLoss),
        int(r.challenger.examples),
        fmt(r.challenger.positiveRate, 3),
      ]),
    ),
  );
  lines.push('', 'Online, per version served (GET /v1/admin/models; popularity = before any model):');
  lines.push(
    ...table(
      ['version', 'lists', 'clicks', 'purchases', 'CTR'],
      report.online.map((o) => [o.version, int(o.impressions), int(o.clicks), int(o.purchases), o.ctr === null ? '–' : o.ctr.toFixed(4)]),
    ),
  );
  if (report.offline.length > 0) {
    lines.push('', 'Offline evaluations on record (npm run eval; not re-measured by this run):');
    for (const o of report.offline) lines.push(`  ${o.name}: ${o.ours} (anchor: ${o.anchor})`);
  }
  const l = report.latency;
  lines.push('', `Serving latency seen by the storefront: ${int(l.requests)} requests, p50 ${fmt(l.p50, 1)} ms, p95 ${fmt(l.p95, 1)} ms, p99 ${fmt(l.p99, 1)} ms`);
  const r = report.replenishment;
  lines.push('');
  if (!r) lines.push('Replenishment: not trained (no M5 replay)');
  else {
    lines.push(`Replenishment policy run: ${r.outcome} on ${r.series} SKU x store series, ${r.testDays} held-out days each${r.reason ? ` (${r.reason})` : ''}`);
    if (r.learned && r.classical) {
      const gap = (r.learned.cost / r.classical.cost - 1) * 100;
      lines.push(`  cost per pair-day: learned ${fmt(r.learned.cost, 2)} (fill rate ${fmt(r.learned.fillRate, 4)}) vs forecast base-stock ${fmt(r.classical.cost, 2)} (fill rate ${fmt(r.classical.fillRate, 4)}): ${gap >= 0 ? '+' : ''}${gap.toFixed(1)} %`);
    }
    if (r.exampleDecision) lines.push(`  ${r.exampleDecision}`);
  }
  return lines.join('\n');
}
