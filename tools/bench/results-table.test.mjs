// Unit tests of bench/RESULTS.md generation: `node --test tools/bench/`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BENCHES,
  README_END,
  README_START,
  RESULTS_MD,
  loadResults,
  num,
  renderReadmeTable,
  renderResultsTable,
  replaceReadmeTable,
  resultCommand,
  writeResultsTable,
} from './results-table.mjs';

const machine = { cpus: 2, cpuModel: 'Test CPU', memGiB: 8, node: 'v20.0.0', kafkaVersion: '4.1.1', kafkaBrokers: 1, redisVersion: '7.0.15', os: 'TestOS', sameHost: true };
const generated = { at: '2026-01-02T03:04:05.000Z', machine };

const features = {
  bench: 'features',
  timestamp: '2026-01-01T10:00:00.000Z',
  command: 'npm run bench -- features --events 1000',
  goals: { eventsPerSec: 30000, freshnessP99Ms: 500 },
  eventsPerSec: 31234,
  eventsPerSecNoExamples: 4050,
  freshnessP50Ms: 115.9,
  freshnessP99Ms: 612.5,
  redisBytesPerUser: 1474,
  redisBytesPerItem: 1151,
  throughput: { events: 1000 },
  freshness: { achievedEventsPerSec: 1153, unseen: 0 },
  machine,
};

const emptyEntries = () => Object.fromEntries(BENCHES.map((spec) => [spec.name, null]));

/** The table row of a section whose figure starts with `prefix`, as cells. */
function rowOf(markdown, section, prefix) {
  const start = markdown.indexOf(`<a id="${section}"></a>`);
  assert.ok(start >= 0, `section ${section} is missing`);
  const end = markdown.indexOf('<a id=', start + 1);
  const line = markdown
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .find((l) => l.startsWith(`| ${prefix}`));
  assert.ok(line, `no row starting with "${prefix}" in ${section}`);
  return line.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, ''));
}

describe('num', () => {
  it('groups thousands and keeps the digits the file holds', () => {
    assert.equal(num(31234), '31,234');
    assert.equal(num(11666.19), '11,666.19');
    assert.equal(num(0.4856), '0.4856');
    assert.equal(num(null), '–');
  });
});

describe('renderResultsTable', () => {
  it('says "not run" for every bench without a result file', () => {
    const markdown = renderResultsTable({ entries: emptyEntries(), generated });
    for (const spec of BENCHES) {
      assert.deepEqual(rowOf(markdown, spec.name, 'all figures').slice(0, 2), ['all figures', 'not run']);
    }
  });

  it('puts each figure from the file beside its goal and judges it', () => {
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), features: { data: features, mtime: null } }, generated });
    const throughput = rowOf(markdown, 'features', 'events applied');
    assert.equal(throughput[1], '31,234');
    assert.equal(throughput[2], '≥ 30,000');
    assert.equal(throughput[4], 'yes');
    const freshness = rowOf(markdown, 'features', 'freshness');
    assert.equal(freshness[1], '115.9 / 612.5 ms');
    assert.equal(freshness[2], 'p99 ≤ 500 ms');
    assert.equal(freshness[4], 'NO');
  });

  it('names the date and command the file records, and the machine it was measured on', () => {
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), features: { data: features, mtime: '2025-12-31T00:00:00.000Z' } }, generated });
    assert.match(markdown, /\| \[features\]\(#features\) \| 2026-01-01T10:00:00\.000Z \| ok \| `npm run bench -- features --events 1000` \|/);
    assert.match(markdown, /measured 2026-01-01T10:00:00\.000Z by `npm run bench -- features --events 1000` on 2 × Test CPU, 8 GiB, Node v20\.0\.0/);
  });

  it('falls back to the file time and the default command for files that record neither', () => {
    const bare = Object.fromEntries(Object.entries(features).filter(([key]) => key !== 'timestamp' && key !== 'command'));
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), features: { data: bare, mtime: '2025-12-31T00:00:00.000Z' } }, generated });
    assert.match(markdown, /\| \[features\]\(#features\) \| 2025-12-31T00:00:00\.000Z \| ok \| `npm run bench -- features` \(not recorded in the file: the default\) \|/);
    assert.deepEqual(resultCommand(BENCHES.find((s) => s.name === 'movielens'), {}), { command: 'npm run eval -- movielens', inferred: true });
  });

  it('marks a bench that failed in the last full run, and whether the figures are older', () => {
    const lastRun = {
      startedAt: '2026-01-01T12:00:00.000Z',
      finishedAt: '2026-01-01T13:00:00.000Z',
      totalSeconds: 3600,
      benches: [{ name: 'features', exitCode: 1, seconds: 200 }],
    };
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), features: { data: features, mtime: null } }, lastRun, generated });
    assert.match(markdown, /FAILED in the last `npm run bench` \(exit 1\); figures below from the earlier result of 2026-01-01T10:00:00\.000Z/);
    assert.match(markdown, /features FAILED \(exit 1\) in 200 s/);
    const rerun = { ...features, timestamp: '2026-01-01T14:00:00.000Z' };
    const after = renderResultsTable({ entries: { ...emptyEntries(), features: { data: rerun, mtime: null } }, lastRun, generated });
    assert.match(after, /\| \[features\]\(#features\) \| 2026-01-01T14:00:00\.000Z \| ok \|/);
  });

  it('takes an anchor from another bench: end-to-end freshness beside the features Kafka-to-Redis p99', () => {
    const freshness = {
      bench: 'freshness',
      timestamp: '2026-01-01T11:00:00.000Z',
      p50Ms: 210.4,
      p95Ms: 480.2,
      p99Ms: 700.1,
      maxMs: 1200.3,
      withinOneSecondShare: 0.9987,
      sinceAccepted: { p50Ms: 190, p99Ms: 650 },
      probes: { measured: 6000, unseen: 0 },
      verify: { ok: true },
      load: { achievedEventsPerSec: 1150 },
      machine,
    };
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), features: { data: features, mtime: null }, freshness: { data: freshness, mtime: null } }, generated });
    const latency = rowOf(markdown, 'freshness', '`POST /v1/events` issued');
    assert.equal(latency[1], '210.4 / 480.2 / 700.1 / 1,200.3 ms');
    assert.equal(latency[3], 'Kafka to Redis alone: p99 612.5 ms (`features`)');
    assert.equal(rowOf(markdown, 'freshness', 'share readable')[1], '99.87 %');
  });

  it('judges retrieval only up to the catalogue size the goal names', () => {
    const retrieval = {
      bench: 'retrieval',
      measuredAt: '2026-01-01T09:00:00.000Z',
      bruteForce: [
        { items: 100000, dim: 64, k: 10, p50Ms: 8, p99Ms: 9.5 },
        { items: 200000, dim: 64, k: 10, p50Ms: 20, p99Ms: 30 },
      ],
      machine,
    };
    const markdown = renderResultsTable({ entries: { ...emptyEntries(), retrieval: { data: retrieval, mtime: null } }, generated });
    assert.equal(rowOf(markdown, 'retrieval', 'brute-force top-10 over 100,000')[4], 'yes');
    assert.equal(rowOf(markdown, 'retrieval', 'brute-force top-10 over 200,000')[4], '–');
  });
});

describe('loadResults and writeResultsTable', () => {
  const root = mkdtempSync(join(tmpdir(), 'results-table-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads the files present, reports an unreadable one, lists the others and writes RESULTS.md', () => {
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/features.json'), JSON.stringify(features));
    writeFileSync(join(root, 'bench/results/inference.json'), '{ not json');
    writeFileSync(join(root, 'bench/results/ingest-profiled.json'), JSON.stringify({ timestamp: '2026-01-01T08:00:00.000Z' }));
    const { entries, others } = loadResults(root);
    assert.equal(entries.features.data.eventsPerSec, 31234);
    assert.equal(entries.training, null);
    assert.equal(entries.inference.data, null);
    assert.ok(entries.inference.error);
    assert.deepEqual(others, [{ file: 'bench/results/ingest-profiled.json', date: '2026-01-01T08:00:00.000Z', command: 'npm run bench -- ingest --profile' }]);

    const written = writeResultsTable(root, { now: new Date('2026-01-02T00:00:00.000Z') });
    assert.deepEqual(written, { file: RESULTS_MD, readme: false, withResults: 1, of: BENCHES.length });
    const markdown = readFileSync(join(root, RESULTS_MD), 'utf8');
    assert.match(markdown, /\| \[inference\]\(#inference\) \| – \| unreadable result file: /);
    assert.match(markdown, /\| \[training\]\(#training\) \| – \| not run \|/);
  });

  it('rewrites the README between its markers, and only there', () => {
    const before = `# Project\n\nintro\n\n${README_START}\nold table\n${README_END}\n\nafter\n`;
    writeFileSync(join(root, 'README.md'), before);
    const written = writeResultsTable(root, { now: new Date('2026-01-02T00:00:00.000Z') });
    assert.equal(written.readme, true);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    assert.ok(readme.startsWith(`# Project\n\nintro\n\n${README_START}\nGenerated 2026-01-02T00:00:00.000Z`));
    assert.ok(readme.endsWith(`${README_END}\n\nafter\n`));
    assert.doesNotMatch(readme, /old table/);
    assert.match(readme, /\| `features` \| events applied/);
  });
});

describe('renderReadmeTable and replaceReadmeTable', () => {
  it('puts every figure of every bench in one table, a bench without results marked not run', () => {
    const table = renderReadmeTable({ entries: { ...emptyEntries(), features: { data: features, mtime: null } }, generated });
    assert.match(table, /^Generated 2026-01-02T03:04:05\.000Z from `bench\/results\/\*\.json` \(measured 2026-01-01T10:00:00\.000Z\) on 2 × Test CPU/);
    assert.match(table, /No full `npm run bench` on record\./);
    const featureRows = table.split('\n').filter((l) => l.startsWith('| `features` |'));
    assert.ok(featureRows.length >= 2, table);
    assert.ok(featureRows.some((l) => l.includes('31,234')));
    assert.match(table, /\| `training` \(not run\) \| all figures \| not run \|/);
  });

  it('names the last full run and marks a bench that failed in it', () => {
    const lastRun = { startedAt: '2026-01-01T09:00:00.000Z', finishedAt: '2026-01-01T11:00:00.000Z', totalSeconds: 7200, skipped: [], benches: [{ name: 'features', exitCode: 1, seconds: 60 }] };
    const table = renderReadmeTable({ entries: { ...emptyEntries(), features: { data: features, mtime: null } }, lastRun, generated });
    assert.match(table, /Last `npm run bench`: started 2026-01-01T09:00:00\.000Z, finished 2026-01-01T11:00:00\.000Z/);
    assert.match(table, /\| `features` \(FAILED in the last `npm run bench` \(exit 1\); figures below from that run\) \|/);
  });

  it('replaces nothing when the markers are missing or reversed', () => {
    assert.equal(replaceReadmeTable('no markers here', 'x'), null);
    assert.equal(replaceReadmeTable(`${README_END}\n${README_START}`, 'x'), null);
    assert.equal(replaceReadmeTable(`a\n${README_START}\nold\n${README_END}\nb`, 'new'), `a\n${README_START}\nnew\n${README_END}\nb`);
  });
});
