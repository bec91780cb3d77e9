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

function summarize() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let suitesFailed = 0;
  const rows = [];
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json')).sort()) {
    const result = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
    passed += result.numPassedTests;
    failed += result.numFailedTests;
    skipped += result.numPendingTests + result.numTodoTests;
    suitesFailed += result.numFailedTestSuites + (result.numRuntimeErrorTestSuites ?? 0);
    rows.push(`  ${file.replace(/\.json$/, '').padEnd(34)} ${String(result.numPassedTests).padStart(4)} passed ${String(result.numFailedTests).padStart(3)} failed`);
  }
  log('test results by project and target:');
  for (const row of rows) log(row);
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
