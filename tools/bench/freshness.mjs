// `npm run bench -- freshness`: end-to-end freshness, from `POST /v1/events`
// (answered 202 by the ingestion service) to the event's effect readable in
// the online feature store, through the whole path: HTTP, the raw topic,
// ingestion's raw-topic consumer (validation, dedup, exactly-once write to
// retail.events.v1) and the features service (exactly-once apply to Redis).
//
//   load    an open-loop generator POSTs, every --send-every ms (100), the events due by then
//           at `--rate` events/s (without waiting for earlier answers) as one
//           JSON array: the real interleaved dataset sequence (MovieLens
//           clickstream, CDNOW and M5 orders, M5 stock events) with, every
//           `--probe-every`-th event, a probe instead.
//   probe   a product view, at the send time, by one of 100 probe shoppers of
//           a SKU no other event names (`FRESH-<run>-<n>`): its item's
//           all-time view count turns from absent to 1 when its effect is
//           applied, whatever else is in flight or in which order.
//   poll    every ~5 ms one pipeline reads the view count of every probe sent
//           and not yet seen; a probe is fresh at the reply of the first
//           poll that shows it (an upper bound; the poll before gives the
//           lower bound, also stored). Freshness runs from the request's
//           issue; `sinceAccepted` from its 202.
//   check   after the run every probe is read back through the feature-store
//           library (readItemViews): each must count exactly one view.
//
// Both services are the built ones (services/<name>/dist), one process each,
// on their own topic prefix, consumer groups and Redis key prefix, all deleted
// at the end unless --keep.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { datasetStreams, interleavedBatches, serializeEvent, typeCounts, validateSample } from './events.mjs';
import {
  KAFKA_BROKERS,
  REDIS_URL,
  cpuMeter,
  dedupMarkKey,
  deleteBenchKafkaState,
  deleteRedisKeys,
  ensureBuilt,
  ensureInfra,
  formatRate,
  infraPids,
  kafkaClient,
  log,
  machineInfo,
  markFeatureStoreReady,
  onCleanup,
  percentile,
  provisionPrefixedTopics,
  require,
  root,
  round,
  runId,
  sha256Hex,
  startService,
  table,
  unlinkKeys,
  waitQuiet,
  waitStableGroup,
  writeResult,
} from './lib.mjs';

const TENANT = 'default';
const POLL_MS = 5;
const PROBE_USERS = 100;
const PROBE_SOURCE = '/bench/freshness';
/** Requests in flight at most; a tick that finds this many waits (counted as delayed). */
const MAX_IN_FLIGHT = 64;
/** Events per request at most: ingestion's INGEST_MAX_EVENTS (default 1,000). A sender that fell behind catches up in several requests. */
const MAX_EVENTS_PER_REQUEST = Number(process.env.INGEST_MAX_EVENTS ?? 1000);
/** How long after the last send the bench waits for probes still unseen. */
const DRAIN_SECONDS = 60;
/** The fallback load when bench/results/features.json holds no measured throughput. */
const FALLBACK_RATE = 1000;
const FEATURES_RESULT = 'bench/results/features.json';

/**
 * The default load: half the features service's measured events/s (the same
 * share its own freshness phase uses), from the latest features result.
 */
export function defaultRate(file = join(root, FEATURES_RESULT)) {
  if (!existsSync(file)) return { rate: FALLBACK_RATE, from: `${FALLBACK_RATE} events/s (no ${FEATURES_RESULT})` };
  const measured = JSON.parse(readFileSync(file, 'utf8')).eventsPerSec;
  if (!(measured > 0)) return { rate: FALLBACK_RATE, from: `${FALLBACK_RATE} events/s (${FEATURES_RESULT} holds no eventsPerSec)` };
  return { rate: Math.max(1, Math.round(measured / 2)), from: `half of eventsPerSec ${measured} in ${FEATURES_RESULT}` };
}

/** Nearest-rank percentiles and the share under one second of a list of milliseconds. */
export function latencySummary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (v) => round(v, 1);
  return {
    count: sorted.length,
    p50Ms: ms(percentile(sorted, 50)),
    p95Ms: ms(percentile(sorted, 95)),
    p99Ms: ms(percentile(sorted, 99)),
    maxMs: ms(sorted[sorted.length - 1]),
    meanMs: ms(sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1)),
    withinOneSecondShare: sorted.length ? round(sorted.filter((v) => v <= 1000).length / sorted.length, 4) : null,
  };
}

function ingestionEnv(ctx) {
  return {
    KAFKA_BROKERS,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: ctx.prefix,
    KAFKA_CLIENT_ID: 'storeloop-ingestion-bench-fresh',
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    INGEST_CONSUMER_GROUP: ctx.ingestGroup,
    API_KEYS: `bench:ingest:${sha256Hex(ctx.secret)}:100000`,
    RATE_LIMIT_BURST: '100000',
    LOG_LEVEL: 'warn',
  };
}

function featuresEnv(ctx) {
  return {
    KAFKA_BROKERS,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: ctx.prefix,
    KAFKA_CLIENT_ID: 'storeloop-features-bench-fresh',
    REDIS_KEY_PREFIX: ctx.redisPrefix,
    FEATURES_CONSUMER_GROUP: ctx.featuresGroup,
    LOG_LEVEL: 'warn',
  };
}

/**
 * The i-th event of the load: a probe every `probeEvery`-th, otherwise the
 * next dataset event. Returns its JSON, its source and id (for the dedup
 * marks) and, for a probe, its SKU.
 */
export function eventAt(ctx, i, sentAtIso) {
  const id = `${ctx.run}-f-${i}`;
  const { probeEvery } = ctx.options;
  if ((i + 1) % probeEvery === 0) {
    const n = (i + 1) / probeEvery - 1;
    const sku = `FRESH-${ctx.run}-${n}`;
    const userId = `fresh-${ctx.run}-u${n % PROBE_USERS}`;
    const event = {
      specversion: '1.0',
      source: PROBE_SOURCE,
      type: ctx.productViewed,
      time: sentAtIso,
      tenant: TENANT,
      subject: sku,
      data: { userId, sessionId: `${userId}-s`, channel: 'web', sku },
    };
    return { json: serializeEvent(event, id), source: PROBE_SOURCE, id, sku };
  }
  const event = ctx.sequence[(i - Math.floor((i + 1) / probeEvery)) % ctx.sequence.length];
  return { json: serializeEvent(event, id), source: event.source, id, sku: null };
}

/** The load, the poller and the drain; returns every probe with its times, and the request tally. */
async function measure(ctx, ingestion, pids) {
  const { ACTIVITY_CODES, itemKeys } = require('@storeloop/feature-store');
  // readItemViews' all-time count field (libs/feature-store/src/views/read-views.ts); the check after the run
  // reads every probe through readItemViews itself, so a change of layout fails the run instead of skewing it.
  const viewTotalField = `n|${ACTIVITY_CODES.view}`;
  const { rate, warmup, duration, sendEvery } = ctx.options;
  const total = Math.ceil(rate * (warmup + duration));
  const url = `${ingestion.url}/v1/events`;
  const headers = { 'content-type': 'application/json', 'x-api-key': ctx.secret };

  const probes = []; // { sku, issuedAt, acceptedAt, seenAt, notSeenAt, measured, failed }
  const outstanding = new Set();
  const tally = { requests: 0, accepted202: 0, non202: 0, errors: 0, rejectedEvents: 0, duplicates: 0, samples: [], delayedTicks: 0 };
  const inFlight = new Set();

  // Poller: one pipeline per poll over the probes not yet seen.
  const pollGaps = [];
  let polling = true;
  let pollError = null;
  const poller = (async () => {
    let previousSent = null;
    while (polling) {
      const sent = performance.now();
      const pending = [...outstanding];
      if (pending.length > 0) {
        const pipeline = ctx.store.pipeline();
        for (const probe of pending) pipeline.hget(itemKeys(TENANT, probe.sku).main, viewTotalField);
        const replies = await pipeline.exec();
        const seen = performance.now();
        replies.forEach(([error, value], k) => {
          if (error) throw error;
          if (value === null) return;
          const probe = pending[k];
          probe.seenAt = seen;
          probe.notSeenAt = previousSent ?? sent;
          outstanding.delete(probe);
        });
      }
      if (previousSent !== null) pollGaps.push(sent - previousSent);
      previousSent = sent;
      const wait = POLL_MS - (performance.now() - sent);
      await sleep(wait > 0 ? wait : 0);
    }
  })().catch((error) => {
    pollError = error;
  });

  const post = async (body, batchProbes) => {
    tally.requests++;
    try {
      const response = await fetch(url, { method: 'POST', headers, body });
      const text = await response.text();
      const answeredAt = performance.now();
      if (response.status !== 202) {
        tally.non202++;
        if (tally.samples.length < 5) tally.samples.push({ status: response.status, body: text.slice(0, 400) });
        for (const probe of batchProbes) probe.failed = true;
        return;
      }
      tally.accepted202++;
      const answer = JSON.parse(text);
      tally.duplicates += answer.duplicates;
      tally.rejectedEvents += answer.rejected.length;
      if (answer.rejected.length > 0 && tally.samples.length < 5) tally.samples.push({ status: 202, body: text.slice(0, 400) });
      for (const probe of batchProbes) probe.acceptedAt = answeredAt;
    } catch (error) {
      tally.errors++;
      if (tally.samples.length < 5) tally.samples.push({ error: error.message });
      for (const probe of batchProbes) probe.failed = true;
    }
  };

  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = start + (warmup + duration) * 1000;
  let meter = null;
  let cpu = null;
  let cursor = 0;
  let measuredSent = 0;
  for (;;) {
    if (ingestion.child.exitCode !== null || ctx.features.child.exitCode !== null) throw new Error(`a service exited during the load:\n${ingestion.output()}\n${ctx.features.output()}`);
    if (pollError) throw new Error(`reading the probes failed: ${pollError.message}`);
    const now = performance.now();
    if (now >= end) break;
    if (meter === null && now >= measureFrom) meter = cpuMeter(pids);
    const due = Math.min(MAX_EVENTS_PER_REQUEST, Math.min(total, Math.floor((rate * (now - start)) / 1000)) - cursor);
    if (due > 0 && inFlight.size >= MAX_IN_FLIGHT) tally.delayedTicks++;
    if (due > 0 && inFlight.size < MAX_IN_FLIGHT) {
      const sentAtIso = new Date(performance.timeOrigin + now).toISOString();
      const parts = [];
      const batchProbes = [];
      for (let i = cursor; i < cursor + due; i++) {
        const e = eventAt(ctx, i, sentAtIso);
        parts.push(e.json);
        ctx.issued.push([e.source, e.id]);
        if (e.sku) batchProbes.push({ sku: e.sku, measured: now >= measureFrom, issuedAt: 0, acceptedAt: null, seenAt: null, notSeenAt: null, failed: false });
      }
      cursor += due;
      if (now >= measureFrom) measuredSent += due;
      const body = `[${parts.join(',')}]`;
      const issuedAt = performance.now();
      for (const probe of batchProbes) {
        probe.issuedAt = issuedAt;
        probes.push(probe);
        outstanding.add(probe);
      }
      const request = post(body, batchProbes).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await sleep(Math.max(1, sendEvery - (performance.now() - now)));
  }
  const sendSeconds = (performance.now() - measureFrom) / 1000;
  await Promise.all(inFlight);
  cpu = meter?.() ?? null;
  for (const probe of probes) if (probe.failed) outstanding.delete(probe);

  const drainDeadline = Date.now() + DRAIN_SECONDS * 1000;
  while (outstanding.size > 0 && Date.now() < drainDeadline && !pollError) await sleep(50);
  polling = false;
  await poller;
  if (pollError) throw new Error(`reading the probes failed: ${pollError.message}`);
  pollGaps.sort((a, b) => a - b);
  return {
    probes,
    tally,
    cpu,
    sent: cursor,
    achievedEventsPerSec: round(measuredSent / sendSeconds, 0),
    poll: { targetMs: POLL_MS, gapP50Ms: round(percentile(pollGaps, 50), 1), gapP99Ms: round(percentile(pollGaps, 99), 1), gapMaxMs: round(pollGaps[pollGaps.length - 1], 1) },
  };
}

/** Every probe read back through the feature-store library: exactly one view each, nothing lost or doubled. */
async function verifyProbes(ctx, probes) {
  const { readItemViews } = require('@storeloop/feature-store');
  const skus = probes.filter((p) => !p.failed).map((p) => p.sku);
  const counts = {};
  for (let k = 0; k < skus.length; k += 500) {
    for (const view of await readItemViews(ctx.store, skus.slice(k, k + 500), { tenant: TENANT })) {
      const views = view.known ? view.totals.view : 0;
      counts[views] = (counts[views] ?? 0) + 1;
    }
  }
  return { probes: skus.length, viewCounts: counts, ok: counts[1] === skus.length };
}

function printSummary(result) {
  const f = result;
  const rows = [['figure', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'within 1 s', 'notes']];
  const share = (s) => (s === null ? '-' : `${round(100 * s, 2)} %`);
  rows.push(['POST issued -> readable in Redis', f.p50Ms, f.p95Ms, f.p99Ms, f.maxMs, share(f.withinOneSecondShare), `${f.probes.measured.toLocaleString('en-US')} probes at ${formatRate(f.load.achievedEventsPerSec)} events/s (target ${formatRate(f.load.targetEventsPerSec)})${f.probes.unseen ? `; ${f.probes.unseen} never seen` : ''}`]);
  const a = f.sinceAccepted;
  rows.push(['202 answered -> readable', a.p50Ms, a.p95Ms, a.p99Ms, a.maxMs, share(a.withinOneSecondShare), `request p50 ${f.acceptLatency.p50Ms} ms, p99 ${f.acceptLatency.p99Ms} ms`]);
  const l = f.lowerBound;
  rows.push(['lower bound (poll before)', l.p50Ms, l.p95Ms, l.p99Ms, l.maxMs, share(l.withinOneSecondShare), `poll gap p50 ${f.poll.gapP50Ms} ms, p99 ${f.poll.gapP99Ms} ms`]);
  process.stdout.write(`\n${table(rows)}\n`);
  const c = f.cpu?.coresUsed;
  if (c) process.stdout.write(`cores busy (avg): ingestion ${c.ingestion}, features ${c.features}, kafka ${c.kafka ?? '-'}, redis ${c.redis ?? '-'}, bench ${c.bench}, other ${c.other}, machine ${c.machine}/${f.cpu.machineCores}\n`);
  process.stdout.write(`requests: ${f.requests.accepted202} x 202, ${f.requests.non202} other, ${f.requests.errors} errors; check through readItemViews ${f.verify.ok ? 'ok' : `FAILED ${JSON.stringify(f.verify.viewCounts)}`}\n\n`);
}

/** Entry point, called by bench.mjs with commander's parsed options. */
export async function runFreshnessBench(options) {
  const startedAt = new Date();
  const rateChoice = options.rate ? { rate: options.rate, from: '--rate' } : defaultRate();
  const opts = { ...options, rate: rateChoice.rate };
  if (opts.probeEvery < 1) throw new Error('--probe-every must be at least 1');
  if (!options.skipBuild) await ensureBuilt(['ingestion', 'features', 'testing']);
  await ensureInfra();
  const machine = await machineInfo();

  log('generating events from the datasets (MovieLens-100K, CDNOW, M5 subset)');
  const streams = await datasetStreams();
  const checked = validateSample(streams);
  const sequence = interleavedBatches(streams, 500).flatMap((b) => b.events);
  log(`${sequence.length.toLocaleString('en-US')} dataset events; ${checked.checked} sampled events pass parseEvent; load ${formatRate(opts.rate)} events/s (${rateChoice.from}), a probe every ${opts.probeEvery}`);

  const Redis = require('ioredis');
  const { EventType, parseEvent } = require('@storeloop/contracts');
  const run = runId();
  const kafka = kafkaClient(`storeloop-bench-${run}`);
  const admin = kafka.admin();
  await admin.connect();
  const redisPrefix = `bench:${run}:fresh:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  // The probes are read as the services see the store: behind the run's key prefix.
  const store = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2, keyPrefix: redisPrefix });
  await Promise.all([redis.connect(), store.connect()]);
  const ctx = {
    run,
    options: opts,
    sequence,
    productViewed: EventType.ProductViewed,
    secret: randomBytes(24).toString('base64url'),
    prefix: `bench-${run}-fresh.`,
    redisPrefix,
    ingestGroup: `bench-${run}-fresh-ingest`,
    featuresGroup: `bench-${run}-fresh-features`,
    store,
    services: new Set(),
    issued: [],
    features: null,
  };
  const probeCheck = parseEvent(JSON.parse(eventAt(ctx, opts.probeEvery - 1, startedAt.toISOString()).json));
  if (!probeCheck.ok) throw new Error(`the probe event is invalid: ${JSON.stringify(probeCheck.issues)}`);

  const cleanup = onCleanup(async () => {
    for (const service of ctx.services) await service.stop(5000).catch(() => undefined);
    if (options.keep) {
      log(`kept topics ${ctx.prefix}*, groups and Redis keys ${redisPrefix}*`);
    } else {
      const groups = [ctx.ingestGroup, ctx.featuresGroup, `${ctx.featuresGroup}.examples`];
      const topics = await deleteBenchKafkaState(admin, [ctx.prefix], groups).catch((error) => {
        log(`could not delete the bench topics: ${error.message}`);
        return [];
      });
      const marks = ctx.issued.map(([source, id]) => dedupMarkKey(source, id));
      const keys = await Promise.all([deleteRedisKeys(REDIS_URL, redisPrefix), unlinkKeys(REDIS_URL, marks)])
        .then(([a, b]) => a + b)
        .catch((error) => {
          log(`could not delete the bench Redis keys: ${error.message}`);
          return 0;
        });
      log(`cleaned up: ${topics.length} topics, ${keys} Redis keys`);
    }
    redis.disconnect();
    store.disconnect();
    await admin.disconnect().catch(() => undefined);
  });

  let measured;
  let verify;
  let otherCoresBefore = null;
  let readySeconds;
  try {
    await provisionPrefixedTopics(admin, ctx.prefix);
    await markFeatureStoreReady(redis, redisPrefix, ctx.featuresGroup);
    const spawned = Date.now();
    const ingestion = await startService('ingestion', { env: ingestionEnv(ctx), logName: 'ingestion-fresh' });
    ctx.services.add(ingestion);
    ctx.features = await startService('features', { env: featuresEnv(ctx), logName: 'features-fresh' });
    ctx.services.add(ctx.features);
    await Promise.all([waitStableGroup(admin, ctx.ingestGroup), waitStableGroup(admin, ctx.featuresGroup)]);
    readySeconds = round((Date.now() - spawned) / 1000, 2);
    log(`services ready and idle in ${readySeconds} s (logs ${relative(root, ingestion.logFile)}, ${relative(root, ctx.features.logFile)})`);
    const infra = await infraPids();
    const pids = { ...infra, ingestion: ingestion.child.pid, features: ctx.features.child.pid };
    if (opts.quietWait > 0) otherCoresBefore = (await waitQuiet(pids, opts.quietWait)).coresUsed.other;
    log(`${opts.warmup} s warm-up, then ${opts.duration} s measured at ${formatRate(opts.rate)} events/s`);
    measured = await measure(ctx, ingestion, pids);
    verify = await verifyProbes(ctx, measured.probes);
  } finally {
    await cleanup();
  }

  const counted = measured.probes.filter((p) => p.measured && !p.failed);
  const seen = counted.filter((p) => p.seenAt !== null);
  const accepted = seen.filter((p) => p.acceptedAt !== null);
  const fromIssue = latencySummary(seen.map((p) => p.seenAt - p.issuedAt));
  const result = {
    bench: 'freshness',
    timestamp: startedAt.toISOString(),
    p50Ms: fromIssue.p50Ms,
    p95Ms: fromIssue.p95Ms,
    p99Ms: fromIssue.p99Ms,
    maxMs: fromIssue.maxMs,
    meanMs: fromIssue.meanMs,
    // Over every measured probe: one never seen was not seen within a second either.
    withinOneSecondShare: counted.length ? round(seen.filter((p) => p.seenAt - p.issuedAt <= 1000).length / counted.length, 4) : null,
    sinceAccepted: latencySummary(accepted.map((p) => p.seenAt - p.acceptedAt)),
    lowerBound: latencySummary(seen.map((p) => Math.max(0, p.notSeenAt - p.issuedAt))),
    acceptLatency: latencySummary(accepted.map((p) => p.acceptedAt - p.issuedAt)),
    probes: {
      measured: counted.length,
      seen: seen.length,
      // Not readable within DRAIN_SECONDS of the last send: in no percentile, and they fail the run.
      unseen: counted.length - seen.length,
      failedRequests: measured.probes.filter((p) => p.failed).length,
      warmup: measured.probes.filter((p) => !p.measured).length,
    },
    load: {
      targetEventsPerSec: opts.rate,
      rateFrom: rateChoice.from,
      achievedEventsPerSec: measured.achievedEventsPerSec,
      eventsSent: measured.sent,
      sendEveryMs: opts.sendEvery,
      delayedTicks: measured.tally.delayedTicks,
      maxInFlight: MAX_IN_FLIGHT,
    },
    requests: {
      sent: measured.tally.requests,
      accepted202: measured.tally.accepted202,
      non202: measured.tally.non202,
      errors: measured.tally.errors,
      rejectedEvents: measured.tally.rejectedEvents,
      duplicates: measured.tally.duplicates,
      samples: measured.tally.samples,
    },
    poll: measured.poll,
    verify,
    readySeconds,
    cpu: measured.cpu,
    otherCoresBefore,
    method:
      'open loop: every --send-every ms one POST /v1/events with the events due at the rate (dataset events, a probe product view of a SKU of its own every --probe-every-th); a poller pipelines HGET of each unseen probe item\'s all-time view count every ~5 ms; a probe is fresh at the reply of the first poll that shows it (upper bound; lowerBound from the poll before), measured from the request\'s issue (sinceAccepted: from its 202); unseen probes count in neither percentile but make the run fail',
    machine,
    settings: {
      rate: opts.rate,
      warmupSeconds: opts.warmup,
      durationSeconds: opts.duration,
      probeEvery: opts.probeEvery,
      probeUsers: PROBE_USERS,
      drainSeconds: DRAIN_SECONDS,
      quietWaitSeconds: opts.quietWait,
      services:
        'node services/ingestion/dist/main.js and services/features/dist/main.js, one process each, LOG_LEVEL=warn, defaults otherwise (raw-topic consumer on; training examples on); feature-store marker set ready before start',
      kafkaBrokers: KAFKA_BROKERS,
      dataset: { sequence: sequence.length, byType: typeCounts(streams), order: 'batches of 500 of each source, interleaved in proportion' },
    },
  };
  printSummary(result);
  log(`results written to ${writeResult(options.out, result)}`);
  const failed = result.probes.unseen > 0 || result.probes.failedRequests > 0 || result.requests.non202 > 0 || result.requests.errors > 0 || result.requests.rejectedEvents > 0 || !verify.ok;
  return failed ? 1 : 0;
}
