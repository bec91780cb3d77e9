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

function runChaos(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', join(root, 'tools/chaos/dist/main.js'), ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run chaos, small (built tool and services, real Kafka and Redis)', () => {
  it('passes every assertion: features and ingestion SIGKILLed mid-stream, then Redis and Kafka stopped under load', async () => {
    const outages = localInfraRuns();
    const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').length;
    const args = ['--events', '24000', '--rate', '300', '--features', '2', '--brokers', String(brokers), '--outage-seconds', '10', '--out', '.local/test-artifacts/chaos'];
    const { code, output } = await runChaos(outages ? args : [...args, '--no-outages']);
    console.info(output.slice(output.indexOf('chaos verdict')));
    const verdict = output.slice(output.indexOf('chaos verdict'));
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
