// `npm run bench` with no bench name: every bench in turn, each in its own
// process with its default options (as `npm run bench -- <name>` runs it), then
// bench/RESULTS.md. The run is recorded in bench/results/last-run.json (which
// benches ran, how long each took and how each exited) after every bench, so
// the table can mark a failure even when the run is cut short. A failing bench
// does not stop the others; the run exits non-zero at the end.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { log, root, run } from '../lib.mjs';
import { LAST_RUN_FILE, writeResultsTable } from './results-table.mjs';

/** In this order: features before freshness, whose default load is half the features throughput. */
export const ALL_BENCHES = ['ingest-steps', 'ingest', 'features', 'freshness', 'retrieval', 'training', 'inference'];

function writeLastRun(record) {
  const path = join(root, LAST_RUN_FILE);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}

const seconds = (from) => Math.round((Date.now() - from) / 100) / 10;

/** Entry point, called by bench.mjs with commander's parsed options (`skip`: bench names to leave out). */
export async function runAllBenches({ skip = [] }) {
  const unknown = skip.filter((name) => !ALL_BENCHES.includes(name));
  if (unknown.length > 0) throw new Error(`--skip: unknown bench ${unknown.join(', ')} (known: ${ALL_BENCHES.join(', ')})`);
  const names = ALL_BENCHES.filter((name) => !skip.includes(name));
  const started = Date.now();
  const record = { startedAt: new Date(started).toISOString(), finishedAt: null, totalSeconds: null, skipped: skip, benches: [] };
  for (const [index, name] of names.entries()) {
    log(`bench ${index + 1}/${names.length}: npm run bench -- ${name}`);
    const from = Date.now();
    const exitCode = await run(process.execPath, [join(root, 'tools/bench/bench.mjs'), name]);
    record.benches.push({ name, command: `npm run bench -- ${name}`, exitCode, seconds: seconds(from) });
    log(`bench ${name}: ${exitCode === 0 ? 'ok' : `FAILED (exit ${exitCode})`} in ${seconds(from)} s`);
    writeLastRun(record);
  }
  record.finishedAt = new Date().toISOString();
  record.totalSeconds = seconds(started);
  writeLastRun(record);
  const written = writeResultsTable(root);
  const failed = record.benches.filter((b) => b.exitCode !== 0);
  log(`all benches: ${record.totalSeconds} s in all; ${failed.length ? `FAILED: ${failed.map((b) => b.name).join(', ')}` : 'all passed'}; wrote ${written.file}${written.readme ? ' and the table in README.md' : ''}`);
  return failed.length ? 1 : 0;
}
