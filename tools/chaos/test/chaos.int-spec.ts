import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@storeloop/testing';

const root = repoRoot(__dirname);

/** True when the Kafka and Redis under test are this repository's local ones, which the run may stop and start. */
function localInfraRuns(): boolean {
  const status = spawnSync('bash', [join(root, 'tools/infra/infra.sh'), 'status'], { encoding: 'utf8' });
  return /^kafka-1\s+running/m.test(status.stdout) && /^redis\s+running/m.test(status.stdout);
}

/** The run's own limit: below jest's, so a run that hangs still ends with its output rather than a bare timeout. */
const RUN_LIMIT_MS = 900_000;

function runChaos(args: string[]): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', join(root, 'tools/chaos/dist/main.js'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let timedOut = false;
    // SIGINT: the tool exits and SIGKILLs its services; the servers it may have stopped are started again below.
    const limit = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, RUN_LIMIT_MS);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(limit);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, output, timedOut });
    });
  });
}

/** The failed checks of a verdict, each with its detail lines (a stuck group's diagnosis among them). */
function failedChecks(verdict: string): string[] {
  const failed: string[][] = [];
  let inFailed = false;
  for (const line of verdict.split('\n')) {
    if (/^(PASS|FAIL)\s/.test(line)) {
      inFailed = line.startsWith('FAIL');
      if (inFailed) failed.push([line]);
    } else if (inFailed && line.startsWith(' ')) {
      failed[failed.length - 1].push(line);
    } else {
      inFailed = false;
    }
  }
  return failed.map((lines) => lines.join('\n'));
}

/** The verdict, or (when the run ended without one) the last lines the run printed. */
function verdictOf(output: string): string {
  const at = output.indexOf('chaos verdict');
  if (at >= 0) return output.slice(at);
  return `no verdict; the run's last lines:\n${output.split('\n').slice(-60).join('\n')}`;
}

describe('npm run chaos, small (built tool and services, real Kafka and Redis)', () => {
  it('passes every assertion: features and ingestion SIGKILLed mid-stream, then Redis and Kafka stopped under load', async () => {
    const outages = localInfraRuns();
    const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').length;
    const args = ['--events', '24000', '--rate', '300', '--features', '2', '--brokers', String(brokers), '--outage-seconds', '10', '--out', '.local/test-artifacts/chaos'];
    const { code, output, timedOut } = await runChaos(outages ? args : [...args, '--no-outages']);
    // A run cut short may have left Redis or Kafka stopped: the suites after this one need them.
    if (outages) spawnSync('bash', [join(root, 'tools/infra/infra.sh'), 'up'], { stdio: 'ignore', timeout: 300_000 });
    const verdict = verdictOf(output);
    console.info(verdict);
    expect(timedOut ? `the run did not end within ${RUN_LIMIT_MS / 1000} s\n${verdict}` : 'ended').toBe('ended');
    // First the failed checks alone: the CI log keeps only the start of a failure's message.
    expect(failedChecks(verdict)).toEqual([]);
    expect(verdict).toContain('every event answered 202 is on its topic exactly once');
    expect(verdict).toContain('every feature counter in Redis equals the value computed from the acknowledged events');
    expect(verdict).toContain('no consumer group stuck: lag back to 0');
    if (outages) {
      expect(verdict).toContain('Redis down: inference answers, degraded answers marked, no 5xx');
      expect(verdict).toContain('Kafka down: impressions served meanwhile were spooled and arrived afterwards');
    }
    expect(verdict).not.toMatch(/^FAIL/m);
    expect(code).toBe(0);
    const reportPath = /report: (\S+report\.json)/.exec(output)?.[1];
    expect(reportPath).toBeDefined();
    const report = JSON.parse(readFileSync(join(root, reportPath as string), 'utf8')) as { checks: { passed: boolean }[] };
    expect(report.checks.length).toBeGreaterThanOrEqual(outages ? 10 : 7);
    expect(report.checks.every((c) => c.passed)).toBe(true);
  });
});
