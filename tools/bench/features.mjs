// `npm run bench -- features`: the features service (services/features), which
// applies retail.events.v1 (with feedback and privacy) to the online feature
// store in Redis exactly once and stores, after each slice's writes, the next
// offset of every partition in the hash `{o:<group>:<topic>}`.
//
//   throughput  N events (MovieLens clickstream, CDNOW and M5 orders, M5 stock
//               events, each valid as ingestion writes it) are produced to
//               retail.events.v1 first (a backlog); then a fresh service
//               consumes them. events/s = events applied from the first stored
//               offset seen until the stored offsets reach the topic's end on
//               every partition / seconds, by polling the hash every 50 ms.
//               Production defaults (training examples on), then the same
//               with FEATURES_EMIT_EXAMPLES=false.
//   freshness   an idle service, then a steady load of half the measured
//               events/s; for each record, from its timestamp (set by the
//               bench when it sends) to the first poll of the offsets hash
//               (every ~5 ms) that shows its partition's stored offset past it.
//   memory      after the throughput run with examples: MEMORY USAGE summed
//               over every key of up to 200 users and 200 items the stream
//               touched.
//
// Each phase has its own topic prefix, consumer group and Redis key prefix, and
// starts from an established store (its marker `{store:<group>}` set ready, as
// after a restart; an absent marker makes the service take the wipe-and-replay
// path instead). Everything is deleted at the end unless --keep.
import { setTimeout as sleep } from 'node:timers/promises';
import { join, relative } from 'node:path';
import { datasetStreams, interleavedBatches, typeCounts, validateSample } from './events.mjs';
import {
  KAFKA_BROKERS,
  REDIS_URL,
  cpuMeter,
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
  startService,
  table,
  waitQuiet,
  waitStableGroup,
  writeResult,
} from './lib.mjs';
import { formatProfile, summarizeProfile } from './profile-top.mjs';

const GOAL_EVENTS_PER_SEC = 30_000;
const GOAL_FRESHNESS_P99_MS = 500;
const TENANT = 'default';
/** Throughput: how often the stored offsets are read. */
const THROUGHPUT_POLL_MS = 50;
/** Freshness: how often the stored offsets are read, and how often the load generator sends. */
const FRESH_POLL_MS = 5;
const FRESH_TICK_MS = 10;
const FRESH_WARMUP_SECONDS = 5;
const SAMPLE_ENTITIES = 200;
const PROFILE_DIR = '.local/prof';

const PHASES = {
  examples: { name: 'tput', title: 'throughput, examples on', env: {} },
  noExamples: { name: 'tput-noex', title: 'throughput, examples off', env: { FEATURES_EMIT_EXAMPLES: 'false' } },
  fresh: { name: 'fresh', title: 'freshness at half load', env: {} },
};

function serviceEnv(ctx, phase) {
  return {
    KAFKA_BROKERS,
    REDIS_URL,
    KAFKA_TOPIC_PREFIX: ctx.prefix(phase.name),
    KAFKA_CLIENT_ID: `storeloop-features-bench-${phase.name}`,
    REDIS_KEY_PREFIX: ctx.redisPrefix(phase.name),
    FEATURES_CONSUMER_GROUP: ctx.group(phase.name),
    LOG_LEVEL: 'warn',
    ...phase.env,
  };
}

/** The physical events topic of a phase and the Redis key (client prefix included) of its stored offsets. */
function phaseTopics(ctx, phase) {
  const { TOPICS } = require('@storeloop/contracts');
  const { offsetsKey } = require('@storeloop/feature-store');
  const topic = `${ctx.prefix(phase.name)}${TOPICS.events.name}`;
  return { topic, offsetsKey: `${ctx.redisPrefix(phase.name)}${offsetsKey(ctx.group(phase.name), topic)}` };
}

/** The store marker as a running deployment leaves it: this phase starts on an established, empty store. */
function markStoreReady(ctx, phase) {
  return markFeatureStoreReady(ctx.redis, ctx.redisPrefix(phase.name), ctx.group(phase.name));
}

async function readStored(ctx, key) {
  const hash = await ctx.redis.hgetall(key);
  const stored = new Map();
  for (const [partition, offset] of Object.entries(hash)) stored.set(Number(partition), Number(offset));
  return stored;
}

/**
 * Kafka records for `count` events of the interleaved dataset sequence, each
 * given a unique id and normalised by the contracts' parseEvent as ingestion
 * does, keyed and routed as ingestion routes it. Past the end of the datasets
 * the sequence repeats, later by whole spans of its time range, with new order
 * ids. Also counts the events per user and per SKU.
 */
function buildRecords(ctx, phase, count) {
  const { parseEvent, partitionKeyOf, topicForEventType, CLOUDEVENTS_JSON_CONTENT_TYPE } = require('@storeloop/contracts');
  const { continueTrace, traceHeaders } = require('@storeloop/observability');
  const { sequence, spanMs } = ctx.dataset;
  const records = new Array(count);
  const users = new Map();
  const items = new Map();
  for (let i = 0; i < count; i++) {
    const gen = Math.floor(i / sequence.length);
    const id = `${ctx.run}-${phase.name}-${i}`;
    const parsed = parseEvent({ specversion: '1.0', id, ...laterGeneration(sequence[i % sequence.length], gen, spanMs) });
    if (!parsed.ok) throw new Error(`event ${i} (${sequence[i % sequence.length].type}) is invalid: ${JSON.stringify(parsed.issues)}`);
    const event = parsed.event;
    records[i] = {
      topic: `${ctx.prefix(phase.name)}${topicForEventType(event.type)}`,
      key: partitionKeyOf(event),
      value: JSON.stringify(event),
      headers: { ...traceHeaders(continueTrace({}, id)), 'content-type': CLOUDEVENTS_JSON_CONTENT_TYPE },
    };
    const { userId, sku, items: lines } = event.data;
    if (userId) users.set(userId, (users.get(userId) ?? 0) + 1);
    for (const s of new Set([sku, ...(lines ?? []).map((line) => line.sku)].filter(Boolean))) items.set(s, (items.get(s) ?? 0) + 1);
  }
  return { records, users, items };
}

function laterGeneration(event, gen, spanMs) {
  if (gen === 0) return event;
  const shift = (iso) => new Date(Date.parse(iso) + gen * spanMs).toISOString();
  const data = { ...event.data };
  if (data.asOf) data.asOf = shift(data.asOf);
  if (data.orderId) data.orderId = `${data.orderId}~${gen}`;
  if (data.purchaseOrderId) data.purchaseOrderId = `${data.purchaseOrderId}~${gen}`;
  return { ...event, time: shift(event.time), data };
}

function singleTopic(records) {
  const topics = new Set(records.map((r) => r.topic));
  if (topics.size !== 1) throw new Error(`expected every event on one topic, got ${[...topics].join(', ')}`);
  return [...topics][0];
}

async function produceBacklog(ctx, topic, records) {
  const { Partitioners, CompressionTypes } = require('kafkajs');
  const producer = ctx.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const chunk = 2000;
  const inFlight = 4;
  const started = Date.now();
  let cursor = 0;
  try {
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (cursor < records.length) {
          const from = cursor;
          cursor += chunk;
          const messages = records.slice(from, Math.min(records.length, from + chunk)).map(({ key, value, headers }) => ({ key, value, headers }));
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  return { eventsPerSec: round(records.length / seconds, 0), seconds: round(seconds, 2), batch: chunk, inFlight, acks: 'all' };
}

async function startFeatures(ctx, phase, { profile = false } = {}) {
  const profileFile = profile ? `features-${phase.name}-${ctx.run}.cpuprofile` : null;
  const service = await startService('features', {
    env: serviceEnv(ctx, phase),
    nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${profileFile}`] : [],
    logName: `features-${phase.name}`,
  });
  service.profileFile = profileFile && join(root, PROFILE_DIR, profileFile);
  ctx.services.add(service);
  return service;
}

async function stopFeatures(ctx, phase, service) {
  const code = await service.stop();
  ctx.services.delete(service);
  if (code !== 0) log(`${phase.name}: the service exited with ${code}; see ${relative(root, service.logFile)}`);
  return code;
}

function assertRunning(service) {
  if (service.child.exitCode !== null) throw new Error(`the features service exited with ${service.child.exitCode}:\n${service.output()}`);
}

/** Sums of the service's own Prometheus counters and histograms that explain a phase. */
async function scrapeMetrics(service) {
  const text = await fetch(`${service.url}/metrics`, { signal: AbortSignal.timeout(5000) })
    .then((r) => r.text())
    .catch(() => '');
  const sums = {};
  for (const line of text.split('\n')) {
    const match = /^(features_\w+?)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1].endsWith('_bucket')) continue;
    const outcome = /outcome="([^"]*)"/.exec(match[2] ?? '')?.[1];
    const name = outcome ? `${match[1]}{${outcome}}` : match[1];
    sums[name] = (sums[name] ?? 0) + Number(match[3]);
  }
  const slices = sums.features_apply_duration_seconds_count ?? null;
  return {
    eventsApplied: sums.features_events_applied_total ?? null,
    entityEffectsApplied: sums['features_entity_effects_total{applied}'] ?? null,
    entityEffectsSkipped: sums['features_entity_effects_total{skipped}'] ?? null,
    trainingExamples: sums.features_training_examples_total ?? null,
    slices,
    meanSliceMs: slices ? round((1000 * sums.features_apply_duration_seconds_sum) / slices, 1) : null,
  };
}

/** Redis's own count of calls and time per command (INFO commandstats), to see where Redis spends its time. */
async function commandStats(redis) {
  const stats = new Map();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) stats.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

function commandStatsSince(before, after, top = 6) {
  return [...after]
    .map(([command, { calls, usec }]) => ({ command, calls: calls - (before.get(command)?.calls ?? 0), usec: usec - (before.get(command)?.usec ?? 0) }))
    .filter((c) => c.calls > 0)
    .sort((a, b) => b.usec - a.usec)
    .slice(0, top)
    .map(({ command, calls, usec }) => ({ command, calls, seconds: round(usec / 1e6, 2), usecPerCall: round(usec / calls, 1) }));
}

/** Throughput from a backlog; returns the figures and, for the memory phase, what the stream touched. */
async function throughputPhase(ctx, phase, { profile = false } = {}) {
  const { options, admin } = ctx;
  const n = options.events;
  await provisionPrefixedTopics(admin, ctx.prefix(phase.name));
  await markStoreReady(ctx, phase);
  log(`${phase.name}: preparing ${n.toLocaleString('en-US')} events (parseEvent, unique ids)`);
  const { records, users, items } = buildRecords(ctx, phase, n);
  const { topic, offsetsKey } = phaseTopics(ctx, phase);
  if (singleTopic(records) !== topic) throw new Error(`the events go to ${records[0].topic}, not ${topic}`);
  log(`${phase.name}: producing ${n.toLocaleString('en-US')} events to ${topic}`);
  const producer = await produceBacklog(ctx, topic, records);
  log(`${phase.name}: produced in ${producer.seconds} s (${formatRate(producer.eventsPerSec)} events/s)`);
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));

  const quiet = options.quietWait > 0 ? await waitQuiet(ctx.infraPids, options.quietWait) : null;
  const spawned = Date.now();
  const service = await startFeatures(ctx, phase, { profile });
  const ready = Date.now();
  log(`${phase.name}: service ready after ${((ready - spawned) / 1000).toFixed(1)} s (log ${relative(root, service.logFile)}); consuming`);

  let first = null;
  let done = null;
  let meter = null;
  let cpu = null;
  let lastLog = Date.now();
  const deadline = Date.now() + options.timeout * 1000;
  while (Date.now() < deadline) {
    assertRunning(service);
    const stored = await readStored(ctx, offsetsKey);
    const now = Date.now();
    let applied = 0;
    let caughtUp = true;
    for (const [partition, high] of ends) {
      const at = stored.get(partition) ?? 0;
      applied += Math.min(at, high);
      if (at < high) caughtUp = false;
    }
    if (first === null && stored.size > 0) {
      first = { at: now, applied, commands: await commandStats(ctx.redis) };
      meter = cpuMeter({ ...ctx.infraPids, service: service.child.pid });
    }
    if (caughtUp) {
      done = { at: now, applied, commands: await commandStats(ctx.redis) };
      cpu = meter();
      break;
    }
    if (first && now - lastLog >= 10_000) {
      lastLog = now;
      log(`${phase.name}: ${applied.toLocaleString('en-US')}/${n.toLocaleString('en-US')} applied (${formatRate((applied - first.applied) / ((now - first.at) / 1000))} events/s)`);
    }
    await sleep(THROUGHPUT_POLL_MS);
  }
  if (!done) throw new Error(`${phase.name}: the stored offsets did not reach the end of ${topic} within ${options.timeout} s:\n${service.output()}`);
  const metrics = await scrapeMetrics(service);
  await stopFeatures(ctx, phase, service);

  const seconds = (done.at - first.at) / 1000;
  const eventsPerSec = round((n - first.applied) / seconds, 0);
  log(`${phase.name}: ${formatRate(eventsPerSec)} events/s (${n.toLocaleString('en-US')} events, ${seconds.toFixed(1)} s)`);
  return {
    figures: {
      eventsPerSec,
      events: n,
      seconds: round(seconds, 2),
      // Measured from the first poll that saw a stored offset; what was applied by then is left out of the rate.
      eventsAppliedAtFirstPoll: first.applied,
      readySeconds: round((ready - spawned) / 1000, 2),
      firstStoredOffsetAfterReadySeconds: round((first.at - ready) / 1000, 2),
      emitExamples: phase.env.FEATURES_EMIT_EXAMPLES !== 'false',
      mode: 'backlog (produced before the service started), stored offsets polled every 50 ms',
      cpu,
      otherCoresBefore: quiet?.coresUsed.other ?? null,
      eventsPerServiceCpuSecond: cpu.coresUsed.service ? round((n - first.applied) / (cpu.coresUsed.service * cpu.wallSeconds), 0) : null,
      service: metrics,
      // The whole Redis server (other clients included); a script's time includes the commands it calls, which are counted too.
      redisCommands: commandStatsSince(first.commands, done.commands),
      entities: { users: users.size, items: items.size },
      producer,
      profile: service.profileFile
        ? { file: relative(root, service.profileFile), window: { from: round((first.at - service.spawnedAt) / 1000, 1), to: round((done.at - service.spawnedAt) / 1000, 1) } }
        : null,
    },
    touched: { users, items },
  };
}

/** Kafka's default partitioner for these records: the bench must know each record's partition to read its offset. */
async function assignPartitions(ctx, topic, records) {
  const { Partitioners } = require('kafkajs');
  const [metadata] = (await ctx.admin.fetchTopicMetadata({ topics: [topic] })).topics;
  const partitionMetadata = metadata.partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader }));
  const partitioner = Partitioners.DefaultPartitioner();
  for (const record of records) record.partition = partitioner({ topic, partitionMetadata, message: record });
}

/** Freshness at a steady load: see the header. */
async function freshnessPhase(ctx, rate) {
  const { Partitioners, CompressionTypes } = require('kafkajs');
  const { options, admin } = ctx;
  const phase = PHASES.fresh;
  const totalSeconds = FRESH_WARMUP_SECONDS + options.freshSeconds;
  const count = Math.ceil(rate * totalSeconds) + 1;
  await provisionPrefixedTopics(admin, ctx.prefix(phase.name));
  await markStoreReady(ctx, phase);
  log(`${phase.name}: preparing ${count.toLocaleString('en-US')} events for ${formatRate(rate)} events/s over ${FRESH_WARMUP_SECONDS} + ${options.freshSeconds} s`);
  const { records } = buildRecords(ctx, phase, count);
  const { topic, offsetsKey } = phaseTopics(ctx, phase);
  if (singleTopic(records) !== topic) throw new Error(`the events go to ${records[0].topic}, not ${topic}`);
  await assignPartitions(ctx, topic, records);

  const quiet = options.quietWait > 0 ? await waitQuiet(ctx.infraPids, options.quietWait) : null;
  const service = await startFeatures(ctx, phase);
  await waitStableGroup(admin, ctx.group(phase.name));
  log(`${phase.name}: service ready and idle (log ${relative(root, service.logFile)}); ${FRESH_WARMUP_SECONDS} s warm-up, then ${options.freshSeconds} s measured`);

  // Poller: every change of a partition's stored offset, with when the poll that saw it was sent and answered.
  const changes = new Map();
  const pollGaps = [];
  let polling = true;
  let pollError = null;
  let latest = new Map();
  const poller = (async () => {
    let previousSent = null;
    while (polling) {
      const sent = performance.now();
      const stored = await readStored(ctx, offsetsKey);
      const seen = performance.now();
      for (const [partition, offset] of stored) {
        if (offset === latest.get(partition)) continue;
        if (!changes.has(partition)) changes.set(partition, []);
        changes.get(partition).push({ offset, seenAt: seen, notSeenAt: previousSent ?? sent });
      }
      latest = stored;
      if (previousSent !== null) pollGaps.push(sent - previousSent);
      previousSent = sent;
      const wait = FRESH_POLL_MS - (performance.now() - sent);
      if (wait > 0) await sleep(wait);
    }
  })().catch((error) => {
    pollError = error;
  });

  // Load: every tick, the records due by now at `rate`, sent at once with their send time as timestamp.
  const producer = ctx.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sends = new Set();
  const sendErrors = [];
  const maxInFlight = 16;
  const produced = []; // { partition, offset, sentAt (performance.now), measured }
  let cursor = 0;
  let skippedTicks = 0;
  const start = performance.now();
  const measureFrom = start + FRESH_WARMUP_SECONDS * 1000;
  const end = start + totalSeconds * 1000;
  const meterAt = { meter: null, cpu: null };
  let measuredSent = 0;
  for (;;) {
    assertRunning(service);
    if (sendErrors.length > 0) throw new Error(`${phase.name}: producing failed: ${sendErrors[0].message}`);
    const now = performance.now();
    if (now >= end) break;
    if (meterAt.meter === null && now >= measureFrom) meterAt.meter = cpuMeter({ ...ctx.infraPids, service: service.child.pid });
    const due = Math.min(records.length, Math.floor((rate * (now - start)) / 1000)) - cursor;
    if (due > 0 && sends.size >= maxInFlight) skippedTicks++;
    if (due > 0 && sends.size < maxInFlight) {
      const batch = records.slice(cursor, cursor + due);
      cursor += due;
      const sentAt = performance.now();
      const measured = sentAt >= measureFrom;
      if (measured) measuredSent += batch.length;
      const timestamp = String(Math.round(performance.timeOrigin + sentAt));
      const messages = batch.map(({ key, value, headers, partition }) => ({ key, value, headers, partition, timestamp }));
      const send = producer
        .send({ topic, acks: -1, compression: CompressionTypes.None, messages })
        .then((metadata) => {
          const base = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
          const next = new Map();
          for (const { partition } of messages) {
            const k = next.get(partition) ?? 0;
            next.set(partition, k + 1);
            produced.push({ partition, offset: base.get(partition) + k, sentAt: Number(timestamp) - performance.timeOrigin, measured });
          }
        })
        .catch((error) => sendErrors.push(error))
        .finally(() => sends.delete(send));
      sends.add(send);
    }
    await sleep(Math.max(1, FRESH_TICK_MS - (performance.now() - now)));
  }
  await Promise.all(sends);
  meterAt.cpu = meterAt.meter?.();
  await producer.disconnect();
  if (sendErrors.length > 0) throw new Error(`${phase.name}: producing failed: ${sendErrors[0].message}`);

  // Drain, then match every record to the first poll that showed its partition past it.
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const drainDeadline = Date.now() + 120_000;
  while ([...ends].some(([p, high]) => high > 0 && (latest.get(p) ?? 0) < high)) {
    assertRunning(service);
    if (pollError) throw new Error(`${phase.name}: reading the stored offsets failed: ${pollError.message}`);
    if (Date.now() > drainDeadline) throw new Error(`${phase.name}: the service did not catch up within 120 s after the load`);
    await sleep(50);
  }
  polling = false;
  await poller;
  const metrics = await scrapeMetrics(service);
  await stopFeatures(ctx, phase, service);

  const freshness = [];
  const lowerBounds = [];
  let unseen = 0;
  for (const record of produced) {
    if (!record.measured) continue;
    const list = changes.get(record.partition) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].offset > record.offset) hi = mid;
      else lo = mid + 1;
    }
    if (lo === list.length) {
      unseen++;
      continue;
    }
    freshness.push(list[lo].seenAt - record.sentAt);
    lowerBounds.push(Math.max(0, list[lo].notSeenAt - record.sentAt));
  }
  freshness.sort((a, b) => a - b);
  lowerBounds.sort((a, b) => a - b);
  pollGaps.sort((a, b) => a - b);
  const measuredSeconds = options.freshSeconds;
  const ms = (v) => round(v, 1);
  const result = {
    freshnessP50Ms: ms(percentile(freshness, 50)),
    freshnessP90Ms: ms(percentile(freshness, 90)),
    freshnessP99Ms: ms(percentile(freshness, 99)),
    freshnessMaxMs: ms(freshness[freshness.length - 1]),
    freshnessMeanMs: ms(freshness.reduce((s, v) => s + v, 0) / (freshness.length || 1)),
    count: freshness.length,
    unseen,
    // The visibility happened between the last poll that did not show it and the first that did.
    lowerBound: { p50Ms: ms(percentile(lowerBounds, 50)), p99Ms: ms(percentile(lowerBounds, 99)) },
    targetEventsPerSec: rate,
    achievedEventsPerSec: round(measuredSent / measuredSeconds, 0),
    warmupSeconds: FRESH_WARMUP_SECONDS,
    measuredSeconds,
    sendEveryMs: FRESH_TICK_MS,
    sendsDelayedByInFlightLimit: skippedTicks,
    poll: {
      targetMs: FRESH_POLL_MS,
      gapP50Ms: ms(percentile(pollGaps, 50)),
      gapP99Ms: ms(percentile(pollGaps, 99)),
      gapMaxMs: ms(pollGaps[pollGaps.length - 1]),
    },
    method:
      'each record carries its send time as Kafka timestamp (acks=all); a poller HGETALLs the stored-offsets hash every ~5 ms; a record counts as fresh at the reply of the first poll showing its partition\'s stored offset past its offset (an upper bound: it became readable after the previous poll was sent, see lowerBound); the service reads with examples on (production defaults)',
    cpu: meterAt.cpu,
    otherCoresBefore: quiet?.coresUsed.other ?? null,
    service: metrics,
  };
  log(`${phase.name}: p50 ${result.freshnessP50Ms} ms, p99 ${result.freshnessP99Ms} ms over ${result.count.toLocaleString('en-US')} records at ${formatRate(result.achievedEventsPerSec)} events/s`);
  return result;
}

/** Seeded PRNG (libs/ml's mulberry32): the same sample on every run of the same stream. */
function sampler(seed) {
  return require('@storeloop/ml').mulberry32(seed);
}

function sample(ids, size, random) {
  const list = [...ids];
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list.slice(0, size);
}

const userSource = (id) => /^(ml-user|cdnow|pos-guest)-/.exec(id)?.[1] ?? 'other';
const itemSource = (sku) => (sku.startsWith('ML-') ? 'movielens' : sku.startsWith('CD-') ? 'cdnow' : 'm5');

function stats(entities, source) {
  const bytes = entities.map((e) => e.bytes).sort((a, b) => a - b);
  const mean = (values) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : null);
  const bySource = {};
  for (const e of entities) (bySource[source(e.id)] ??= []).push(e);
  return {
    sampled: entities.length,
    meanBytes: round(mean(bytes), 0),
    medianBytes: percentile(bytes, 50),
    p90Bytes: percentile(bytes, 90),
    maxBytes: bytes[bytes.length - 1] ?? null,
    meanEvents: round(mean(entities.map((e) => e.events)), 1),
    meanKeys: round(mean(entities.map((e) => e.keys)), 1),
    bySource: Object.fromEntries(
      Object.entries(bySource).map(([name, list]) => [name, { sampled: list.length, meanBytes: round(mean(list.map((e) => e.bytes)), 0), meanEvents: round(mean(list.map((e) => e.events)), 1) }]),
    ),
  };
}

async function memoryUsage(redis, keys) {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
  const replies = await pipeline.exec();
  return replies.map(([error, bytes]) => (error ? null : bytes));
}

/** Memory per entity after the throughput phase with examples (the service stopped, its keys kept). */
async function memoryPhase(ctx, phase, touched) {
  const { userKeys, allUserKeys, itemKeys } = require('@storeloop/feature-store');
  const prefix = ctx.redisPrefix(phase.name);
  const random = sampler(0x5eed);
  const users = sample(touched.users.keys(), SAMPLE_ENTITIES, random);
  const skus = sample(touched.items.keys(), SAMPLE_ENTITIES, random);
  log(`memory: MEMORY USAGE of ${users.length} users and ${skus.length} items (of ${touched.users.size.toLocaleString('en-US')} and ${touched.items.size.toLocaleString('en-US')} touched)`);

  // One SCAN of the phase's keys: counts by kind, and every key of each sampled item (per-store keys included).
  const tagOf = (key) => key.slice(0, key.indexOf('}') + 1);
  const sampledTags = new Map(skus.map((sku) => [`${prefix}${itemKeys(TENANT, sku).main}`, sku]));
  const itemKeyLists = new Map(skus.map((sku) => [sku, []]));
  const keyCounts = { user: 0, item: 0, other: 0 };
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = next;
    for (const key of keys) {
      const kind = key.includes(':{u:') ? 'user' : key.includes(':{i:') ? 'item' : 'other';
      keyCounts[kind]++;
      const sku = kind === 'item' ? sampledTags.get(tagOf(key)) : undefined;
      if (sku !== undefined) itemKeyLists.get(sku).push(key);
    }
  } while (cursor !== '0');

  const userEntities = [];
  for (const userId of users) {
    const bytes = await memoryUsage(ctx.redis, allUserKeys(userKeys(TENANT, userId)).map((key) => `${prefix}${key}`));
    const present = bytes.filter((b) => b !== null);
    userEntities.push({ id: userId, bytes: present.reduce((s, b) => s + b, 0), keys: present.length, events: touched.users.get(userId) });
  }
  const itemEntities = [];
  for (const sku of skus) {
    const keys = itemKeyLists.get(sku);
    const bytes = keys.length ? await memoryUsage(ctx.redis, keys) : [];
    const present = bytes.filter((b) => b !== null);
    itemEntities.push({ id: sku, bytes: present.reduce((s, b) => s + b, 0), keys: present.length, events: touched.items.get(sku) });
  }
  const missingUsers = userEntities.filter((e) => e.keys === 0).length;
  const missingItems = itemEntities.filter((e) => e.keys === 0).length;
  if (missingUsers || missingItems) log(`memory: ${missingUsers} sampled users and ${missingItems} sampled items have no keys`);
  return {
    users: { ...stats(userEntities, userSource), withoutKeys: missingUsers, keySuffixes: ['', ':w', ':aff', ':recent', ':sess', ':sessv', ':served'] },
    items: { ...stats(itemEntities, itemSource), withoutKeys: missingItems, keys: 'every key of the item hash tag: main, :cv, :cp, :avail, :st:<store>, :mv:<store>' },
    keysInStore: keyCounts,
    method: `MEMORY USAGE <key> SAMPLES 0 summed over the entity's keys; ${SAMPLE_ENTITIES} users and items drawn uniformly (seeded) from those the ${ctx.options.events.toLocaleString('en-US')} events touched, after the run with examples on`,
  };
}

const goalMet = (met) => (met === null ? '-' : met ? 'yes' : 'NO');

function printSummary(result) {
  const t = result.throughput;
  const nx = result.throughputNoExamples;
  const f = result.freshness;
  const m = result.memory;
  const rows = [['figure', 'value', 'goal', 'met', 'notes']];
  rows.push([
    'events/s (examples on)',
    formatRate(t.eventsPerSec),
    `>= ${formatRate(GOAL_EVENTS_PER_SEC)}`,
    goalMet(t.eventsPerSec >= GOAL_EVENTS_PER_SEC),
    `${t.events.toLocaleString('en-US')} events in ${t.seconds} s from a backlog; ${formatRate(t.service.trainingExamples)} training examples; slices ${t.service.slices} (mean ${t.service.meanSliceMs} ms)`,
  ]);
  if (nx) {
    rows.push([
      'events/s (examples off)',
      formatRate(nx.eventsPerSec),
      '-',
      '-',
      `${nx.events.toLocaleString('en-US')} events in ${nx.seconds} s; slices ${nx.service.slices} (mean ${nx.service.meanSliceMs} ms)`,
    ]);
  }
  rows.push([
    'freshness p50 / p99 ms',
    `${f.freshnessP50Ms} / ${f.freshnessP99Ms}`,
    `p99 <= ${GOAL_FRESHNESS_P99_MS}`,
    goalMet(f.freshnessP99Ms !== null && f.unseen === 0 ? f.freshnessP99Ms <= GOAL_FRESHNESS_P99_MS : false),
    `${f.count.toLocaleString('en-US')} records at ${formatRate(f.achievedEventsPerSec)} events/s (target ${formatRate(f.targetEventsPerSec)}); p90 ${f.freshnessP90Ms}, max ${f.freshnessMaxMs}; poll gap p50 ${f.poll.gapP50Ms} ms${f.unseen ? `; ${f.unseen} never seen` : ''}`,
  ]);
  rows.push([
    'Redis bytes per user',
    `${formatRate(m.users.meanBytes)} (median ${formatRate(m.users.medianBytes)})`,
    '-',
    '-',
    `${m.users.sampled} users, ${m.users.meanEvents} events each on average`,
  ]);
  rows.push([
    'Redis bytes per item',
    `${formatRate(m.items.meanBytes)} (median ${formatRate(m.items.medianBytes)})`,
    '-',
    '-',
    `${m.items.sampled} items, ${m.items.meanEvents} events each on average`,
  ]);
  process.stdout.write(`\n${table(rows)}\n`);
  const cpuRows = [['cores busy (avg)', 'service', 'kafka', 'redis', 'bench', 'other', 'machine', 'events per service CPU-s']];
  for (const [name, r] of [['examples on', t], ['examples off', nx], ['freshness', f]]) {
    if (!r?.cpu) continue;
    const c = r.cpu.coresUsed;
    const perCpu = r.eventsPerServiceCpuSecond ?? (c.service ? round(r.achievedEventsPerSec / c.service, 0) : null);
    cpuRows.push([name, c.service, c.kafka ?? '-', c.redis ?? '-', c.bench, c.other, `${c.machine}/${r.cpu.machineCores}`, formatRate(perCpu)]);
  }
  process.stdout.write(`\n${table(cpuRows)}\n`);
  for (const [name, r] of [['examples on', t], ['examples off', nx]]) {
    if (r) process.stdout.write(`Redis time, ${name}: ${r.redisCommands.map((c) => `${c.command} ${c.seconds} s (${c.calls.toLocaleString('en-US')} calls, ${c.usecPerCall} µs each)`).join(', ')}\n`);
  }
  const mc = result.machine;
  process.stdout.write(
    `goals: ${formatRate(GOAL_EVENTS_PER_SEC)} events/s, freshness p99 <= ${GOAL_FRESHNESS_P99_MS} ms; ${mc.cpus} x ${mc.cpuModel}, ${mc.memGiB} GiB, Node ${mc.node}, Kafka ${mc.kafkaVersion}, Redis ${mc.redisVersion}, ${mc.os}\n\n`,
  );
}

/** Entry point, called by bench.mjs with commander's parsed options. */
export async function runFeaturesBench(options) {
  const startedAt = new Date();
  if (!options.skipBuild) await ensureBuilt(['features', 'ml']);
  await ensureInfra();
  const machine = await machineInfo();

  log('generating events from the datasets (MovieLens-100K, CDNOW, M5 subset)');
  const streams = await datasetStreams();
  const checked = validateSample(streams);
  const sequence = interleavedBatches(streams, 500).flatMap((b) => b.events);
  let [earliest, latest] = [Infinity, -Infinity];
  for (const e of sequence) {
    const t = Date.parse(e.time);
    [earliest, latest] = [Math.min(earliest, t), Math.max(latest, t)];
  }
  const spanMs = Math.ceil((latest - earliest) / 86_400_000 + 1) * 86_400_000;
  log(`${sequence.length.toLocaleString('en-US')} events in the interleaved sequence (${streams.map((s) => `${s.name} ${s.events.length.toLocaleString('en-US')}`).join(', ')}); ${checked.checked} sampled events pass parseEvent`);
  if (options.events > sequence.length) log(`${options.events.toLocaleString('en-US')} events: the sequence repeats, shifted by ${spanMs / 86_400_000} days each time, with new ids`);

  const Redis = require('ioredis');
  const run = runId();
  const kafka = kafkaClient(`storeloop-bench-${run}`);
  const admin = kafka.admin();
  await admin.connect();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const ctx = {
    run,
    options,
    kafka,
    admin,
    redis,
    dataset: { sequence, spanMs },
    redisPrefix: (phase) => `bench:${run}:${phase}:`,
    prefix: (phase) => `bench-${run}-${phase}.`,
    group: (phase) => `bench-${run}-${phase}`,
    services: new Set(),
    infraPids: await infraPids(),
  };
  const phaseNames = Object.values(PHASES).map((p) => p.name);
  const cleanup = onCleanup(async () => {
    for (const service of ctx.services) await service.stop(5000).catch(() => undefined);
    if (options.keep) {
      log(`kept topics bench-${run}-*, groups and Redis keys bench:${run}:*`);
    } else {
      const groups = phaseNames.flatMap((p) => [ctx.group(p), `${ctx.group(p)}.examples`]);
      const topics = await deleteBenchKafkaState(admin, phaseNames.map(ctx.prefix), groups).catch((error) => {
        log(`could not delete the bench topics: ${error.message}`);
        return [];
      });
      const keys = await deleteRedisKeys(REDIS_URL, `bench:${run}:`).catch((error) => {
        log(`could not delete the bench Redis keys: ${error.message}`);
        return 0;
      });
      log(`cleaned up: ${topics.length} topics, ${keys} Redis keys`);
    }
    redis.disconnect();
    await admin.disconnect().catch(() => undefined);
  });

  const result = {
    bench: 'features',
    timestamp: startedAt.toISOString(),
    goals: { eventsPerSec: GOAL_EVENTS_PER_SEC, freshnessP99Ms: GOAL_FRESHNESS_P99_MS },
    eventsPerSec: null,
    eventsPerSecNoExamples: null,
    freshnessP50Ms: null,
    freshnessP99Ms: null,
    redisBytesPerUser: null,
    redisBytesPerItem: null,
    goalsMet: null,
    throughput: null,
    throughputNoExamples: null,
    freshness: null,
    memory: null,
    machine,
    settings: {
      events: options.events,
      freshSeconds: options.freshSeconds,
      freshRate: options.freshRate ?? 'half of eventsPerSec',
      examplesVariant: options.examplesVariant,
      quietWaitSeconds: options.quietWait,
      profiled: Boolean(options.profile),
      service:
        'node services/features/dist/main.js, LOG_LEVEL=warn, defaults otherwise (FEATURES_MAX_BATCH 300, FEATURES_CONCURRENCY 4, FEATURES_EMIT_EXAMPLES true unless said); one instance; store marker set ready before it starts',
      kafkaBrokers: KAFKA_BROKERS,
      dataset: { sequence: sequence.length, byType: typeCounts(streams), bySource: Object.fromEntries(streams.map((s) => [s.name, s.events.length])), order: 'batches of 500 of each source, interleaved in proportion' },
    },
  };
  try {
    const examples = await throughputPhase(ctx, PHASES.examples, { profile: options.profile });
    result.throughput = examples.figures;
    result.memory = await memoryPhase(ctx, PHASES.examples, examples.touched);
    if (options.examplesVariant) result.throughputNoExamples = (await throughputPhase(ctx, PHASES.noExamples)).figures;
    result.freshness = await freshnessPhase(ctx, options.freshRate ?? Math.max(1, Math.round(result.throughput.eventsPerSec / 2)));
  } finally {
    await cleanup();
  }

  result.eventsPerSec = result.throughput.eventsPerSec;
  result.eventsPerSecNoExamples = result.throughputNoExamples?.eventsPerSec ?? null;
  result.freshnessP50Ms = result.freshness.freshnessP50Ms;
  result.freshnessP99Ms = result.freshness.freshnessP99Ms;
  result.redisBytesPerUser = result.memory.users.meanBytes;
  result.redisBytesPerItem = result.memory.items.meanBytes;
  result.goalsMet = {
    eventsPerSec: result.eventsPerSec >= GOAL_EVENTS_PER_SEC,
    freshnessP99Ms: result.freshness.unseen === 0 && result.freshnessP99Ms !== null && result.freshnessP99Ms <= GOAL_FRESHNESS_P99_MS,
  };
  printSummary(result);
  const profile = result.throughput.profile;
  if (profile) {
    try {
      const summary = summarizeProfile(join(root, profile.file), 15, profile.window);
      process.stdout.write(`\nCPU profile of the service in the measured throughput window (${profile.file}):\n${formatProfile(summary)}\n`);
      profile.summary = summary;
    } catch (error) {
      log(`no profile: ${error.message}`);
    }
  }
  log(`results written to ${writeResult(options.out, result)}`);
  return result.freshness.unseen > 0 ? 1 : 0;
}
