// `npm run bench -- ingest-steps`: the CPU cost per event of each step the
// ingestion service performs, measured in this process on the same realistic
// events (no service, no HTTP; Redis only for the dedup commands). It explains
// the end-to-end figures of `bench -- ingest`: their sum is the floor of the
// service's per-event cost before framework overhead and GC.
//
// One event through ingestion today costs, on the HTTP path: JSON.parse (body),
// parseEvent, sha256 dedup key + EXISTS, JSON.stringify, trace headers, kafkajs
// encode (raw topic); then on the consumer path: kafkajs decode, UTF-8 decode,
// JSON.parse, parseEvent, trace context, sha256 + SET NX GET, JSON.stringify,
// kafkajs encode (events topic, in a transaction).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { datasetStreams, interleavedBatches, serializeEvent } from './events.mjs';
import { REDIS_URL, ensureBuilt, formatRate, log, machineInfo, require, round, table, writeResult } from './lib.mjs';

/** Runs `fn` over `batches` repeatedly for about `ms`, returning CPU microseconds per event. */
async function perEvent(batches, eventsPerBatch, fn, ms) {
  // Warm up the JIT on a few batches first.
  for (let i = 0; i < Math.min(20, batches.length); i++) await fn(batches[i]);
  const started = process.cpuUsage();
  const wall = Date.now();
  let events = 0;
  let i = 0;
  while (Date.now() - wall < ms) {
    await fn(batches[i++ % batches.length]);
    events += eventsPerBatch;
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / events;
}

export async function runIngestSteps(options) {
  if (!options.skipBuild) await ensureBuilt(['contracts', 'messaging', 'observability', 'testing']);
  const { parseEvent, partitionKeyOf } = require('@storeloop/contracts');
  const { continueTrace, traceHeaders } = require('@storeloop/observability');
  const ProduceRequest = require('kafkajs/src/protocol/requests/produce/v3/request');
  const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
  const Decoder = require('kafkajs/src/protocol/decoder');

  log('generating events from the datasets');
  const size = options.batch;
  const batches = interleavedBatches(await datasetStreams(), size).slice(0, 200);
  const bodies = batches.map((b, k) => `[${b.events.map((e, i) => serializeEvent(e, `steps-${k}-${i}`)).join(',')}]`);
  const items = bodies.map((body) => JSON.parse(body));
  const parsed = items.map((batch) => batch.map((e) => parseEvent(e).event));
  const strings = parsed.map((batch) => batch.map((e) => JSON.stringify(e)));
  const messages = parsed.map((batch, k) =>
    batch.map((e, i) => ({
      key: partitionKeyOf(e),
      value: strings[k][i],
      headers: { ...traceHeaders(continueTrace({}, e.id)), 'content-type': 'application/cloudevents+json; charset=UTF-8' },
    })),
  );
  const encodedBatches = [];
  for (const batch of messages) {
    const records = batch.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: 0 }));
    encodedBatches.push((await RecordBatch({ records, lastOffsetDelta: records.length - 1 })).buffer);
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const ms = options.millis;
  const steps = [];
  const step = async (name, path, input, fn) => {
    const us = await perEvent(input, size, fn, ms);
    steps.push({ step: name, path, usPerEvent: round(us, 2) });
    log(`  ${name.padEnd(46)} ${us.toFixed(2).padStart(7)} µs/event`);
  };

  log(`per-event CPU cost, ${size}-event batches, ${ms} ms per step`);
  const ks = bodies.map((_, k) => k);
  await step('JSON.parse (request body)', 'http', bodies, (body) => JSON.parse(body));
  await step('parseEvent (zod: envelope + data)', 'both', ks, (k) => items[k].forEach((e) => parseEvent(e)));
  await step('dedup key: sha256(tenant, source, id)', 'both', ks, (k) =>
    parsed[k].forEach((e) => createHash('sha256').update(`${e.tenant}\n${e.source}\n${e.id}`).digest('base64url')),
  );
  await step('JSON.stringify (normalised event)', 'both', ks, (k) => parsed[k].forEach((e) => JSON.stringify(e)));
  const trace = continueTrace({});
  await step('trace headers per event (traceHeaders)', 'both', ks, (k) => parsed[k].forEach((e) => traceHeaders({ ...trace, causationId: e.id })));
  await step('trace context per record (continueTrace)', 'raw', ks, (k) => parsed[k].forEach((e) => continueTrace({}, e.id)));
  await step('  of which randomBytes(16)+randomBytes(8)+UUID', 'raw', ks, (k) =>
    parsed[k].forEach(() => {
      randomBytes(16).toString('hex');
      randomBytes(8).toString('hex');
      randomUUID();
    }),
  );
  await step('kafkajs: encode produce request', 'both', ks, async (k) => {
    await ProduceRequest({ acks: -1, timeout: 30000, topicData: [{ topic: 'retail.events.v1', partitions: [{ partition: 0, firstSequence: 0, messages: messages[k] }] }] }).encode();
  });
  await step('kafkajs: decode fetched record batch', 'raw', ks, async (k) => {
    const buffer = encodedBatches[k];
    await decodeRecordBatch(new Decoder(buffer));
  });
  await step('UTF-8 decode + JSON.parse (raw record value)', 'raw', ks, (k) => strings[k].forEach((s) => JSON.parse(utf8.decode(Buffer.from(s)))));

  // Redis: the dedup commands as the service sends them (one per event, auto-pipelined).
  let redisSteps = null;
  try {
    const Redis = require('ioredis');
    const redis = new Redis(REDIS_URL, { enableAutoPipelining: true, keyPrefix: 'bench:steps:', lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const keysOf = (k) => parsed[k].map((e) => `bench:steps:dedup:${e.id}`);
    await step('ioredis: EXISTS per event (HTTP pre-check)', 'http', ks, (k) => Promise.all(keysOf(k).map((key) => redis.exists(key))));
    await step('ioredis: SET NX GET PX per event (claim)', 'raw', ks, (k) =>
      Promise.all(keysOf(k).map((key, i) => redis.call('SET', key, `owner-${i}`, 'NX', 'GET', 'PX', '60000'))),
    );
    await step('ioredis: one Lua call per batch (alternative)', 'alt', ks, (k) =>
      redis.eval(
        "local r = {} for i, key in ipairs(KEYS) do r[i] = redis.call('SET', key, ARGV[i], 'NX', 'GET', 'PX', 60000) or false end return r",
        size,
        ...keysOf(k),
        ...keysOf(k).map((_, i) => `owner-${i}`),
      ),
    );
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', 'bench:steps:*', 'COUNT', 5000);
      cursor = next;
      // call() is not prefixed, so the keys it wrote carry the full name already; UNLINK them as they are.
      if (found.length > 0) await redis.call('UNLINK', ...found);
    } while (cursor !== '0');
    redis.disconnect();
    redisSteps = true;
  } catch (error) {
    log(`Redis steps skipped: ${error.message}`);
  }

  const sum = (path) => round(steps.filter((s) => !s.step.startsWith('  ') && (s.path === path || s.path === 'both')).reduce((n, s) => n + s.usPerEvent, 0), 1);
  // HTTP path today also runs parse+validate+stringify+encode once more in the consumer, so both sums matter.
  const httpUs = sum('http');
  const rawUs = sum('raw');
  const result = {
    bench: 'ingest-steps',
    timestamp: new Date().toISOString(),
    eventsPerBatch: size,
    millisPerStep: ms,
    steps,
    sums: {
      httpRequestPathUsPerEvent: httpUs,
      rawConsumerPathUsPerEvent: rawUs,
      ceilingEventsPerCoreHttp: round(1e6 / httpUs, 0),
      ceilingEventsPerCoreRaw: round(1e6 / rawUs, 0),
      note: 'sums of the steps only: framework, HTTP, GC and Kafka protocol round trips come on top',
    },
    redisMeasured: Boolean(redisSteps),
    machine: await machineInfo(),
  };
  const rows = [['step', 'path', 'µs/event', 'events/s per core'], ...steps.map((s) => [s.step, s.path, s.usPerEvent, formatRate(1e6 / s.usPerEvent)])];
  rows.push(['sum, HTTP request path', 'http', httpUs, formatRate(1e6 / httpUs)]);
  rows.push(['sum, raw consumer path', 'raw', rawUs, formatRate(1e6 / rawUs)]);
  process.stdout.write(`\n${table(rows)}\n\n`);
  log(`results written to ${writeResult(options.out, result)}`);
  return 0;
}
