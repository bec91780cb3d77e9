// `npm run bench -- inference`: recommendations served by the inference
// service (services/inference) from MovieLens-100K features and a champion
// model trained on them (tools/bench/movielens-serving.mjs, cached).
//
//   checks      before any load: a known user gets k distinct items from the
//               prepared model version, an unknown user a cold-start list, a
//               request with &store= only items in stock there.
//   floor       the same generator against a no-op server for `--floor-seconds`:
//               the latency this machine adds to every request.
//   warm-up     autocannon, closed loop, `--warmup` seconds.
//   fixed rate  an open-loop generator (below) sends GET
//               /v1/users/{id}/recommendations?k=10 at exactly 500 and 1,000
//               requests/s, evenly spaced, for `--duration` s each; latency
//               from the moment a request is issued to its last byte.
//   saturation  autocannon, `--connections` connections, no rate limit:
//               maxRps is the 2xx answers per second.
//   logging     every list served is an impression on retail.feedback.v1:
//               after the load, the records on the run's topic are counted
//               against the 2xx answers.
//
// Why not autocannon's `overallRate` for the fixed rates: autocannon paces
// each connection per second (it sends the second's quota back to back,
// then waits for the next second), so "1,000 req/s" arrives as bursts of
// ~1,000 requests in the first 300-500 ms of every second, and latency is
// measured under those bursts. The generator here spaces requests 1 ms
// apart instead, and does not wait for answers (no coordinated omission).
//
// Requests cycle over the 943 real users in a seeded order; a share are ids
// the store has never seen (cold start), a share carry &store=.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareServing, stockOf, STORES } from './movielens-serving.mjs';
import { formatProfile, summarizeProfile } from './profile-top.mjs';
import {
  KAFKA_BROKERS,
  REDIS_URL,
  countTopic,
  cpuMeter,
  deleteBenchKafkaState,
  ensureBuilt,
  ensureInfra,
  formatRate,
  infraPids,
  kafkaClient,
  log,
  machineInfo,
  onCleanup,
  percentile,
  require,
  root,
  round,
  runId,
  sha256Hex,
  startService,
  table,
  waitQuiet,
  writeResult,
} from './lib.mjs';

const GOAL_P99_MS_AT_1000 = 10;
const GOAL_MAX_RPS = 3000;
const PATHS_IN_CYCLE = 20_000;
const RSS_SAMPLE_MS = 500;
const PROFILE_DIR = '.local/prof';

/** The request paths of a run, in order: seeded, so every run asks the same questions. */
export function requestPaths(users, { k, unknownShare, storeShare, seed, count = PATHS_IN_CYCLE }) {
  const { mulberry32 } = require('@storeloop/ml');
  const random = mulberry32(seed);
  const order = [...users];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const paths = new Array(count);
  let next = 0;
  for (let i = 0; i < count; i++) {
    const unknown = random() < unknownShare;
    const user = unknown ? `ml-guest-${1 + Math.floor(random() * 100_000)}` : order[next++ % order.length];
    const store = random() < storeShare ? `&store=${STORES[Math.floor(random() * STORES.length)]}` : '';
    paths[i] = `/v1/users/${encodeURIComponent(user)}/recommendations?k=${k}${store}`;
  }
  return paths;
}

/** 2xx answers per CPU-second of the service: stays comparable when other processes share the cores. */
function perServiceCpuSecond(r) {
  const cores = r.cpu?.coresUsed.service;
  return cores ? round(r.ok / (cores * r.cpu.wallSeconds), 0) : null;
}

/** Nearest-rank percentiles of latencies in ms (0.01 ms resolution). */
function latencySummary(values) {
  const sorted = Float64Array.from(values).sort();
  const at = (p) => round(percentile(sorted, p), 2);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : null;
  return { p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), p999Ms: at(99.9), maxMs: round(sorted[sorted.length - 1], 2), meanMs: round(mean, 2) };
}

/**
 * Open-loop load: request i is due at start + i / rate; a 1 ms timer issues
 * every request that is due, whether or not earlier ones were answered.
 * Latency runs from issue to the last byte of the answer (a request that
 * waits for a free socket waits on the clock). `lag` is how late the timer
 * issued requests: when its p99 is large the generator, not the service,
 * was the bottleneck.
 */
export async function pacedLoad({ url, paths, firstPath = 0, rate, seconds, headers, maxSockets = 256, warmSockets = 16, timeoutMs = 10_000, drainMs = 15_000 }) {
  const { hostname, port } = new URL(url);
  // lifo: the most recently freed socket goes first, so a light load keeps a few connections hot.
  const agent = new http.Agent({ keepAlive: true, maxSockets, scheduling: 'lifo' });
  // Connections opened before the clock starts: the first second must not pay TCP handshakes the steady state does not.
  const warmed = await Promise.all(
    Array.from({ length: warmSockets }, (_, i) =>
      new Promise((resolve) => {
        const request = http.request({ hostname, port, path: paths[i % paths.length], agent, headers, timeout: timeoutMs }, (response) => {
          response.on('data', () => undefined);
          response.on('end', () => resolve(response.statusCode < 300 ? 1 : 0));
          response.on('error', () => resolve(0));
        });
        request.on('error', () => resolve(0));
        request.end();
      }),
    ),
  );
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies = [];
  const lags = new Float64Array(total);
  const statuses = {};
  const errorCodes = {};
  let errors = 0;
  let timeouts = 0;
  let issued = 0;
  let completed = 0;
  let abandoned = 0;
  const inFlight = new Set();
  return new Promise((resolve) => {
    const start = performance.now() + 10;
    let lastDone = start;
    let finished = false;
    // An overloaded service would otherwise keep the phase running until the agent's queue drains.
    const deadline = setTimeout(() => {
      abandoned = inFlight.size;
      lastDone = performance.now();
      finish();
    }, seconds * 1000 + drainMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      for (const request of inFlight) request.destroy();
      agent.destroy();
      const wall = (lastDone - start) / 1000;
      const ok = latencies.length;
      lags.sort();
      resolve({
        targetRps: rate,
        seconds: round(wall, 2),
        requests: total,
        rps: round(ok / wall, 1),
        // Percentiles are over the 2xx answers: below 1, what was not answered is missing from them.
        okShare: round(ok / total, 4),
        ...latencySummary(latencies),
        ok,
        non2xx: Object.entries(statuses).reduce((n, [status, count]) => n + (Number(status) >= 300 ? count : 0), 0),
        errors: errors + abandoned,
        timeouts,
        /** Still unanswered `drainMs` after the last request was due: given up, counted with the errors. */
        abandoned,
        statusCounts: statuses,
        errorCodes,
        /** Answers to the requests that opened the connections (not measured). */
        warmupOk: warmed.reduce((n, ok) => n + ok, 0),
        generatorLagMs: { p50: round(percentile(lags, 50), 2), p99: round(percentile(lags, 99), 2), max: round(lags[lags.length - 1], 2) },
      });
    };
    const done = () => {
      if (finished) return;
      lastDone = performance.now();
      if (++completed === total) finish();
    };
    const issue = (i, now) => {
      lags[i] = now - (start + i * interval);
      let settled = false;
      const failed = (error) => () => {
        errors++;
        errorCodes[error.code ?? error.message] = (errorCodes[error.code ?? error.message] ?? 0) + 1;
      };
      let request = null;
      const settle = (record) => {
        if (settled || finished) return;
        settled = true;
        inFlight.delete(request);
        record();
        done();
      };
      request = http.request({ hostname, port, path: paths[(firstPath + i) % paths.length], agent, headers, timeout: timeoutMs }, (response) => {
        response.on('data', () => undefined);
        response.on('end', () =>
          settle(() => {
            statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
            if (response.statusCode < 300) latencies.push(performance.now() - now);
          }),
        );
        response.on('error', (error) => settle(failed(error)));
      });
      request.on('timeout', () => {
        settle(() => timeouts++);
        request.destroy();
      });
      request.on('error', (error) => settle(failed(error)));
      inFlight.add(request);
      request.end();
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (issued < due) issue(issued++, now);
      if (issued < total && !finished) setTimeout(tick, 1);
    };
    setTimeout(tick, 10);
  });
}

/** A no-op HTTP server in its own process, answering a small JSON body at once. */
const NOOP_SERVER = `require('node:http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{"items":[]}'); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });`;

/**
 * The generator's own floor: the same open-loop load against a no-op server
 * in another process. Its p99 is what this machine adds to any measured
 * latency (timers, scheduling, loopback); a service figure near it is noise.
 */
async function generatorFloor(rate, seconds) {
  const child = spawn(process.execPath, ['-e', NOOP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
      child.once('exit', (code) => reject(new Error(`the no-op server exited with ${code}`)));
    });
    const r = await pacedLoad({ url: `http://127.0.0.1:${port}`, paths: ['/'], rate, seconds, headers: {} });
    return { targetRps: rate, seconds, p50Ms: r.p50Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, maxMs: r.maxMs, okShare: r.okShare, generatorLagMs: r.generatorLagMs };
  } finally {
    child.kill();
  }
}

/** Closed-loop load with autocannon (warm-up and saturation); counts statuses itself. */
function autocannonLoad({ url, paths, firstPath = 0, connections, seconds, headers }) {
  const autocannon = require('autocannon');
  const statuses = {};
  let next = firstPath;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration: seconds,
        timeout: 10,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length] }),
            onResponse: (status) => {
              statuses[status] = (statuses[status] ?? 0) + 1;
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const ok = result['2xx'];
        resolve({
          connections,
          seconds: result.duration,
          rps: round(ok / result.duration, 1),
          // autocannon records whole milliseconds.
          p50Ms: result.latency.p50,
          p90Ms: result.latency.p90,
          p99Ms: result.latency.p99,
          p999Ms: result.latency.p99_9,
          maxMs: result.latency.max,
          meanMs: round(result.latency.mean, 2),
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCounts: statuses,
          issued: next - firstPath,
        });
      },
    );
  });
}

/** Resident set size of a process in MiB (Linux /proc), null when unreadable. */
function rssMiB(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : round(Number(kb) / 1024, 1);
  } catch {
    return null;
  }
}

/** Samples the service's RSS every 500 ms; `take()` returns and resets the current window's max and last value. */
function rssSampler(pid) {
  let max = null;
  let last = null;
  const timer = setInterval(() => {
    const now = rssMiB(pid);
    if (now === null) return;
    last = now;
    max = Math.max(max ?? 0, now);
  }, RSS_SAMPLE_MS);
  timer.unref();
  return {
    take() {
      const window = { maxMiB: max, lastMiB: last ?? rssMiB(pid) };
      max = null;
      return window;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Waits (up to `maxSeconds`) until the service uses under 0.1 core over a
 * second: after an overloaded phase it is still answering requests the
 * generator gave up on, which would otherwise load the next phase.
 */
async function waitServiceIdle(pid, maxSeconds) {
  const deadline = Date.now() + maxSeconds * 1000;
  for (;;) {
    const read = cpuMeter({ service: pid });
    await sleep(1000);
    const cores = read().coresUsed.service;
    if (cores === null || cores < 0.1) return cores;
    if (Date.now() >= deadline) {
      log(`the service still uses ${cores} cores after ${maxSeconds} s (backlog of the previous phase)`);
      return cores;
    }
  }
}

async function getJson(service, path, headers) {
  const response = await fetch(`${service.url}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // reported below with the raw text
  }
  return { status: response.status, body, text: text.slice(0, 500) };
}

/**
 * What a storefront relies on, checked before measuring: known users get k
 * distinct items from the prepared version, unknown users a cold-start
 * list, a store filter only items with stock there.
 */
async function preflight(service, headers, prepared, k) {
  const failures = [];
  const known = prepared.users.slice(0, 5);
  let answers = 0;
  for (const user of known) {
    const { status, body, text } = await getJson(service, `/v1/users/${user}/recommendations?k=${k}`, headers);
    answers += status === 200 ? 1 : 0;
    if (status !== 200 || !Array.isArray(body?.items)) {
      failures.push(`known user ${user}: HTTP ${status} ${text}`);
      continue;
    }
    const skus = body.items.map((item) => item.sku);
    if (skus.length !== k || new Set(skus).size !== k) failures.push(`known user ${user}: expected ${k} distinct items, got ${JSON.stringify(skus)}`);
    if (body.coldStart) failures.push(`known user ${user}: answered as a cold start`);
    if (body.modelVersion !== prepared.model.version) failures.push(`known user ${user}: model version ${body.modelVersion}, expected ${prepared.model.version}`);
  }
  const cold = await getJson(service, `/v1/users/ml-guest-preflight/recommendations?k=${k}`, headers);
  answers += cold.status === 200 ? 1 : 0;
  if (cold.status !== 200 || !Array.isArray(cold.body?.items) || cold.body.items.length === 0) failures.push(`unknown user: HTTP ${cold.status} ${cold.text}`);
  else if (!cold.body.coldStart) failures.push('unknown user: not answered as a cold start');
  for (const store of STORES) {
    const user = prepared.users[7];
    const { status, body, text } = await getJson(service, `/v1/users/${user}/recommendations?k=${k}&store=${store}`, headers);
    answers += status === 200 ? 1 : 0;
    if (status !== 200 || !Array.isArray(body?.items)) {
      failures.push(`store ${store}: HTTP ${status} ${text}`);
      continue;
    }
    const outOfStock = body.items.map((item) => item.sku).filter((sku) => stockOf(sku, store) === 0);
    if (outOfStock.length > 0) failures.push(`store ${store}: recommended out-of-stock items ${outOfStock.join(', ')}`);
  }
  return { ok: failures.length === 0, failures, answers };
}

/** Every impression on the run's feedback topic, against the 2xx answers (answers cut off when a load stopped may add a few). */
async function countServed(kafka, topic, expected) {
  const { EventType } = require('@storeloop/contracts');
  let served = 0;
  const counted = await countTopic(kafka, topic, {
    expected,
    idleMs: 15_000,
    idOf: (message) => {
      const event = JSON.parse(message.value.toString());
      if (event.type === EventType.RecommendationServed) served++;
      return event.data?.recommendationId ?? event.id;
    },
  });
  return { expected, records: counted.records, served, distinctRecommendations: counted.distinct, ok: served >= expected && counted.distinct === served };
}

const goal = (met) => (met ? 'met' : 'NOT met');

function printSummary(result) {
  const rows = [['phase', 'target req/s', 'achieved 2xx/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors', 'non-2xx', 'RSS MiB', 'notes']];
  const row = (name, r, notes) =>
    rows.push([name, r.targetRps ? formatRate(r.targetRps) : '-', formatRate(r.rps), r.p50Ms, r.p99Ms, r.p999Ms, r.maxMs, r.errors + r.timeouts, r.non2xx, r.rss?.maxMiB ?? '-', notes]);
  const floor = result.generatorFloor;
  if (floor) rows.push([`no-op floor`, formatRate(floor.targetRps), '-', floor.p50Ms, floor.p99Ms, floor.p999Ms, floor.maxMs, '-', '-', '-', `the generator against a no-op server (${floor.seconds} s): what this machine adds to every latency`]);
  const fixed = [['500 req/s', result.at500], ['1,000 req/s', result.at1000], ...Object.values(result.otherRates ?? {}).map((r) => [`${formatRate(r.targetRps)} req/s`, r])];
  for (const [name, r] of fixed.sort(([, a], [, b]) => (a?.targetRps ?? 0) - (b?.targetRps ?? 0))) {
    if (r) row(name, r, `open loop; ${round(100 * r.okShare, 1)} % answered 2xx; generator lag p99 ${r.generatorLagMs.p99} ms; service ${r.cpu?.coresUsed.service ?? '-'} cores, others ${r.cpu?.coresUsed.other ?? '-'}`);
  }
  const sat = result.saturation;
  if (sat) {
    row('saturation', sat, `${sat.connections} connections (autocannon, whole-ms latencies); service ${sat.cpu?.coresUsed.service ?? '-'} cores, others ${sat.cpu?.coresUsed.other ?? '-'}; ${formatRate(sat.answersPerServiceCpuSecond)} answers per service CPU-s`);
  }
  process.stdout.write(`\n${table(rows)}\n`);
  const g = result.goals;
  process.stdout.write(
    `goals: p99 <= ${g.p99MsAt1000} ms at 1,000 req/s: ${result.at1000 ? goal(result.goalsMet.p99At1000) : '-'} (${result.at1000?.p99Ms ?? '-'} ms); ` +
      `>= ${formatRate(g.maxRps)} req/s at saturation: ${result.saturation ? goal(result.goalsMet.maxRps) : '-'} (${formatRate(result.maxRps)})\n`,
  );
  if (result.servedLog) process.stdout.write(`impressions on ${result.servedLog.topic}: ${result.servedLog.served.toLocaleString('en-US')} for ${result.servedLog.expected.toLocaleString('en-US')} 2xx answers (${result.servedLog.ok ? 'ok' : 'MISSING'})\n`);
  const m = result.model;
  const mc = result.machine;
  process.stdout.write(`model ${m.name}/${m.version}: ${m.items} items x ${m.dim}, scorer AUC ${round(m.metrics.auc, 3)}; ${mc.cpus} x ${mc.cpuModel}, Node ${mc.node}, Redis ${mc.redisVersion}, Kafka ${mc.kafkaVersion}\n\n`);
}

/** Entry point, called by bench.mjs with commander's parsed options. */
export async function runInferenceBench(options) {
  const startedAt = new Date();
  if (!options.skipBuild) await ensureBuilt(options.prepareOnly ? ['ml', 'feature-store', 'testing'] : ['inference', 'ml', 'feature-store', 'testing']);
  await ensureInfra();
  const prepared = await prepareServing({ dataDir: options.dataDir, refresh: options.refresh, redisUrl: REDIS_URL });
  if (options.prepareOnly) {
    log(`prepared: ${prepared.model.name}/${prepared.model.version} in ${relative(root, prepared.store.dir)}, features under ${prepared.redis.prefix} (${prepared.cached ? 'cached' : 'new'})`);
    return 0;
  }
  const machine = await machineInfo();
  const run = runId();
  const prefix = `bench-${run}-inf.`;
  const secret = randomBytes(24).toString('hex');
  const headers = { 'x-api-key': secret };
  const spoolDir = join(root, '.local/bench/inference', `spool-${run}`);
  const env = {
    KAFKA_BROKERS,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_CLIENT_ID: 'storeloop-inference-bench',
    REDIS_KEY_PREFIX: prepared.redis.prefix,
    ARTIFACT_STORE: 'filesystem',
    ARTIFACT_DIR: prepared.store.dir,
    INFERENCE_MODEL_NAME: prepared.model.name,
    INFERENCE_MODELS_GROUP: `bench-${run}-inf-models`,
    INFERENCE_SPOOL_DIR: spoolDir,
    API_KEYS: `bench:infer:${sha256Hex(secret)}:1000000`,
    RATE_LIMIT_BURST: '1000000',
    LOG_LEVEL: 'warn',
  };
  const paths = requestPaths(prepared.users, { k: options.k, unknownShare: options.unknownShare, storeShare: options.storeShare, seed: 42 });

  const kafka = kafkaClient(`storeloop-bench-${run}`);
  const admin = kafka.admin();
  await admin.connect();
  let service = null;
  let rss = null;
  const cleanup = onCleanup(async () => {
    rss?.stop();
    // A profile is written only when the service exits by itself: give its shutdown time before SIGKILL.
    if (service) await service.stop(options.profile ? 60_000 : 10_000).catch(() => undefined);
    if (options.keep) {
      log(`kept topics ${prefix}*, groups bench-${run}-* and ${relative(root, spoolDir)}`);
    } else {
      const groups = (await admin.listGroups().catch(() => ({ groups: [] }))).groups.map((g) => g.groupId).filter((id) => id.startsWith(`bench-${run}`));
      const topics = await deleteBenchKafkaState(admin, [prefix], groups).catch((error) => {
        log(`could not delete the bench topics: ${error.message}`);
        return [];
      });
      rmSync(spoolDir, { recursive: true, force: true });
      log(`cleaned up: ${topics.length} topics, ${groups.length} consumer groups`);
    }
    await admin.disconnect().catch(() => undefined);
  });

  const result = {
    bench: 'inference',
    timestamp: startedAt.toISOString(),
    goals: { p99MsAt1000: GOAL_P99_MS_AT_1000, maxRps: GOAL_MAX_RPS },
    maxRps: null,
    at1000: null,
    at500: null,
    saturation: null,
    goalsMet: null,
    profile: null,
    generatorFloor: null,
    checks: null,
    servedLog: null,
    model: { name: prepared.model.name, version: prepared.model.version, items: prepared.model.items, dim: prepared.model.dim, scorerColumns: prepared.model.scorerColumns, metrics: prepared.model.metrics },
    machine,
    config: {
      endpoint: `GET /v1/users/{userId}/recommendations?k=${options.k}[&store=]`,
      users: prepared.users.length,
      unknownUserShare: options.unknownShare,
      storeShare: options.storeShare,
      stores: STORES,
      warmupSeconds: options.warmup,
      warmupConnections: Math.min(8, options.connections),
      rates: options.rates,
      rateSeconds: options.duration,
      rateDriver: 'open loop: request i issued at start + i/rate by a 1 ms timer, keep-alive agent (up to 256 sockets), latency from issue to last byte',
      saturationSeconds: options.saturationSeconds,
      saturationConnections: options.connections,
      saturationDriver: 'autocannon closed loop, no rate limit',
      quietWaitSeconds: options.quietWait,
      service: 'node services/inference/dist/main.js, one instance, LOG_LEVEL=warn, INFERENCE_* defaults; artifact store filesystem; features in the local Redis',
      prepared: { key: prepared.key, preparedAt: prepared.preparedAt, cached: prepared.cached, dataset: prepared.dataset, redis: prepared.redis, timings: prepared.timings },
      kafkaBrokers: KAFKA_BROKERS,
    },
  };

  let served = 0;
  const count = (r) => {
    served += r.ok + (r.warmupOk ?? 0);
    return r;
  };
  try {
    const spawned = Date.now();
    const profileName = options.profile ? `inference-${run}.cpuprofile` : null;
    const nodeArgs = profileName ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileName}`] : [];
    service = await startService('inference', { env, nodeArgs, logName: 'inference', readyTimeoutMs: 120_000 });
    result.config.readySeconds = round((Date.now() - spawned) / 1000, 1);
    rss = rssSampler(service.child.pid);
    result.config.rssAtReadyMiB = rssMiB(service.child.pid);
    log(`inference ready after ${result.config.readySeconds} s (RSS ${result.config.rssAtReadyMiB} MiB, log ${relative(root, service.logFile)})`);

    result.checks = await preflight(service, headers, prepared, options.k);
    served += result.checks.answers;
    if (!result.checks.ok) log(`checks FAILED:\n  ${result.checks.failures.join('\n  ')}`);
    if (result.checks.answers === 0) throw new Error(`the service answered no recommendation request; see ${relative(root, service.logFile)}`);

    const pids = { ...(await infraPids()), service: service.child.pid };
    if (options.floorSeconds > 0) {
      const rate = Math.max(...options.rates);
      if (options.quietWait > 0) await waitQuiet(pids, options.quietWait);
      result.generatorFloor = await generatorFloor(rate, options.floorSeconds);
      log(`generator floor at ${formatRate(rate)} req/s against a no-op server: p50 ${result.generatorFloor.p50Ms} ms, p99 ${result.generatorFloor.p99Ms} ms, p99.9 ${result.generatorFloor.p999Ms} ms`);
    }
    let cursor = 0;
    if (options.warmup > 0) {
      log(`warm-up: ${options.warmup} s, ${result.config.warmupConnections} connections`);
      const warm = count(await autocannonLoad({ url: service.url, paths, connections: result.config.warmupConnections, seconds: options.warmup, headers }));
      cursor += warm.issued;
      result.config.warmup = { rps: warm.rps, ok: warm.ok, non2xx: warm.non2xx, errors: warm.errors };
    }
    for (const rate of options.rates) {
      await waitServiceIdle(service.child.pid, 60);
      const quiet = options.quietWait > 0 ? await waitQuiet(pids, options.quietWait) : null;
      log(`fixed rate: ${formatRate(rate)} req/s for ${options.duration} s`);
      rss.take();
      const meter = cpuMeter(pids);
      const r = count(await pacedLoad({ url: service.url, paths, firstPath: cursor, rate, seconds: options.duration, headers }));
      cursor += r.requests;
      const phase = { ...r, cpu: meter(), rss: rss.take(), otherCoresBefore: quiet?.coresUsed.other ?? null };
      phase.answersPerServiceCpuSecond = perServiceCpuSecond(phase);
      log(`  p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms, p99.9 ${phase.p999Ms} ms, ${formatRate(phase.rps)} 2xx/s, ${phase.errors + phase.timeouts} errors, ${phase.non2xx} non-2xx`);
      if (rate === 500) result.at500 = phase;
      else if (rate === 1000) result.at1000 = phase;
      else (result.otherRates ??= {})[`at${rate}`] = phase;
    }
    if (options.saturationSeconds > 0) {
      await waitServiceIdle(service.child.pid, 60);
      const quiet = options.quietWait > 0 ? await waitQuiet(pids, options.quietWait) : null;
      log(`saturation: ${options.connections} connections for ${options.saturationSeconds} s`);
      rss.take();
      const meter = cpuMeter(pids);
      const from = Date.now();
      const r = count(await autocannonLoad({ url: service.url, paths, firstPath: cursor, connections: options.connections, seconds: options.saturationSeconds, headers }));
      result.saturation = { ...r, cpu: meter(), rss: rss.take(), otherCoresBefore: quiet?.coresUsed.other ?? null };
      result.saturation.answersPerServiceCpuSecond = perServiceCpuSecond(result.saturation);
      if (profileName) {
        // The profile is written when the service exits; the window is in the service's own clock.
        result.profile = { file: join(PROFILE_DIR, profileName), window: { from: round((from - service.spawnedAt) / 1000, 1), to: round((Date.now() - service.spawnedAt) / 1000, 1) } };
      }
      result.maxRps = r.rps;
      log(`  ${formatRate(r.rps)} 2xx/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.errors + r.timeouts} errors, ${r.non2xx} non-2xx`);
    }
    result.config.rssAtEndMiB = rssMiB(service.child.pid);
    const topic = `${prefix}${require('@storeloop/contracts').TOPICS.feedback.name}`;
    log(`counting impressions on ${topic} (expect ${served.toLocaleString('en-US')})`);
    result.servedLog = { topic, ...(await countServed(kafka, topic, served)) };
  } finally {
    await cleanup();
  }

  result.goalsMet = {
    p99At1000: result.at1000 !== null && result.at1000.errors + result.at1000.timeouts + result.at1000.non2xx === 0 && result.at1000.p99Ms <= GOAL_P99_MS_AT_1000,
    maxRps: result.maxRps !== null && result.maxRps >= GOAL_MAX_RPS,
  };
  printSummary(result);
  if (result.profile) {
    try {
      result.profile.summary = summarizeProfile(join(root, result.profile.file), 15, result.profile.window);
      process.stdout.write(`CPU profile of the service in the saturation window (${result.profile.file}):\n${formatProfile(result.profile.summary)}\n`);
    } catch (error) {
      log(`no profile: ${error.message}`);
    }
  }
  log(`results written to ${writeResult(options.out, result)}`);
  return result.checks?.ok && result.servedLog?.ok ? 0 : 1;
}
