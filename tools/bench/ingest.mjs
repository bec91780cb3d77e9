// `npm run bench -- ingest`: throughput of the ingestion service on both ways in.
//
//   http  autocannon POSTs batches of realistic events (500 by default) to
//         /v1/events for a fixed time; events/s = events accepted in 202
//         answers / seconds; p50/p99 request latency. The service's own
//         raw-topic consumer runs meanwhile, as in production; how far it kept
//         up, how long its backlog took to drain, and that every accepted
//         event reached retail.events.v1 exactly once are reported too.
//   raw   N events are produced to the raw topic first (a backlog, as after an
//         outage or a bulk import); then a fresh service consumes them and the
//         time from its first committed transaction until its consumer group
//         has committed all N (read by polling the group's offsets, which
//         commit inside the same transactions as the output) gives events/s.
//         A read_committed consumer then counts N distinct events on
//         retail.events.v1.
//
// Each phase has its own topic prefix, consumer group and Redis key prefix;
// all are deleted at the end. Kafka and Redis are left running.
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { datasetStreams, interleavedBatches, serializeEvent, typeCounts, validateSample } from './events.mjs';
import {
  KAFKA_BROKERS,
  REDIS_URL,
  countTopic,
  dedupMarkKey,
  deleteBenchKafkaState,
  deleteRedisKeys,
  ensureBuilt,
  ensureInfra,
  formatRate,
  cpuMeter,
  groupLag,
  infraPids,
  kafkaClient,
  waitQuiet,
  unlinkKeys,
  log,
  machineInfo,
  onCleanup,
  provisionPrefixedTopics,
  require,
  root,
  round,
  runId,
  sha256Hex,
  startService,
  table,
  writeResult,
} from './lib.mjs';
import { summarizeProfile, formatProfile } from './profile-top.mjs';

const GOAL_EVENTS_PER_SEC = 50_000;
const PROFILE_DIR = '.local/prof';

function progressBar(format) {
  const { SingleBar, Presets } = require('cli-progress');
  return new SingleBar({ format, hideCursor: true, clearOnComplete: false, stopOnComplete: false, noTTYOutput: false }, Presets.shades_classic);
}

/** The service's environment for one phase. */
function serviceEnv(ctx, phase, extra = {}) {
  return {
    KAFKA_BROKERS,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: ctx.prefix(phase),
    KAFKA_CLIENT_ID: `storeloop-ingestion-bench-${phase}`,
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    INGEST_CONSUMER_GROUP: ctx.group(phase),
    API_KEYS: `bench:ingest:${sha256Hex(ctx.secret)}:100000`,
    RATE_LIMIT_BURST: '100000',
    INGEST_MAX_EVENTS: String(Math.max(1000, ctx.options.batch)),
    INGEST_MAX_BYTES: String(Math.max(1024 * 1024, ctx.options.batch * 2048)),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

function profileArgs(ctx, phase, replica) {
  if (!ctx.options.profile) return { nodeArgs: [], file: null };
  const name = `ingestion-${phase}${ctx.options.replicas > 1 ? `-r${replica}` : ''}-${ctx.run}.cpuprofile`;
  return { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}`], file: join(root, PROFILE_DIR, name) };
}

/** `--replicas` instances of the service for one phase: same topics, consumer group and Redis, own ports. */
async function startReplicas(ctx, phase, extraEnv = {}) {
  const replicas = [];
  for (let r = 1; r <= ctx.options.replicas; r++) {
    const profile = profileArgs(ctx, phase, r);
    const service = await startService('ingestion', {
      env: serviceEnv(ctx, phase, extraEnv),
      nodeArgs: profile.nodeArgs,
      logName: `ingestion-${phase}${ctx.options.replicas > 1 ? `-r${r}` : ''}`,
    });
    service.profileFile = profile.file;
    ctx.services.add(service);
    replicas.push(service);
  }
  log(`${phase}: ${replicas.length} ingestion replica(s) ready (logs ${replicas.map((s) => relative(root, s.logFile)).join(', ')})`);
  return replicas;
}

async function stopReplicas(ctx, phase, replicas) {
  for (const service of replicas) {
    const code = await service.stop();
    ctx.services.delete(service);
    if (code !== 0) log(`${phase}: a replica exited with ${code}; see ${relative(root, service.logFile)}`);
  }
}

/** The first replica's profile and the measured window in its own clock. */
function profileOf(replicas, fromMs, toMs) {
  const [first] = replicas;
  if (!first.profileFile) return null;
  return {
    file: relative(root, first.profileFile),
    otherReplicas: replicas.slice(1).map((s) => relative(root, s.profileFile)),
    window: { from: round((fromMs - first.spawnedAt) / 1000, 1), to: round((toMs - first.spawnedAt) / 1000, 1) },
  };
}

/** Waits until the group has committed everything on `topic` (lag 0, twice in a row). */
async function waitDrained(admin, group, topic, timeoutMs) {
  const started = Date.now();
  let zeroes = 0;
  let last;
  while (Date.now() - started < timeoutMs) {
    last = await groupLag(admin, group, topic);
    zeroes = last.lag === 0 && last.high > 0 ? zeroes + 1 : 0;
    if (zeroes >= 2) return { ...last, seconds: (Date.now() - started) / 1000 };
    await sleep(200);
  }
  throw new Error(`the consumer group ${group} still lags ${last?.lag} record(s) on ${topic} after ${timeoutMs / 1000} s`);
}

/**
 * The dedup marks of every event id this run handed out, as the service names
 * them (services/ingestion/src/intake/deduplicator.ts: sha256 of tenant, source
 * and id). Cleanup deletes them by name as well as by the run's key prefix:
 * ioredis' keyPrefix does not apply to `redis.call(...)`, which the
 * deduplicator's SET NX GET uses, so today the marks land unprefixed.
 */
function* dedupMarks(ctx, batches) {
  const size = ctx.options.batch;
  for (let k = 0; k < ctx.issued.httpBodies; k++) {
    const b = k % batches.length;
    const gen = Math.floor(k / batches.length);
    for (let i = 0; i < size; i++) yield dedupMarkKey(batches[b].events[i].source, `${ctx.run}-h${gen}-${b * size + i}`);
  }
  if (ctx.issued.rawEvents > 0) {
    const all = batches.flatMap((b) => b.events);
    for (let i = 0; i < ctx.issued.rawEvents; i++) yield dedupMarkKey(all[i % all.length].source, `${ctx.run}-r${Math.floor(i / all.length)}-${i}`);
  }
}

const causationId = (message) => message.headers?.causationid?.toString() ?? message.value.toString();

/** Phase (a): HTTP. */
async function httpPhase(ctx, batches) {
  const autocannon = require('autocannon');
  const { options, admin } = ctx;
  const phase = 'http';
  const rawTopic = `${ctx.prefix(phase)}retail.events.raw.v1`;
  const eventsTopic = `${ctx.prefix(phase)}retail.events.v1`;

  // A pool of distinct bodies; when it runs out, the next generation rewrites every id.
  const marker = (gen) => `"id":"${ctx.run}-h${gen}-`;
  const pool = batches.map((b, k) => `[${b.events.map((e, i) => serializeEvent(e, `${ctx.run}-h0-${k * options.batch + i}`)).join(',')}]`);
  const poolBytes = pool.reduce((n, body) => n + Buffer.byteLength(body), 0);
  log(`http: ${pool.length} distinct bodies of ${options.batch} events (${(poolBytes / pool.length / 1024).toFixed(0)} KiB each)`);
  let nextBody = 0;
  const bodyFor = () => {
    const k = nextBody++;
    ctx.issued.httpBodies = nextBody;
    const gen = Math.floor(k / pool.length);
    const body = pool[k % pool.length];
    return gen === 0 ? body : body.replaceAll(marker(0), marker(gen));
  };

  const replicas = await startReplicas(ctx, phase, options.httpConsumer ? {} : { INGEST_CONSUME_RAW: 'false' });

  let tally;
  const freshTally = () => ({ accepted: 0, duplicates: 0, rejected: 0, statuses: {}, samples: [] });
  const fire = (seconds, connections, title) =>
    new Promise((resolve, reject) => {
      tally = freshTally();
      const current = tally;
      const bar = process.stdout.isTTY ? progressBar(`  ${title} [{bar}] {value}/{total} s | 2xx {ok} | accepted {accepted} events`) : null;
      bar?.start(seconds, 0, { ok: 0, accepted: 0 });
      const started = Date.now();
      const ticker = setInterval(() => bar?.update(Math.min(seconds, Math.round((Date.now() - started) / 1000)), { ok: current.statuses['202'] ?? 0, accepted: current.accepted }), 1000);
      autocannon(
        {
          // Several URLs: autocannon spreads the connections over the replicas.
          url: replicas.length === 1 ? `${replicas[0].url}/v1/events` : replicas.map((s) => `${s.url}/v1/events`),
          connections,
          duration: seconds,
          timeout: 30,
          headers: { 'content-type': 'application/json', 'x-api-key': ctx.secret },
          requests: [
            {
              method: 'POST',
              setupRequest: (request) => ({ ...request, body: bodyFor() }),
              onResponse: (status, body) => {
                current.statuses[status] = (current.statuses[status] ?? 0) + 1;
                if (status >= 200 && status < 300) {
                  try {
                    const answer = JSON.parse(body);
                    current.accepted += answer.accepted;
                    current.duplicates += answer.duplicates;
                    current.rejected += answer.rejected.length;
                    if (answer.rejected.length > 0 && current.samples.length < 3) current.samples.push({ status, body: body.slice(0, 600) });
                  } catch {
                    if (current.samples.length < 3) current.samples.push({ status, body: String(body).slice(0, 600) });
                  }
                } else if (current.samples.length < 5) {
                  current.samples.push({ status, body: String(body).slice(0, 600) });
                }
              },
            },
          ],
        },
        (error, result) => {
          clearInterval(ticker);
          bar?.update(seconds, { ok: current.statuses['202'] ?? 0, accepted: current.accepted });
          bar?.stop();
          if (error) reject(error);
          else resolve({ result, tally: current });
        },
      );
    });

  const pids = { ...ctx.infraPids, service: replicas.map((s) => s.child.pid) };
  const quiet = options.quietWait > 0 ? await waitQuiet(pids, options.quietWait) : null;
  let warm = { tally: freshTally() };
  const loadStarted = Date.now();
  if (options.warmup > 0) {
    log(`http: warm-up ${options.warmup} s`);
    warm = await fire(options.warmup, options.connections, 'warm-up');
  }
  const before = await groupLag(admin, ctx.group(phase), rawTopic).catch(() => ({ processed: 0, high: 0, lag: 0 }));
  log(`http: ${options.duration} s, ${options.connections} connections, ${options.batch} events per request`);
  const meter = cpuMeter(pids);
  const measuredFrom = Date.now();
  const { result, tally: measured } = await fire(options.duration, options.connections, 'http   ');
  const cpu = meter();
  const profile = profileOf(replicas, measuredFrom, Date.now());
  const after = await groupLag(admin, ctx.group(phase), rawTopic);

  const non2xx = result.non2xx + result.errors + result.timeouts;
  if (non2xx > 0 || measured.rejected > 0 || measured.duplicates > 0) {
    log(`http: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${measured.rejected} rejected, ${measured.duplicates} duplicates; status counts ${JSON.stringify(measured.statuses)}`);
    for (const sample of measured.samples) log(`  ${sample.status}: ${sample.body}`);
  }

  // The consumer's side: what it processed while HTTP ran, and how long the rest took.
  let drain = null;
  let verify = null;
  if (options.httpConsumer) {
    log('http: waiting for the raw-topic consumer to drain its backlog');
    drain = await waitDrained(admin, ctx.group(phase), rawTopic, options.drainTimeout * 1000);
    drain.at = Date.now();
    const expected = drain.high;
    log(`http: counting ${expected.toLocaleString('en-US')} events on ${eventsTopic} (read_committed)`);
    const counted = await countTopic(ctx.kafka, eventsTopic, { expected, idOf: causationId });
    const acceptedTotal = warm.tally.accepted + measured.accepted;
    verify = {
      acceptedIn202: acceptedTotal,
      rawRecords: expected,
      eventsRecords: counted.records,
      eventsDistinct: counted.distinct,
      // Requests cut off when autocannon stopped may have been written without their 202 reaching it.
      ok: counted.records === counted.distinct && counted.distinct === expected && expected >= acceptedTotal,
    };
    if (!verify.ok) log(`http: VERIFY FAILED ${JSON.stringify(verify)}`);
  }

  await stopReplicas(ctx, phase, replicas);

  const seconds = result.duration;
  return {
    eventsPerSec: round(measured.accepted / seconds, 0),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requestsPerSec: round(result['2xx'] / seconds, 1),
    p90Ms: result.latency.p90,
    maxMs: result.latency.max,
    seconds,
    connections: options.connections,
    replicas: replicas.length,
    eventsPerRequest: options.batch,
    bodyKiB: round(poolBytes / pool.length / 1024, 1),
    requests2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts: measured.statuses,
    acceptedEvents: measured.accepted,
    duplicates: measured.duplicates,
    rejected: measured.rejected,
    warmupSeconds: options.warmup,
    cpu,
    otherCoresBefore: quiet?.coresUsed.other ?? null,
    eventsPerServiceCpuSecond: cpu.coresUsed.service ? round(measured.accepted / (cpu.coresUsed.service * cpu.wallSeconds), 0) : null,
    consumerRunning: options.httpConsumer,
    consumer: options.httpConsumer
      ? {
          eventsPerSecDuringHttp: round((after.processed - before.processed) / seconds, 0),
          backlogAtEnd: after.lag,
          drainSeconds: round(drain.seconds, 1),
          // Everything the HTTP load wrote, from the first warm-up request until it was all on retail.events.v1.
          endToEndEventsPerSec: round(drain.high / ((drain.at - loadStarted) / 1000), 0),
        }
      : null,
    verify,
    profile,
  };
}

/** Phase (b): the raw topic, consumed from a backlog. */
async function rawPhase(ctx, batches) {
  const { Partitioners, CompressionTypes } = require('kafkajs');
  const { partitionKeyOf, CLOUDEVENTS_JSON_CONTENT_TYPE } = require('@storeloop/contracts');
  const { options, admin, kafka } = ctx;
  const phase = 'raw';
  const n = options.rawEvents;
  const rawTopic = `${ctx.prefix(phase)}retail.events.raw.v1`;
  const eventsTopic = `${ctx.prefix(phase)}retail.events.v1`;
  await provisionPrefixedTopics(admin, ctx.prefix(phase));

  // Producer records, in the interleaved order of the batches, ids unique per generation.
  const all = batches.flatMap((b) => b.events);
  const records = new Array(n);
  ctx.issued.rawEvents = n;
  for (let i = 0; i < n; i++) {
    const event = all[i % all.length];
    const gen = Math.floor(i / all.length);
    records[i] = {
      key: partitionKeyOf(event),
      value: serializeEvent(event, `${ctx.run}-r${gen}-${i}`),
      headers: { 'content-type': CLOUDEVENTS_JSON_CONTENT_TYPE },
    };
  }

  log(`raw: producing ${n.toLocaleString('en-US')} events to ${rawTopic}`);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const chunk = 2000;
  const inFlight = 4;
  const produceStart = Date.now();
  let cursor = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (cursor < n) {
        const from = cursor;
        cursor += chunk;
        await producer.send({ topic: rawTopic, acks: -1, compression: CompressionTypes.None, messages: records.slice(from, Math.min(n, from + chunk)) });
      }
    }),
  );
  const produceSeconds = (Date.now() - produceStart) / 1000;
  await producer.disconnect();
  log(`raw: produced in ${produceSeconds.toFixed(1)} s (${formatRate(n / produceSeconds)} events/s)`);

  const quiet = options.quietWait > 0 ? await waitQuiet(ctx.infraPids, options.quietWait) : null;
  const spawned = Date.now();
  const replicas = await startReplicas(ctx, phase);
  const ready = Date.now();
  log(`raw: ready after ${((ready - spawned) / 1000).toFixed(1)} s; consuming`);

  const bar = process.stdout.isTTY ? progressBar('  raw     [{bar}] {value}/{total} events | {rate} events/s') : null;
  bar?.start(n, 0, { rate: '-' });
  let first = null;
  let done = null;
  let meter = null;
  let cpu = null;
  const deadline = Date.now() + options.rawTimeout * 1000;
  while (Date.now() < deadline) {
    const exited = replicas.find((s) => s.child.exitCode !== null);
    if (exited) throw new Error(`a replica exited with ${exited.child.exitCode}:\n${exited.output()}`);
    const { processed } = await groupLag(admin, ctx.group(phase), rawTopic);
    const now = Date.now();
    if (first === null && processed > 0) {
      first = { at: now, processed };
      meter = cpuMeter({ ...ctx.infraPids, service: replicas.map((s) => s.child.pid) });
    }
    if (first && now > first.at) bar?.update(processed, { rate: formatRate((processed - first.processed) / ((now - first.at) / 1000)) });
    if (processed >= n) {
      done = { at: now, processed };
      cpu = meter();
      break;
    }
    await sleep(100);
  }
  bar?.stop();
  if (!done) throw new Error(`raw: the consumer did not finish ${n} events within ${options.rawTimeout} s`);
  const seconds = (done.at - first.at) / 1000;

  log(`raw: counting ${n.toLocaleString('en-US')} events on ${eventsTopic} (read_committed)`);
  const counted = await countTopic(kafka, eventsTopic, { expected: n, idOf: causationId });
  const verify = { produced: n, eventsRecords: counted.records, eventsDistinct: counted.distinct, ok: counted.records === n && counted.distinct === n };
  if (!verify.ok) log(`raw: VERIFY FAILED ${JSON.stringify(verify)}`);

  await stopReplicas(ctx, phase, replicas);

  return {
    eventsPerSec: round((n - first.processed) / seconds, 0),
    events: n,
    seconds: round(seconds, 2),
    firstCommitAfterReadySeconds: round((first.at - ready) / 1000, 2),
    eventsInFirstPoll: first.processed,
    mode: 'backlog (produced before the service started)',
    cpu,
    otherCoresBefore: quiet?.coresUsed.other ?? null,
    eventsPerServiceCpuSecond: cpu.coresUsed.service ? round((n - first.processed) / (cpu.coresUsed.service * cpu.wallSeconds), 0) : null,
    producer: { eventsPerSec: round(n / produceSeconds, 0), seconds: round(produceSeconds, 2), batch: chunk, inFlight, acks: 'all' },
    verify,
    replicas: replicas.length,
    profile: profileOf(replicas, first.at, done.at),
  };
}

function printSummary(result) {
  const rows = [['path', 'events/s', 'p50 ms', 'p99 ms', 'goal', 'notes']];
  if (result.http) {
    const h = result.http;
    const consumer = h.consumer
      ? `; consumer alongside ${formatRate(h.consumer.eventsPerSecDuringHttp)}/s, drained in ${h.consumer.drainSeconds} s (end to end ${formatRate(h.consumer.endToEndEventsPerSec)}/s)`
      : '';
    rows.push([
      'http POST /v1/events',
      formatRate(h.eventsPerSec),
      h.p50Ms,
      h.p99Ms,
      `${Math.round((100 * h.eventsPerSec) / GOAL_EVENTS_PER_SEC)}%`,
      `${h.replicas > 1 ? `${h.replicas} replicas; ` : ''}${h.requests2xx} x 2xx (${h.eventsPerRequest}/req, ${h.connections} conn), non-2xx ${h.non2xx + h.errors + h.timeouts}${consumer}; verify ${h.verify ? (h.verify.ok ? 'ok' : 'FAILED') : 'skipped'}`,
    ]);
  }
  if (result.raw) {
    const r = result.raw;
    rows.push([
      'raw topic consumer',
      formatRate(r.eventsPerSec),
      '-',
      '-',
      `${Math.round((100 * r.eventsPerSec) / GOAL_EVENTS_PER_SEC)}%`,
      `${r.replicas > 1 ? `${r.replicas} replicas; ` : ''}${r.events.toLocaleString('en-US')} events in ${r.seconds} s; producer ${formatRate(r.producer.eventsPerSec)}/s; verify ${r.verify.ok ? 'ok' : 'FAILED'}`,
    ]);
  }
  const m = result.machine;
  process.stdout.write(`\n${table(rows)}\n`);
  const cpuRows = [['cores busy (avg)', 'service', 'kafka', 'redis', 'bench', 'other', 'machine', 'events per service CPU-s']];
  for (const phase of ['http', 'raw']) {
    const r = result[phase];
    if (!r?.cpu) continue;
    const c = r.cpu.coresUsed;
    cpuRows.push([phase, c.service, c.kafka ?? '-', c.redis ?? '-', c.bench, c.other, `${c.machine}/${r.cpu.machineCores}`, formatRate(r.eventsPerServiceCpuSecond)]);
  }
  if (cpuRows.length > 1) process.stdout.write(`\n${table(cpuRows)}\n`);
  process.stdout.write(`goal ${formatRate(GOAL_EVENTS_PER_SEC)} events/s per path; ${m.cpus} x ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}, Kafka ${m.kafkaVersion}, Redis ${m.redisVersion}, ${m.os}\n\n`);
}

/** Entry point, called by bench.mjs with commander's parsed options. */
export async function runIngestBench(options) {
  const startedAt = new Date();
  if (!options.skipBuild) await ensureBuilt(['ingestion', 'contracts', 'messaging', 'testing']);
  await ensureInfra();
  const machine = await machineInfo();

  log('generating events from the datasets (MovieLens-100K, CDNOW, M5 subset)');
  const streams = await datasetStreams();
  const sample = validateSample(streams);
  const counts = typeCounts(streams);
  const total = streams.reduce((n, s) => n + s.events.length, 0);
  log(`${total.toLocaleString('en-US')} events (${streams.map((s) => `${s.name} ${s.events.length.toLocaleString('en-US')}`).join(', ')}); ${sample.checked} sampled events pass parseEvent`);
  const batches = interleavedBatches(streams, options.batch);

  const run = runId();
  const kafka = kafkaClient(`storeloop-bench-${run}`);
  const admin = kafka.admin();
  await admin.connect();
  const ctx = {
    run,
    options,
    kafka,
    admin,
    secret: randomBytes(24).toString('base64url'),
    redisPrefix: `bench:${run}:`,
    prefix: (phase) => `bench-${run}-${phase}.`,
    group: (phase) => `bench-${run}-${phase}`,
    services: new Set(),
    infraPids: await infraPids(),
    issued: { httpBodies: 0, rawEvents: 0 },
  };
  const cleanup = onCleanup(async () => {
    for (const service of ctx.services) await service.stop(5000).catch(() => undefined);
    if (options.keep) {
      log(`kept topics bench-${run}-*, groups and Redis keys ${ctx.redisPrefix}*`);
    } else {
      const topics = await deleteBenchKafkaState(admin, [ctx.prefix('http'), ctx.prefix('raw')], [ctx.group('http'), ctx.group('raw')]).catch((error) => {
        log(`could not delete the bench topics: ${error.message}`);
        return [];
      });
      const keys = await Promise.all([deleteRedisKeys(REDIS_URL, ctx.redisPrefix), unlinkKeys(REDIS_URL, dedupMarks(ctx, batches))])
        .then(([a, b]) => a + b)
        .catch((error) => {
          log(`could not delete the bench Redis keys: ${error.message}`);
          return 0;
        });
      log(`cleaned up: ${topics.length} topics, ${keys} Redis keys`);
    }
    await admin.disconnect().catch(() => undefined);
  });

  const result = {
    bench: 'ingest',
    timestamp: startedAt.toISOString(),
    goalEventsPerSec: GOAL_EVENTS_PER_SEC,
    http: null,
    raw: null,
    machine,
    settings: {
      phases: options.phases,
      durationSeconds: options.duration,
      warmupSeconds: options.warmup,
      connections: options.connections,
      replicas: options.replicas,
      eventsPerRequest: options.batch,
      rawEvents: options.rawEvents,
      httpConsumer: options.httpConsumer,
      quietWaitSeconds: options.quietWait,
      profiled: Boolean(options.profile),
      service: 'node services/ingestion/dist/main.js, LOG_LEVEL=warn, defaults otherwise (INGEST_MAX_HANDLER_BATCH 1000, one transaction per slice)',
      kafkaBrokers: KAFKA_BROKERS,
      dataset: { events: total, byType: counts, bySource: Object.fromEntries(streams.map((s) => [s.name, s.events.length])) },
    },
  };
  try {
    if (options.phases.includes('http')) result.http = await httpPhase(ctx, batches);
    if (options.phases.includes('raw')) result.raw = await rawPhase(ctx, batches);
  } finally {
    await cleanup();
  }

  printSummary(result);
  for (const phase of ['http', 'raw']) {
    const profile = result[phase]?.profile;
    if (!profile) continue;
    try {
      const summary = summarizeProfile(join(root, profile.file), 15, profile.window);
      process.stdout.write(`\nCPU profile of the service in the measured ${phase} window (${profile.file}):\n${formatProfile(summary)}\n`);
      result[phase].profile.summary = summary;
    } catch (error) {
      log(`no profile for ${phase}: ${error.message}`);
    }
  }
  log(`results written to ${writeResult(options.out, result)}`);
  const failed = (result.http && (result.http.non2xx + result.http.errors + result.http.timeouts > 0 || result.http.verify?.ok === false)) || result.raw?.verify.ok === false;
  return failed ? 1 : 0;
}
