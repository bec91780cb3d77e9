#!/usr/bin/env node
// `npm test`: installs dependencies and test tools (tools/ensure-test-tools.sh), starts Kafka and Redis, then runs lint,
// unit tests and integration tests of every project, and prints one summary.
//   npm test                 everything
//   npm test -- --unit       lint and unit tests only (no servers)
//   npm test -- --projects=messaging,contracts   (skips the infra stop/start cycle)
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies, log, nxEnv, phase, printPhases, root, run, runOrExit } from './lib.mjs';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const projects = args.find((a) => a.startsWith('--projects='))?.split('=')[1];
const projectArgs = projects ? [`--projects=${projects}`] : [];
const resultsDir = join(root, '.local/test-results');

const FAILURE_LINES = 40;
const ansi = /\u001b\[[0-9;]*m/g;

/** The message without colours, blank lines and stack frames, cut to n lines of at most 400 characters. */
function firstLines(text, n) {
  const lines = text.replace(ansi, '').split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l));
  const kept = lines.slice(0, n).map((l) => `    ${l.slice(0, 400)}`);
  if (lines.length > n) kept.push(`    … ${lines.length - n} more line(s)`);
  return kept.join('\n');
}

/** One block per failed test or suite that failed to run: where, which, and the end of its message. */
function failuresOf(target, result) {
  const out = [];
  for (const suite of result.testResults ?? []) {
    const file = String(suite.name ?? '').replace(`${root}/`, '');
    const failedTests = (suite.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failedTests) out.push(`[${target}] ${file} › ${a.fullName}\n${firstLines((a.failureMessages ?? []).join('\n'), FAILURE_LINES)}`);
    if (suite.status === 'failed' && failedTests.length === 0) out.push(`[${target}] ${file} (suite failed to run)\n${firstLines(String(suite.message ?? ''), FAILURE_LINES)}`);
  }
  return out;
}

function summarize() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let suitesFailed = 0;
  const rows = [];
  const failures = [];
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort()) {
    const result = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    failures.push(...failuresOf(file.replace(/\.json$/, ''), result));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    skipped += result.numPendingTests + result.numTodoTests;
    suitesFailed += result.numFailedTestSuites + (result.numRuntimeErrorTestSuites ?? 0);
    rows.push(`  ${file.replace(/\.json$/, '').padEnd(34)} ${String(result.numPassedTests).padStart(4)} passed ${String(result.numFailedTests).padStart(3)} failed`);
  }
  log('test results by project and target:');
  for (const row of rows) log(row);
  // Repeated at the end because CI keeps only the tail of what a run printed.
  if (failures.length) {
    log(`what failed (${failures.length}), each message cut to ${FAILURE_LINES} lines:`);
    for (const f of failures) process.stdout.write(`${f}\n`);
  }
  return { passed, failed, skipped, suitesFailed };
}

async function main() {
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  await phase('install', ensureDependencies);
  // Helm for the chart checks (unit), Chromium for the dashboard's browser test, a compose client for docker-compose.yml.
  await phase('tools', () => runOrExit('bash', ['tools/ensure-test-tools.sh']));
  if (!unitOnly) await phase('infra', () => runOrExit('bash', ['tools/infra/infra.sh', 'up']));

  const codes = [];
  codes.push(
    await phase('lint+types+unit', () =>
      run('npx', ['nx', 'run-many', '-t', 'lint', 'typecheck', 'test', '--parallel=2', '--outputStyle=stream', ...projectArgs], { env: nxEnv }),
    ),
  );
  if (!unitOnly) {
    codes.push(
      await phase('integration', () =>
        run('npx', ['nx', 'run-many', '-t', 'integration', '--parallel=1', '--outputStyle=stream', ...projectArgs], { env: nxEnv }),
      ),
    );
    // Last: it stops and restarts the shared infrastructure (and tries three brokers).
    if (!projects) {
      codes.push(await phase('infra-cycle', () => run('npx', ['nx', 'run', 'infra:cycle', '--outputStyle=stream'], { env: nxEnv })));
    }
  }

  const { passed, failed, skipped, suitesFailed } = summarize();
  printPhases();
  const ok = codes.every((c) => c === 0) && failed === 0 && suitesFailed === 0 && passed > 0;
  if (suitesFailed > 0) log(`${suitesFailed} test suite(s) failed to run`);
  if (codes.some((c) => c !== 0)) log('a lint, build or test target failed (see its output above)');
  // The closing line CI reads.
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  log(error.stack ?? String(error));
  process.exit(1);
});
