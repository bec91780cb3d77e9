// bench/RESULTS.md from the result files: `npm run bench -- table` (and the
// last step of `npm run bench`). Every figure comes from a JSON file that a
// bench or evaluation wrote; what is typed here is only which fields to show,
// the goals and anchors the files do not hold themselves (from README.md
// "## Benchmarks"), and how to say it. A missing file reads "not run"; a bench
// that failed in the last `npm run bench` is marked so.
//
// `renderResultsTable` is pure (tested in results-table.test.mjs); the I/O is
// in `loadResults` and `writeResultsTable`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** Where `npm run bench` (no name) records its last run: which benches ran, how long, and how each exited. */
export const LAST_RUN_FILE = 'bench/results/last-run.json';
export const RESULTS_MD = 'bench/RESULTS.md';
/** The README's copy of the table sits between these two lines; `writeResultsTable` rewrites what is between them. */
export const README_MD = 'README.md';
export const README_START = '<!-- bench-table:start (written by `npm run bench -- table`; do not edit) -->';
export const README_END = '<!-- bench-table:end -->';

/** Goals and anchors that no result file holds (README.md "## Benchmarks" and the issues that set them). */
const README_GOALS = {
  retrievalP99Ms: 10,
  retrievalUpToItems: 100_000,
  timeToGoalSeconds: 600,
  trainingAnchor: '54 → 17,600 samples/s',
};

const DASH = '–';

/** A number as the file holds it, with thousands grouped: 4886 → "4,886", 0.4856 → "0.4856". */
export function num(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: 20 });
}

const ms = (value) => (value === null || value === undefined ? DASH : `${num(value)} ms`);
const pct = (share) => (share === null || share === undefined ? DASH : `${num(Math.round(share * 10_000) / 100)} %`);
const atLeast = (value, goal) => (value === null || value === undefined || goal === null || goal === undefined ? null : value >= goal);
const atMost = (value, goal) => (value === null || value === undefined || goal === null || goal === undefined ? null : value <= goal);
const yesNo = (ok) => (ok === null || ok === undefined ? DASH : ok ? 'yes' : 'NO');

/** A row of a bench's table. */
const row = (figure, value, { goal = DASH, anchor = DASH, met = null } = {}) => ({ figure, value, goal, anchor, met });

/**
 * The benches and evaluations in the table, in order. `rows(data, all)` turns
 * a parsed result file into rows; `all` holds every loaded file by name (for
 * anchors measured by another bench); `goals` sums them up when the file is
 * missing; `command` is the default command when not `npm run bench -- <name>`.
 */
export const BENCHES = [
  {
    name: 'ingest',
    file: 'bench/results/ingest.json',
    title: 'Ingestion',
    goals: '≥ 50,000 events/s per path',
    rows: (d, all) => {
      const h = d.http;
      const r = d.raw;
      const steps = all['ingest-steps']?.sums;
      const goal = d.goalEventsPerSec;
      return [
        h &&
          row(`HTTP \`POST /v1/events\` (${num(h.eventsPerRequest)} events per body, ${num(h.connections)} connections, ${num(h.seconds)} s), events/s`, num(h.eventsPerSec), {
            goal: `≥ ${num(goal)}`,
            anchor: steps ? `CPU ceiling of its steps: ${num(steps.ceilingEventsPerCoreHttp)} per core (\`ingest-steps\`)` : DASH,
            met: atLeast(h.eventsPerSec, goal),
          }),
        h && row('HTTP request latency p50 / p99', `${num(h.p50Ms)} / ${num(h.p99Ms)} ms`),
        h?.consumer && row('HTTP to `retail.events.v1` end to end (raw-topic consumer in the same process), events/s', num(h.consumer.endToEndEventsPerSec)),
        r &&
          row(`raw-topic consumer, ${num(r.events)}-event backlog, events/s`, num(r.eventsPerSec), {
            goal: `≥ ${num(goal)}`,
            anchor: steps ? `CPU ceiling of its steps: ${num(steps.ceilingEventsPerCoreRaw)} per core (\`ingest-steps\`)` : DASH,
            met: atLeast(r.eventsPerSec, goal),
          }),
        row('every accepted event on `retail.events.v1` exactly once (HTTP / raw)', `${yesNo(h?.verify?.ok)} / ${yesNo(r?.verify?.ok)}`, {
          goal: 'yes',
          met: [h?.verify?.ok, r?.verify?.ok].every((ok) => ok !== false) && [h?.verify?.ok, r?.verify?.ok].some((ok) => ok === true),
        }),
      ];
    },
  },
  {
    name: 'ingest-steps',
    file: 'bench/results/ingest-steps.json',
    title: 'Ingestion, CPU per step',
    goals: DASH,
    rows: (d) => [
      row('CPU per event, sum of the HTTP path steps', `${num(d.sums?.httpRequestPathUsPerEvent)} µs`),
      row('CPU per event, sum of the raw-topic path steps', `${num(d.sums?.rawConsumerPathUsPerEvent)} µs`),
      row('events per core those sums allow, HTTP / raw', `${num(d.sums?.ceilingEventsPerCoreHttp)} / ${num(d.sums?.ceilingEventsPerCoreRaw)}`),
    ],
  },
  {
    name: 'features',
    file: 'bench/results/features.json',
    title: 'Features',
    goals: '≥ 30,000 events/s; freshness p99 ≤ 500 ms',
    rows: (d) => {
      const f = d.freshness;
      return [
        row(`events applied exactly once from a ${num(d.throughput?.events)}-event backlog, training examples on, events/s`, num(d.eventsPerSec), {
          goal: `≥ ${num(d.goals?.eventsPerSec)}`,
          met: atLeast(d.eventsPerSec, d.goals?.eventsPerSec),
        }),
        row('the same, training examples off, events/s', num(d.eventsPerSecNoExamples)),
        f &&
          row(`freshness, Kafka append to readable in Redis, at ${num(f.achievedEventsPerSec)} events/s, p50 / p99`, `${num(d.freshnessP50Ms)} / ${num(d.freshnessP99Ms)} ms`, {
            goal: `p99 ≤ ${num(d.goals?.freshnessP99Ms)} ms`,
            met: f.unseen > 0 ? false : atMost(d.freshnessP99Ms, d.goals?.freshnessP99Ms),
          }),
        row('Redis bytes per user / per item (`MEMORY USAGE`, mean of the sampled)', `${num(d.redisBytesPerUser)} / ${num(d.redisBytesPerItem)}`),
      ];
    },
  },
  {
    name: 'freshness',
    file: 'bench/results/freshness.json',
    title: 'End-to-end freshness',
    goals: DASH,
    rows: (d, all) => {
      const kafkaToRedis = all.features?.freshnessP99Ms;
      return [
        row(
          `\`POST /v1/events\` issued to readable in Redis, at ${num(d.load?.achievedEventsPerSec)} events/s, p50 / p95 / p99 / max`,
          `${num(d.p50Ms)} / ${num(d.p95Ms)} / ${num(d.p99Ms)} / ${num(d.maxMs)} ms`,
          { anchor: kafkaToRedis === undefined ? DASH : `Kafka to Redis alone: p99 ${ms(kafkaToRedis)} (\`features\`)` },
        ),
        row('share readable within 1 s', pct(d.withinOneSecondShare)),
        d.sinceAccepted && row('from the 202 answer, p50 / p99', `${num(d.sinceAccepted.p50Ms)} / ${num(d.sinceAccepted.p99Ms)} ms`),
        d.probes &&
          row('probes measured / never readable; each counted once (`readItemViews`)', `${num(d.probes.measured)} / ${num(d.probes.unseen)}; ${yesNo(d.verify?.ok)}`, {
            goal: 'none unseen; yes',
            met: d.probes.unseen === 0 && d.verify?.ok === true,
          }),
      ];
    },
  },
  {
    name: 'training',
    file: 'bench/results/training.json',
    title: 'Training',
    goals: `MovieLens goal within 10 min; cpu embedding anchor ${README_GOALS.trainingAnchor}`,
    rows: (d) => {
      const rows = [];
      for (const [backend, b] of Object.entries(d.backends ?? {})) {
        const e = b.embedding;
        if (e) {
          rows.push(
            row(`embedding dot-product model, ${backend}, samples/s with our \`UnsortedSegmentSum\``, num(e.withFastKernel), {
              anchor: backend === 'cpu' ? README_GOALS.trainingAnchor : DASH,
            }),
          );
          if (e.withTfjsKernel !== null && e.withTfjsKernel !== undefined) rows.push(row(`the same with tfjs's own kernel, ${backend}`, `${num(e.withTfjsKernel)} (ours ${num(e.speedup)}× faster)`));
        }
        if (b.mlp) rows.push(row(`propensity MLP, ${backend}, samples/s`, num(b.mlp.samplesPerSec)));
        if (b.recommender) rows.push(row(`recommender (${b.recommender.model}, ${num(b.recommender.factors)} factors), ${backend}, interactions/s`, num(b.recommender.samplesPerSec)));
      }
      const g = d.goal;
      if (g) {
        const limit = README_GOALS.timeToGoalSeconds;
        const ease = g.ease;
        const elsa = g.elsa?.reached;
        rows.push(row(`time to the MovieLens goal (nDCG@10 ≥ ${num(g.goalNdcg10)}), EASE`, ease?.reached ? `${num(ease.seconds)} s` : 'not reached', { goal: `≤ ${num(limit)} s`, met: ease?.reached ? atMost(ease.seconds, limit) : false }));
        rows.push(row(`the same, ELSA (${num(g.elsa?.factors)} factors)`, elsa ? `${num(elsa.seconds)} s (${num(elsa.epochs)} epochs)` : 'not reached', { goal: `≤ ${num(limit)} s`, met: elsa ? atMost(elsa.seconds, limit) : false }));
      }
      for (const s of d.scaling?.elsa ?? []) {
        rows.push(row(`ELSA (${num(s.factors)} factors) at ${num(s.items)} items: seconds per ${num(s.batchSize)}-user step, process growth`, `${num(s.secondsPerStep)} s, ${num(s.rssGrowthMiB)} MiB`));
      }
      return rows;
    },
  },
  {
    name: 'retrieval',
    file: 'bench/results/retrieval.json',
    title: 'Retrieval and scoring (inference math, one core)',
    goals: `p99 ≤ ${README_GOALS.retrievalP99Ms} ms up to ${num(README_GOALS.retrievalUpToItems)} items`,
    rows: (d) => [
      ...(d.bruteForce ?? []).map((b) => {
        const inScope = b.items <= README_GOALS.retrievalUpToItems;
        return row(`brute-force top-${num(b.k)} over ${num(b.items)} items × ${num(b.dim)}, p50 / p99 per query`, `${num(b.p50Ms)} / ${num(b.p99Ms)} ms`, {
          goal: inScope ? `p99 ≤ ${num(README_GOALS.retrievalP99Ms)} ms` : DASH,
          met: inScope ? atMost(b.p99Ms, README_GOALS.retrievalP99Ms) : null,
        });
      }),
      d.scorer && row(`MLP scorer, ${num(d.scorer.rows)} rows × ${num(d.scorer.features)} features, plain JS, rows/s`, num(d.scorer.rowsPerSec)),
      d.scorer?.tfjs && row(`the same on TF.js ${d.scorer.tfjs.backend}, rows/s`, num(d.scorer.tfjs.rowsPerSec)),
    ],
  },
  {
    name: 'inference',
    file: 'bench/results/inference.json',
    title: 'Inference',
    goals: 'p99 ≤ 10 ms at 1,000 requests/s; ≥ 3,000 requests/s',
    rows: (d) => {
      const floor = d.generatorFloor;
      const floorText = floor ? `generator floor at ${num(floor.targetRps)}/s: p99 ${ms(floor.p99Ms)}` : DASH;
      const rates = Object.entries(d)
        .filter(([key, value]) => /^at\d+$/.test(key) && value)
        .sort(([, a], [, b]) => b.targetRps - a.targetRps);
      const rows = rates.map(([key, a]) => {
        const goalHere = key === 'at1000' ? d.goals?.p99MsAt1000 : undefined;
        return row(
          `\`GET /v1/users/{id}/recommendations?k=10\`, open loop at ${num(a.targetRps)} requests/s: answered per second, ok share, p50 / p99`,
          `${num(a.rps)}/s, ${pct(a.okShare)}, ${num(a.p50Ms)} / ${num(a.p99Ms)} ms`,
          { goal: goalHere === undefined ? DASH : `p99 ≤ ${num(goalHere)} ms`, anchor: floor?.targetRps === a.targetRps ? floorText : DASH, met: goalHere === undefined ? null : a.okShare === 1 && atMost(a.p99Ms, goalHere) },
        );
      });
      const s = d.saturation;
      if (s) {
        rows.push(
          row(`saturation (${num(s.connections)} connections), requests/s; p50 / p99`, `${num(d.maxRps)}; ${num(s.p50Ms)} / ${num(s.p99Ms)} ms`, {
            goal: `≥ ${num(d.goals?.maxRps)}`,
            met: atLeast(d.maxRps, d.goals?.maxRps),
          }),
        );
        if (s.answersPerServiceCpuSecond) rows.push(row('answers per service CPU-second at saturation', num(s.answersPerServiceCpuSecond)));
      }
      if (d.checks || d.servedLog) rows.push(row('answer checks / every answer logged as an impression', `${yesNo(d.checks?.ok)} / ${yesNo(d.servedLog?.ok)}`, { goal: 'yes / yes', met: d.checks?.ok === true && d.servedLog?.ok === true }));
      return rows;
    },
  },
  {
    name: 'movielens',
    file: 'eval/results/movielens.json',
    command: 'npm run eval -- movielens',
    title: 'Recommendation quality, MovieLens-100K (offline evaluation)',
    goals: 'nDCG@10 ≥ 0.48 within 10 min of training',
    rows: (d) => {
      const best = [...(d.published ?? [])].sort((a, b) => b.ndcg10 - a.ndcg10)[0];
      return [
        row(`nDCG@10 (${d.ours?.family})`, num(d.ours?.ndcg10), {
          goal: `≥ ${num(d.goal?.ndcg10)}`,
          anchor: best ? `best published: ${best.algorithm} ${num(best.ndcg10)}` : DASH,
          met: atLeast(d.ours?.ndcg10, d.goal?.ndcg10),
        }),
        row('MAP / precision@10 / recall@10', `${num(d.ours?.map)} / ${num(d.ours?.precision10)} / ${num(d.ours?.recall10)}`, {
          anchor: best ? `${best.algorithm}: ${num(best.map)} / ${num(best.precision10)} / ${num(best.recall10)}` : DASH,
        }),
        row('training time', `${num(d.trainSeconds)} s`, { goal: `≤ ${num(d.goal?.maxTrainSeconds)} s`, met: atMost(d.trainSeconds, d.goal?.maxTrainSeconds) }),
      ];
    },
  },
];

/** When a result was measured: the time the file records, else its modification time. */
export function resultDate(data, mtime) {
  return data?.timestamp ?? data?.date ?? data?.measuredAt ?? mtime ?? null;
}

/** The command that produced a file: the one it records, else the plain command of its bench (marked as inferred). */
export function resultCommand(spec, data) {
  if (data?.command) return { command: data.command, inferred: false };
  return { command: spec.command ?? `npm run bench -- ${spec.name}`, inferred: true };
}

export function machineLine(m) {
  if (!m) return 'not recorded';
  const parts = [`${m.cpus} × ${m.cpuModel}`, `${m.memGiB} GiB`, `Node ${m.node}`];
  if (m.kafkaVersion) parts.push(`Kafka ${m.kafkaVersion}${m.kafkaBrokers ? ` (${m.kafkaBrokers} broker${m.kafkaBrokers > 1 ? 's' : ''})` : ''}`);
  if (m.redisVersion) parts.push(`Redis ${m.redisVersion}`);
  if (m.os) parts.push(m.os);
  if (m.sameHost) parts.push('Kafka and Redis on the same host');
  return parts.join(', ');
}

const cell = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The status of one bench: not run, failed in the last full run, or a result on file. */
function statusOf(spec, entry, lastRun) {
  const ran = lastRun?.benches?.find((b) => b.name === spec.name);
  const date = resultDate(entry?.data, entry?.mtime);
  // A result written after that run ended comes from a later single run, which supersedes the failure.
  const rerun = date !== null && lastRun?.finishedAt && date > lastRun.finishedAt;
  if (ran && ran.exitCode !== 0 && !rerun) {
    const fromThisRun = date !== null && lastRun.startedAt && date >= lastRun.startedAt;
    return `FAILED in the last \`npm run bench\` (exit ${ran.exitCode}); ${entry?.data ? (fromThisRun ? 'figures below from that run' : `figures below from the earlier result of ${date}`) : 'no result file'}`;
  }
  if (entry?.error) return `unreadable result file: ${entry.error}`;
  if (!entry?.data) return 'not run';
  return 'ok';
}

function lastRunLine(lastRun) {
  const benches = lastRun.benches.map((b) => `${b.name} ${b.exitCode === 0 ? 'ok' : `FAILED (exit ${b.exitCode})`} in ${num(b.seconds)} s`);
  const end = lastRun.finishedAt ? `finished ${lastRun.finishedAt}, ${num(lastRun.totalSeconds)} s in all` : 'cut short';
  const skipped = lastRun.skipped?.length ? `; skipped: ${lastRun.skipped.join(', ')}` : '';
  return `Last \`npm run bench\`: started ${lastRun.startedAt}, ${end}: ${benches.length ? benches.join(', ') : 'no bench ran'}${skipped}.`;
}

/**
 * The whole RESULTS.md. `entries` maps each bench name of BENCHES to
 * `{ data, mtime, error }` (data null when the file is missing); `lastRun` is
 * the record of the last `npm run bench` or null; `generated` says when and on
 * what machine the table was written; `others` lists further result files.
 */
export function renderResultsTable({ entries, lastRun = null, generated, others = [] }) {
  const all = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, entry?.data ?? undefined]));
  const out = [];
  out.push('# Benchmark results');
  out.push('');
  out.push(
    `Generated by \`npm run bench -- table\` from the result files (\`bench/results/*.json\`, \`eval/results/movielens.json\`) at ${generated.at} on ${machineLine(generated.machine)}. Do not edit: run \`npm run bench\` (every bench, then this table) or a single bench and \`npm run bench -- table\`. Method and options: \`bench/README.md\`.`,
  );
  out.push('');
  if (lastRun) out.push(lastRunLine(lastRun), '');
  out.push('| bench | measured | status | command |');
  out.push('| --- | --- | --- | --- |');
  for (const spec of BENCHES) {
    const entry = entries[spec.name];
    const { command, inferred } = resultCommand(spec, entry?.data);
    const date = entry?.data ? resultDate(entry.data, entry.mtime) : DASH;
    out.push(`| [${spec.name}](#${spec.name}) | ${date} | ${cell(statusOf(spec, entry, lastRun))} | \`${command}\`${inferred ? ' (not recorded in the file: the default)' : ''} |`);
  }
  for (const spec of BENCHES) {
    const entry = entries[spec.name];
    const data = entry?.data;
    out.push('');
    out.push(`<a id="${spec.name}"></a>`);
    out.push(`## ${spec.title} (\`${spec.name}\`)`);
    out.push('');
    const { command } = resultCommand(spec, data);
    if (data) {
      out.push(`\`${spec.file}\`, measured ${resultDate(data, entry.mtime)} by \`${command}\` on ${machineLine(data.machine)}.${data.note ? ` ${data.note}.` : ''}`);
    } else {
      out.push(`\`${spec.file}\`: ${statusOf(spec, entry, lastRun)}.`);
    }
    out.push('');
    out.push('| figure | value | goal | anchor | met? |');
    out.push('| --- | --- | --- | --- | --- |');
    const rows = data ? spec.rows(data, all).filter(Boolean) : [row('all figures', 'not run', { goal: spec.goals })];
    for (const r of rows) out.push(`| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.goal)} | ${cell(r.anchor)} | ${yesNo(r.met)} |`);
  }
  if (others.length > 0) {
    out.push('');
    out.push('## Other result files');
    out.push('');
    for (const o of others) out.push(`- \`${o.file}\`, measured ${o.date ?? DASH}${o.command ? ` by \`${o.command}\`` : ''}`);
  }
  out.push('');
  return out.join('\n');
}

/**
 * The README's copy: every figure of every bench in one table, each with its
 * goal and whether it is met, under a line saying where and when it was
 * measured. The anchors, commands and per-bench machines stay in RESULTS.md.
 */
export function renderReadmeTable({ entries, lastRun = null, generated }) {
  const all = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, entry?.data ?? undefined]));
  const dates = BENCHES.map((spec) => (entries[spec.name]?.data ? resultDate(entries[spec.name].data, entries[spec.name].mtime) : null)).filter(Boolean).sort();
  const out = [];
  const span = dates.length ? `measured ${dates[0]}${dates.length > 1 && dates[dates.length - 1] !== dates[0] ? ` to ${dates[dates.length - 1]}` : ''}` : 'nothing measured yet';
  out.push(
    `Generated ${generated.at} from \`bench/results/*.json\` (${span}) on ${machineLine(generated.machine)}. ${lastRun ? lastRunLine(lastRun) : 'No full `npm run bench` on record.'} Commands, anchors and each run's machine: [\`bench/RESULTS.md\`](bench/RESULTS.md).`,
  );
  out.push('');
  out.push('| bench | figure | value | goal | met? |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const spec of BENCHES) {
    const entry = entries[spec.name];
    const status = statusOf(spec, entry, lastRun);
    const rows = entry?.data ? spec.rows(entry.data, all).filter(Boolean) : [row('all figures', status, { goal: spec.goals })];
    const name = status === 'ok' ? `\`${spec.name}\`` : `\`${spec.name}\` (${status})`;
    for (const r of rows) out.push(`| ${cell(name)} | ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.goal)} | ${yesNo(r.met)} |`);
  }
  return out.join('\n');
}

/** `readme` with the text between the markers replaced by `table`; null when the markers are missing or out of order. */
export function replaceReadmeTable(readme, table) {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return null;
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}

function readJson(path) {
  const stat = statSync(path);
  try {
    return { data: JSON.parse(readFileSync(path, 'utf8')), mtime: stat.mtime.toISOString(), error: null };
  } catch (error) {
    return { data: null, mtime: stat.mtime.toISOString(), error: error.message };
  }
}

/** Reads every result file the table knows (missing ones as null), the last-run record, and the other bench/results files. */
export function loadResults(root) {
  const entries = {};
  for (const spec of BENCHES) {
    const path = join(root, spec.file);
    entries[spec.name] = existsSync(path) ? readJson(path) : null;
  }
  const lastRunPath = join(root, LAST_RUN_FILE);
  const lastRun = existsSync(lastRunPath) ? readJson(lastRunPath).data : null;
  const known = new Set([...BENCHES.map((s) => s.file), LAST_RUN_FILE]);
  const dir = join(root, 'bench/results');
  const others = [];
  if (existsSync(dir)) {
    for (const name of readdirJson(dir)) {
      const file = `bench/results/${name}`;
      if (known.has(file)) continue;
      const { data, mtime } = readJson(join(root, file));
      const profiled = /^(.+)-profiled\.json$/.exec(name);
      others.push({ file, date: resultDate(data, mtime), command: data?.command ?? (profiled ? `npm run bench -- ${profiled[1]} --profile` : null) });
    }
  }
  return { entries, lastRun, others };
}

function readdirJson(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

/** This machine, as the result files describe theirs (without Kafka and Redis, which the table does not use). */
export function currentMachine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, node: process.version, os: `${os.type()} ${os.release()} (${os.arch()})` };
}

/**
 * Writes bench/RESULTS.md from the files under `root`, and the README's copy
 * between its markers (left alone when the README has none); returns the
 * paths written and how many benches have results.
 */
export function writeResultsTable(root, { now = new Date() } = {}) {
  const { entries, lastRun, others } = loadResults(root);
  const generated = { at: now.toISOString(), machine: currentMachine() };
  writeFileSync(join(root, RESULTS_MD), renderResultsTable({ entries, lastRun, others, generated }));
  const readmePath = join(root, README_MD);
  const readme = existsSync(readmePath) ? replaceReadmeTable(readFileSync(readmePath, 'utf8'), renderReadmeTable({ entries, lastRun, generated })) : null;
  if (readme !== null) writeFileSync(readmePath, readme);
  return { file: RESULTS_MD, readme: readme !== null, withResults: Object.values(entries).filter((e) => e?.data).length, of: BENCHES.length };
}
