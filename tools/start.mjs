#!/usr/bin/env node
// `npm start`: installs what is missing, builds, starts Kafka and Redis (unless
// KAFKA_BROKERS and REDIS_URL point elsewhere) and all five services, prints
// their health and URLs, and runs until Ctrl-C, then stops everything it started.
//   npm start                  the platform (dataset replay arrives with the quickstart issue)
//   npm start -- --no-replay   the platform alone
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDependencies, log, nxEnv, phase, root, runOrExit } from './lib.mjs';

const SERVICES = [
  { name: 'ingestion', port: 3001 },
  { name: 'features', port: 3002 },
  { name: 'training', port: 3003 },
  { name: 'inference', port: 3004 },
  { name: 'replenishment', port: 3005 },
];
const logsDir = join(root, '.local/logs');
const externalInfra = Boolean(process.env.KAFKA_BROKERS && process.env.REDIS_URL);
const running = [];
// A key for this run unless the caller configured keys: services refuse requests without one.
const devKey = process.env.API_KEYS || process.env.API_KEYS_FILE ? undefined : `dev-${randomBytes(18).toString('base64url')}`;
const keyEnv = devKey ? { API_KEYS: `dev:ingest+infer+admin:${createHash('sha256').update(devKey).digest('hex')}` } : {};

async function readiness(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { status: 0, body: { error: error.message } };
  }
}

function startService({ name, port }) {
  const out = createWriteStream(join(logsDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    cwd: root,
    env: { ...process.env, ...keyEnv, PORT: process.env[`${name.toUpperCase()}_PORT`] ?? String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  child.on('exit', (code, signal) => {
    if (!stopping) log(`${name} exited unexpectedly (${code ?? signal}); see .local/logs/${name}.log`);
  });
  running.push({ name, port, child });
}

let stopping = false;
async function stopAll(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping services`);
  await Promise.all(
    running.map(
      ({ name, child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          child.once('exit', (code) => {
            clearTimeout(timer);
            log(`  ${name} stopped (${code ?? 'signal'})`);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (!externalInfra) await runOrExit('bash', ['tools/infra/infra.sh', 'down']);
  process.exit(0);
}

async function main() {
  await phase('install', ensureDependencies);
  await phase('build', () => runOrExit('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { env: nxEnv }));
  if (externalInfra) log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} and the configured REDIS_URL`);
  else await phase('infra', () => runOrExit('bash', ['tools/infra/infra.sh', 'up']));

  mkdirSync(logsDir, { recursive: true });
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  await phase('services', async () => {
    for (const service of SERVICES) startService(service);
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const states = await Promise.all(running.map((s) => readiness(s.port)));
      if (states.every((s) => s.status === 200)) return;
      await sleep(500);
    }
    log('not every service became ready within 90 s; the table below says which and why');
  });

  log('service        url                      ready  kafka  redis');
  for (const { name, port } of running) {
    const { status, body } = await readiness(port);
    const dep = (key) => body.details?.[key]?.status ?? '-';
    log(`${name.padEnd(14)} http://127.0.0.1:${port}   ${String(status === 200).padEnd(6)} ${dep('kafka').padEnd(6)} ${dep('redis')}`);
  }
  log('health: /health/live /health/ready   metrics: /metrics   logs: .local/logs/<service>.log');
  log('ingestion API: POST http://127.0.0.1:3001/v1/events   docs: http://127.0.0.1:3001/docs');
  if (devKey) log(`API key for this run (scopes ingest, infer, admin): ${devKey}`);
  if (!process.argv.includes('--no-replay')) {
    log('dataset replay, training and the storefront loop arrive with the quickstart issue; running the platform alone');
  }
  log('press Ctrl-C to stop');
}

main().catch(async (error) => {
  log(error.stack ?? String(error));
  await stopAll('error');
});
