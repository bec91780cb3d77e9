#!/usr/bin/env node
// `npm start`: installs what is missing, builds, starts Kafka and Redis (unless
// KAFKA_BROKERS and REDIS_URL point elsewhere) and all five services, then
// replays the datasets, trains, plays a storefront and prints a report
// (tools/quickstart), prints the URLs and runs until Ctrl-C, then stops
// everything it started.
//   npm start                  the whole story (about 10-20 minutes on two cores)
//   npm start -- --no-replay   the platform alone
//   npm start -- --help        every option
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDependencies, log, nxEnv, phase, root, runOrExit } from './lib.mjs';

/**
 * Settings of the story, only when replaying (your own environment wins): attribution
 * windows of seconds instead of 30 min / 24 h so impressions are labelled while you
 * watch; training by hand (the story decides when) on a smaller window; a learned
 * replenishment policy for the M5 stores (tenant m5) trained on 40 series; no rate
 * limit on the run's own key.
 */
const QUICKSTART_ENV = {
  all: { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000' },
  features: { FEATURES_CLICK_WINDOW_MS: '10000', FEATURES_PURCHASE_WINDOW_MS: '20000', FEATURES_ATTRIBUTION_GRACE_MS: '2000' },
  training: {
    TRAINING_TRIGGER_INTERVAL_MS: '0',
    TRAINING_TRIGGER_NEW_EXAMPLES: '0',
    TRAINING_TRIGGER_DRIFT: 'false',
    TRAINING_WINDOW_MAX_EXAMPLES: '40000',
    TRAINING_MAX_EPOCHS: '8',
    TRAINING_PATIENCE: '2',
    TRAINING_EMBEDDING_EPOCHS: '8',
    TRAINING_PROMOTION_MARGIN: '0',
  },
  inference: { INFERENCE_CATALOG_REFRESH_MS: '5000', INFERENCE_ONLINE_METRICS_REFRESH_MS: '1000' },
  replenishment: {
    REPLENISHMENT_TENANT: 'm5',
    REPLENISHMENT_RETRAIN_INTERVAL_MS: '0',
    REPLENISHMENT_TRAIN_MAX_SERIES: '40',
    REPLENISHMENT_TRAIN_STATES: '4000',
    REPLENISHMENT_TRAIN_EPOCHS: '30',
  },
};

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

const portOf = ({ name, port }) => process.env[`${name.toUpperCase()}_PORT`] ?? String(port);

async function readiness(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(3000) });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { status: 0, body: { error: error.message } };
  }
}

function startService({ name, port }, replaying) {
  const out = createWriteStream(join(logsDir, `${name}.log`), { flags: 'a' });
  const story = replaying ? { ...QUICKSTART_ENV.all, ...QUICKSTART_ENV[name] } : {};
  // The dashboard (served by inference) calls the other services with the run's key.
  const dashboard =
    name === 'inference'
      ? {
          DASHBOARD_TARGETS: SERVICES.map((s) => `${s.name}=http://127.0.0.1:${portOf(s)}`).join(','),
          ...(devKey ? { DASHBOARD_API_KEY: devKey } : {}),
        }
      : {};
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    cwd: root,
    env: { ...story, ...dashboard, ...process.env, ...keyEnv, PORT: portOf({ name, port }) },
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
async function stopAll(signal, exitCode = 0) {
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
  process.exit(exitCode);
}

async function main() {
  await phase('install', ensureDependencies);
  const { Command } = await import('commander');
  const options = new Command('npm start --')
    .description('Builds and starts Storeloop, replays the datasets, trains, plays a storefront and prints a report; runs until Ctrl-C')
    .option('--no-replay', 'run the platform alone: no datasets, no story')
    .option('--data-dir <dir>', 'dataset directory (default: STORELOOP_DATA_DIR, else ../shared/data)')
    .option('--rate <events>', 'replay rate through POST /v1/events, events per second', (v) => positiveInt(v, '--rate'), 4000)
    .option('--m5-days <days>', 'newest M5 days replayed (the policy needs at least 88)', (v) => positiveInt(v, '--m5-days'), 120)
    .option('--challengers <runs>', 'challenger runs tried after the first model', (v) => positiveInt(v, '--challengers'), 3)
    .option('--screenshot <file>', 'after the report, save a screenshot of the dashboard (needs Chromium: CHROMIUM_PATH or /usr/bin/chromium)')
    .option('--exit', 'stop everything after the report instead of running until Ctrl-C')
    .parse(process.argv)
    .opts();
  await phase('build', () => runOrExit('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { env: nxEnv }));
  if (externalInfra) log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS} and the configured REDIS_URL`);
  else await phase('infra', () => runOrExit('bash', ['tools/infra/infra.sh', 'up']));

  mkdirSync(logsDir, { recursive: true });
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  await phase('services', async () => {
    for (const service of SERVICES) startService(service, options.replay);
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
  if (options.replay) {
    const report = await phase('story', () => runStory(options));
    process.stdout.write(`\n${report}\n\n`);
    log('report saved to .local/quickstart/report.txt and report.json');
  }
  const url = (name) => `http://127.0.0.1:${portOf(SERVICES.find((s) => s.name === name))}`;
  log(`dashboard: ${url('inference')}/dashboard   (paste the API key below)`);
  log(`ingestion API: POST ${url('ingestion')}/v1/events   API docs: <service url>/docs`);
  log(`recommendations: GET ${url('inference')}/v1/users/<userId>/recommendations   (e.g. ml-user-1)`);
  if (devKey) log(`API key for this run (scopes ingest, infer, admin): ${devKey}`);
  if (options.exit) return stopAll('--exit');
  log('press Ctrl-C to stop');
}

function positiveInt(value, flag) {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    log(`${flag} takes a positive whole number, not "${value}"`);
    process.exit(2);
  }
  return n;
}

/** The quickstart story (tools/quickstart, built above) against the services just started. */
async function runStory(options) {
  const { runQuickstart, formatReport } = await import('./quickstart/dist/main.js');
  const env = process.env;
  const urls = Object.fromEntries(SERVICES.map((s) => [s.name, `http://127.0.0.1:${portOf(s)}`]));
  const apiKey = devKey ?? env.STORELOOP_API_KEY;
  if (!apiKey) throw new Error('API_KEYS is configured: set STORELOOP_API_KEY to a key with the ingest, infer and admin scopes for the story');
  const report = await runQuickstart({
    urls,
    apiKey,
    dataDir: options.dataDir,
    rate: options.rate,
    m5Days: options.m5Days,
    challengers: options.challengers,
    cdnowTenant: 'cdnow',
    storesTenant: env.REPLENISHMENT_TENANT ?? QUICKSTART_ENV.replenishment.REPLENISHMENT_TENANT,
    modelName: env.TRAINING_MODEL_NAME ?? 'ranker',
    groups: {
      ingestion: env.INGEST_CONSUMER_GROUP ?? 'storeloop-ingestion',
      features: env.FEATURES_CONSUMER_GROUP ?? 'storeloop-features',
      training: env.TRAINING_CONSUMER_GROUP ?? 'storeloop-training',
    },
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'sl:',
    outDir: join(root, '.local/quickstart'),
    screenshot: options.screenshot,
    root,
    log,
  });
  return formatReport(report);
}

main().catch(async (error) => {
  log(error.stack ?? String(error));
  await stopAll('error', 1);
});
