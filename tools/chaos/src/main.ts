import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { EventType, TOPICS, parseEvent, type StoreloopEvent } from '@storeloop/contracts';
import { createRedis, loadRedisSettings, storeDifferencesFromEvents } from '@storeloop/feature-store';
import { sumSamples } from '@storeloop/observability';
import { deleteRedisKeysWithPrefix, generateStream, repoRoot, uniqueSuffix, waitFor } from '@storeloop/testing';
import { LocalInfra } from './infra';
import { groupMembers, laggingPartitions, logDigest } from './diagnose';
import { groupLag, readWholeTopic, topicSettings, underReplicated } from './kafka-checks';
import { RetryingLoad } from './load';
import { ChaosPlatform } from './platform';
import { InferenceProbe, tally } from './probe';
import { exactlyOnce, formatChecks, median, slope, type Check } from './stats';

const DAY = 86_400_000;

interface Options {
  events: number;
  rate: number;
  clients: number;
  batch: number;
  features: number;
  brokers: number;
  seed: number;
  outages: boolean;
  outageSeconds: number;
  soak: boolean;
  minutes: number;
  keep: boolean;
  out: string;
}

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
};

function log(message: string): void {
  process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Recovery {
  fault: string;
  atAcknowledged: number;
  /** What "recovered" means for this fault, and how long it took. */
  measures: Record<string, number | string>;
}

async function waitLagZero(admin: Admin, group: string, topics: string[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  let said = started;
  await waitFor(async () => {
    const lag = await groupLag(admin, group, topics).catch(() => -1);
    if (Date.now() - said >= 60_000) {
      said = Date.now();
      log(`${group}: lag ${lag} after ${Math.round((said - started) / 1000)} s`);
    }
    return lag === 0 ? true : undefined;
  }, {
    timeoutMs,
    intervalMs: 1_000,
    description: `consumer group ${group} to reach lag 0`,
  });
  return Date.now() - started;
}

/**
 * What a group that did not reach lag 0 looks like: the partitions it has
 * not committed, its members and their partitions, and per service of the
 * group whether it answers, what it reports as lag and applied, and the
 * warnings and errors it logged. One line each, for the verdict.
 */
async function diagnoseLag(run: Run, which: 'ingestion' | 'features', waitedMs: number): Promise<string[]> {
  const { admin, platform } = run;
  const group = platform.groups[which];
  const lines = [`${group} not at lag 0 after ${Math.round(waitedMs / 1000)} s`];
  const attempt = async (label: string, work: () => Promise<string | string[]>) => {
    try {
      const got = await work();
      lines.push(...(Array.isArray(got) ? got : [got]));
    } catch (error) {
      lines.push(`${label}: ${(error as Error).message}`);
    }
  };
  await attempt('lagging partitions', async () => {
    const lagging = await laggingPartitions(admin, group, platform.consumed[which]);
    return `lagging: ${lagging.map((p) => `${p.topic.slice(platform.topicPrefix.length)}/${p.partition} committed ${p.committed} of ${p.high}`).join('; ') || 'none now'}`;
  });
  await attempt('group', async () => {
    const { state, members } = await groupMembers(admin, group);
    return `group ${state}: ${members.map((m) => `${m.member} holds ${m.partitions.length}`).join(', ') || 'no members'}`;
  });
  const services = which === 'ingestion' ? [platform.ingestion] : platform.features;
  for (const service of services) {
    const name = `${service.service}:${service.port}`;
    await attempt(name, async () => {
      const ready = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(3_000) }).then((r) => String(r.status)).catch((e: Error) => e.message);
      const metrics = await platform.metrics(service).catch(() => []);
      const lag = sumSamples(metrics, 'kafka_consumer_lag');
      const handled = sumSamples(metrics, 'kafka_consumer_records_total');
      const retries = sumSamples(metrics, 'kafka_consumer_retries_total');
      return [`${name} pid ${service.pid ?? '-'} ${service.isRunning ? 'running' : 'not running'}, ready ${ready}, own lag ${lag}, records ${handled}, retries ${retries}; its warnings and errors:`, ...logDigest(service.output()).map((l) => `  ${l}`)];
    });
  }
  for (const line of lines) log(`diagnosis: ${line}`);
  return lines;
}

/** waitLagZero, but a group that does not get there is diagnosed and the run goes on to its verdict. */
async function drained(run: Run, which: 'ingestion' | 'features', timeoutMs: number, diagnoses: string[]): Promise<number | undefined> {
  const started = Date.now();
  try {
    return await waitLagZero(run.admin, run.platform.groups[which], run.platform.consumed[which], timeoutMs);
  } catch {
    diagnoses.push(...(await diagnoseLag(run, which, Date.now() - started)));
    return undefined;
  }
}

async function committedSum(admin: Admin, group: string, topics: string[]): Promise<number> {
  let sum = 0;
  for (const topic of topics) {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    for (const p of committed.partitions) sum += Math.max(0, Number(p.offset));
  }
  return sum;
}

/** The faults, the outages and the verdict: see README "Faults and load". */
async function chaos(options: Options): Promise<Check[]> {
  const run = openRun(options, { dir: '', clientId: 'storeloop-chaos', features: options.features });
  const { runId, infra, redisUrl, platform, kafka, admin, checks, check } = run;
  const recoveries: Recovery[] = [];
  const report = run.report;
  report.recoveries = recoveries;

  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    log(`run ${runId}: ${cluster.brokers.length} broker(s) at ${infra.bootstrap.join(',')}, Redis ${redisUrl}`);
    await platform.start();
    log(`services up: ingestion ${platform.ingestion.url}, features ×${platform.features.length}, inference ${platform.inference.url}`);
    platform.watchLiveness();

    // Topics as the services provisioned them.
    const settings = await topicSettings(admin, [...platform.consumed.ingestion, ...platform.consumed.features]);
    report.topics = settings;
    const wantRf = options.brokers;
    const wantIsr = options.brokers >= 3 ? 2 : 1;
    check(
      `topics replicated ${wantRf}× with min.insync.replicas ${wantIsr}`,
      settings.every((t) => t.replicationFactor === wantRf && t.minInsyncReplicas === wantIsr),
      settings.map((t) => `${t.topic.slice(platform.topicPrefix.length)} rf ${t.replicationFactor} isr≥${t.minInsyncReplicas}`).join(', '),
    );

    // ---------------------------------------------------------------- stream --
    const tag = `c${runId}`;
    const now = Date.now();
    log(`generating ${options.events} events (seed ${options.seed})`);
    const stream = generateStream({ seed: options.seed, events: options.events, users: Math.max(1_000, Math.floor(options.events / 50)), skus: 5_000, startMs: now - 10 * DAY, spanMs: 10 * DAY - 600_000, tag: `${tag}-a` });
    const acknowledged: StoreloopEvent[] = [];
    const load = new RetryingLoad(stream, { url: `${platform.ingestion.url}/v1/events`, apiKey: platform.apiKey, batchSize: options.batch, clients: options.clients, rate: options.rate, timeoutMs: 30_000 }, (batch) => {
      for (const e of batch) acknowledged.push(e);
    });

    // Faults at fractions of the stream acknowledged, one after another, each while events keep coming.
    const plan: { at: number; name: string; act: () => Promise<Recovery['measures']> }[] = [];
    const killFeatures = (i: number) => async () => {
      const { readyAfterMs } = await platform.killAndRestart(platform.features[i]);
      return { 'SIGKILL → restarted process ready (ms)': readyAfterMs };
    };
    plan.push({ at: 0.1, name: 'SIGKILL features #1', act: killFeatures(0) });
    if (options.brokers >= 3) {
      plan.push({
        at: 0.25,
        name: 'SIGKILL Kafka broker 2 (down 20 s)',
        act: async () => {
          const killedAt = Date.now();
          const before = { ...load.stats.failures };
          infra.killBroker(2);
          await sleep(20_000);
          const restartAt = Date.now();
          await infra.startKafka();
          const brokerReadyMs = Date.now() - restartAt;
          const topics = [...platform.consumed.ingestion, ...platform.consumed.features];
          await waitFor(async () => ((await underReplicated(admin, topics).catch(() => 1)) === 0 ? true : undefined), { timeoutMs: 300_000, intervalMs: 500, description: 'every partition back to full ISR' });
          const failures = Object.entries(load.stats.failures).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0);
          return {
            'restart → broker registered (ms)': brokerReadyMs,
            'SIGKILL → every partition fully in sync again (ms)': Date.now() - killedAt,
            'client retries meanwhile': failures.length ? failures.map(([k, v]) => `${v}×${k}`).join(' ') : 'none',
          };
        },
      });
    }
    plan.push({ at: 0.4, name: 'SIGKILL features #2', act: killFeatures(Math.min(1, options.features - 1)) });
    plan.push({
      at: 0.55,
      name: 'SIGKILL ingestion (the only HTTP instance)',
      act: async () => {
        const killedAt = Date.now();
        const ackedBefore = load.stats.acknowledged;
        const { readyAfterMs } = await platform.killAndRestart(platform.ingestion);
        await waitFor(() => ((load.stats.acknowledged > ackedBefore && load.stats.lastAckAt > killedAt + readyAfterMs) || load.stats.acknowledged >= options.events ? true : undefined), {
          timeoutMs: 300_000,
          intervalMs: 50,
          description: 'a 202 after the restart',
        });
        return { 'SIGKILL → restarted process ready (ms)': readyAfterMs, 'SIGKILL → first 202 again (ms)': load.stats.lastAckAt > killedAt ? load.stats.lastAckAt - killedAt : 'stream ended first' };
      },
    });
    plan.push({ at: 0.7, name: 'SIGKILL features #3', act: killFeatures(Math.min(2, options.features - 1)) });

    let acked = 0;
    load.onAck((n) => (acked = n));
    const started = Date.now();
    const running = load.run();
    running.catch(() => undefined);
    const progress = setInterval(() => log(`acknowledged ${load.stats.acknowledged}/${options.events} (${Math.round(load.stats.acknowledged / ((Date.now() - started) / 1000))} ev/s), retries ${load.stats.retries}`), 15_000);
    try {
      for (const fault of plan) {
        await waitFor(
          () => (load.failure || acked >= fault.at * options.events ? true : undefined),
          { timeoutMs: 3_600_000, intervalMs: 50, description: `${fault.name} point` },
        );
        if (load.failure) throw load.failure;
        log(`fault: ${fault.name} at ${acked} acknowledged`);
        const atAcknowledged = acked;
        const measures = await fault.act();
        recoveries.push({ fault: fault.name, atAcknowledged, measures });
        log(`recovered from ${fault.name}: ${JSON.stringify(measures)}`);
      }
      await running;
    } finally {
      clearInterval(progress);
    }
    const streamSeconds = (Date.now() - started) / 1000;
    log(`stream done: ${load.stats.acknowledged} events acknowledged in ${streamSeconds.toFixed(0)} s; ${JSON.stringify(load.stats)}`);
    report.stream = { seconds: streamSeconds, stats: load.stats };
    check('every fault happened while events were streaming', recoveries.length === plan.length && recoveries.every((r) => r.atAcknowledged < options.events), recoveries.map((r) => `${r.fault} at ${r.atAcknowledged}`).join('; '));

    const drainStarted = Date.now();
    // Draining a million events takes features about half an hour on two shared cores: the limit grows with the stream.
    // A group that does not get there is diagnosed and fails the verdict; the small run's limits end before its test's.
    const drainLimitMs = Math.max(240_000, options.events * 4);
    const settleLimitMs = Math.min(900_000, Math.max(180_000, options.events * 2));
    const diagnoses: string[] = [];
    const ingestionDrainMs = await drained(run, 'ingestion', drainLimitMs, diagnoses);
    await drained(run, 'features', drainLimitMs, diagnoses);
    report.drain = { ingestionMs: ingestionDrainMs, featuresMs: Date.now() - drainStarted };
    log(`lag 0: ingestion after ${ingestionDrainMs} ms, features after ${Date.now() - drainStarted} ms (from the last 202)`);

    // --------------------------------------------------------------- outages --
    const probe = new InferenceProbe(() => platform.inference.url, platform.apiKey, `${tag}-probe-`);
    let outageEvents: StoreloopEvent[] = [];
    if (options.outages) {
      outageEvents = generateStream({ seed: options.seed + 1, events: Math.max(10_000, Math.floor(options.outageSeconds * 2.5 * 500)), users: 2_000, skus: 5_000, startMs: now - 600_000, spanMs: 300_000, tag: `${tag}-b` });
      const outageRate = Math.max(200, Math.floor(outageEvents.length / (options.outageSeconds * 2.5)));
      const load2 = new RetryingLoad(outageEvents, { url: `${platform.ingestion.url}/v1/events`, apiKey: platform.apiKey, batchSize: 200, clients: 2, rate: outageRate, timeoutMs: 30_000 }, (batch) => {
        for (const e of batch) acknowledged.push(e);
      });
      probe.start();
      const running2 = load2.run();
      running2.catch(() => undefined);
      await sleep(5_000);

      // Redis stopped.
      log(`outage: Redis stopped for ${options.outageSeconds} s`);
      const ackBefore = load2.stats.acknowledged;
      const failuresBefore = { ...load2.stats.failures };
      const redisDownAt = Date.now();
      await infra.stopRedis();
      await sleep(options.outageSeconds * 1000);
      const redisBackAt = Date.now();
      await infra.startRedis();
      const redisUpMs = Date.now() - redisBackAt;
      const featuresCommitted = await committedSum(admin, platform.groups.features, platform.consumed.features);
      await waitFor(async () => ((await committedSum(admin, platform.groups.features, platform.consumed.features)) > featuresCommitted ? true : undefined), { timeoutMs: 300_000, intervalMs: 250, description: 'features to apply again after Redis returned' });
      const featuresResumeMs = Date.now() - redisBackAt;
      const during = probe.between(redisDownAt + 1_000, redisBackAt);
      const ingestDuring = {
        acknowledged: load2.stats.acknowledged - ackBefore,
        failures: Object.fromEntries(Object.entries(load2.stats.failures).map(([k, v]) => [k, v - (failuresBefore[k] ?? 0)]).filter(([, v]) => Number(v) > 0)),
      };
      recoveries.push({
        fault: `Redis stopped ${options.outageSeconds} s`,
        atAcknowledged: acked + ackBefore,
        measures: { 'start → Redis ready (ms)': redisUpMs, 'Redis back → features applying again (ms)': featuresResumeMs },
      });
      const serverErrors = during.filter((a) => typeof a.status === 'number' && a.status >= 500).length;
      report.redisOutage = { ingestion: ingestDuring, inference: tally(during) };
      check(
        'Redis down: ingestion keeps answering 202 (the raw topic holds the events; the consumer waits for Redis)',
        ingestDuring.acknowledged > 0 && !Object.keys(ingestDuring.failures).some((k) => k !== '503'),
        `${ingestDuring.acknowledged} events acknowledged during the outage; retried answers ${JSON.stringify(ingestDuring.failures)}`,
      );
      check(
        'Redis down: inference answers, degraded answers marked, no 5xx',
        during.length > 0 && serverErrors === 0 && during.some((a) => a.degraded) && during.every((a) => a.status === 200),
        `${during.length} requests: ${JSON.stringify(tally(during))}`,
      );
      check('Redis down: features paused and resumed', featuresResumeMs < 300_000, `applying again ${featuresResumeMs} ms after Redis returned`);

      await sleep(5_000);
      // Kafka unreachable: every broker stopped.
      log(`outage: Kafka stopped for ${options.outageSeconds} s`);
      const kafkaDownAt = Date.now();
      await infra.stopKafka();
      await sleep(options.outageSeconds * 1000);
      const kafkaBackAt = Date.now();
      await infra.startKafka();
      const kafkaUpMs = Date.now() - kafkaBackAt;
      const ackAtRestart = load2.stats.acknowledged;
      const resumed = await waitFor(() => (load2.stats.acknowledged > ackAtRestart || load2.stats.acknowledged >= outageEvents.length ? true : undefined), {
        timeoutMs: 300_000,
        intervalMs: 100,
        description: 'ingestion to acknowledge again after Kafka returned',
      }).catch(() => false);
      const ingestResumeMs = Date.now() - kafkaBackAt;
      check('Kafka back: ingestion acknowledges again', resumed === true, resumed ? `first 202 ${ingestResumeMs} ms after the brokers were started (the brokers took ${kafkaUpMs} ms)` : `no 202 within 300 s of the restart; answers meanwhile ${JSON.stringify(load2.stats.failures)}`);
      if (!resumed) load2.stop();
      const duringKafka = probe.between(kafkaDownAt + 1_000, kafkaBackAt);
      report.kafkaOutage = { inference: tally(duringKafka) };
      check(
        'Kafka down: inference keeps serving (no 5xx)',
        duringKafka.length > 0 && duringKafka.every((a) => a.status === 200),
        `${duringKafka.length} requests: ${JSON.stringify(tally(duringKafka))}`,
      );
      recoveries.push({
        fault: `Kafka stopped ${options.outageSeconds} s (all brokers)`,
        atAcknowledged: acked + ackAtRestart,
        measures: { 'start → brokers ready (ms)': kafkaUpMs, 'Kafka back → ingestion acknowledging again (ms)': ingestResumeMs },
      });
      await running2.catch(() => undefined);
      await probe.stop();
      report.outageStream = load2.stats;
      const spooled = new Set(duringKafka.map((a) => a.recommendationId).filter((id): id is string => Boolean(id)));
      report.spooledDuringKafkaOutage = spooled.size;
      await drained(run, 'ingestion', settleLimitMs, diagnoses);
      await drained(run, 'features', settleLimitMs, diagnoses);
      (report as { spooled: Set<string> }).spooled = spooled;
    }

    // ---------------------------------------------------------------- verdict --
    log('reading every record back');
    // Lag 0 now; a last look in case a spool drain landed after it.
    await sleep(5_000);
    if (diagnoses.length === 0) await drained(run, 'features', settleLimitMs, diagnoses);
    const ackedIds = new Set(acknowledged.map((e) => e.id));
    const streamId = new RegExp(`^${tag}-[ab]-e\\d+$`);
    const seen = new Map<string, number>();
    const perTopic: Record<string, { records: number; ours: number }> = {};
    const impressions: StoreloopEvent[] = [];
    const probeUsers = `${tag}-probe-`;
    for (const logical of ['retail.events.v1', 'retail.feedback.v1']) {
      const topic = platform.physical(logical);
      let ours = 0;
      const records = await readWholeTopic(kafka, admin, topic, (value) => {
        const event = JSON.parse(value.toString('utf8')) as { id: string; type: string; data?: { userId?: string } };
        if (streamId.test(event.id)) {
          ours++;
          seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
        } else if (event.type === EventType.RecommendationServed && event.data?.userId?.startsWith(probeUsers)) {
          const parsed = parseEvent(event);
          if (parsed.ok) impressions.push(parsed.event);
        }
      });
      perTopic[logical] = { records, ours };
    }
    report.topicsRead = perTopic;
    const tallyIds = exactlyOnce(ackedIds, seen);
    check(
      'every event answered 202 is on its topic exactly once (retail.events.v1, feedback types on retail.feedback.v1)',
      tallyIds.missing.length === 0 && tallyIds.duplicated.length === 0 && tallyIds.unexpected.length === 0 && ackedIds.size === acknowledged.length,
      `${ackedIds.size} acknowledged; read ${JSON.stringify(perTopic)}; missing ${tallyIds.missing.length}, duplicated ${tallyIds.duplicated.length}, never acknowledged ${tallyIds.unexpected.length}` +
        (tallyIds.missing.length + tallyIds.duplicated.length > 0 ? ` e.g. ${[...tallyIds.missing.slice(0, 3), ...tallyIds.duplicated.slice(0, 3)].join(', ')}` : ''),
    );

    // The stream holds only valid events: a dead letter here is a valid event some consumer gave up on.
    const dlq = platform.physical(TOPICS.deadLetters.name);
    const deadLetters: string[] = [];
    if ((await admin.listTopics()).includes(dlq)) {
      await readWholeTopic(kafka, admin, dlq, (value) => {
        const letter = JSON.parse(value.toString('utf8')) as { sourceTopic?: string; partition?: number; offset?: string; consumerGroup?: string; code?: string; reason?: string };
        deadLetters.push(`${letter.sourceTopic}/${letter.partition}@${letter.offset} by ${letter.consumerGroup}: ${letter.code} ${letter.reason}`);
      });
    }
    check(
      'no valid event dead-lettered (the stream holds only valid events)',
      deadLetters.length === 0,
      deadLetters.length === 0 ? `0 records on ${TOPICS.deadLetters.name}` : `${deadLetters.length} dead letters, e.g. ${deadLetters.slice(0, 3).join('; ')}`,
    );

    if (options.outages) {
      const spooled = (report as { spooled?: Set<string> }).spooled ?? new Set<string>();
      const arrived = new Set(impressions.map((e) => e.id));
      const lost = [...spooled].filter((id) => !arrived.has(id));
      delete (report as { spooled?: unknown }).spooled;
      check('Kafka down: impressions served meanwhile were spooled and arrived afterwards', spooled.size > 0 && lost.length === 0, `${spooled.size} lists served while Kafka was down, ${spooled.size - lost.length} of their impressions on retail.feedback.v1${lost.length ? `; missing e.g. ${lost.slice(0, 3).join(', ')}` : ''}`);
    }

    log('comparing every feature counter with the reference computed from the acknowledged events');
    const redis = createRedis(loadRedisSettings({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: platform.redisKeyPrefix }), 'chaos-verify');
    try {
      const reference = [...acknowledged, ...impressions];
      const { differences, total, users, items } = await storeDifferencesFromEvents(redis, reference, 10);
      check(
        'every feature counter in Redis equals the value computed from the acknowledged events',
        total === 0 && users > 0,
        `${users} users and ${items} items compared over ${reference.length} events (${impressions.length} of them impressions inference logged for the probe's users); ${total} differences${total ? `: ${differences.join('; ')}` : ''}`,
      );
    } finally {
      redis.disconnect();
    }

    const lags = {
      ingestion: await groupLag(admin, platform.groups.ingestion, platform.consumed.ingestion),
      features: await groupLag(admin, platform.groups.features, platform.consumed.features),
    };
    report.diagnoses = diagnoses;
    check(
      'no consumer group stuck: lag back to 0',
      lags.ingestion === 0 && lags.features === 0 && diagnoses.length === 0,
      `ingestion ${lags.ingestion}, features ${lags.features}; drained ${ingestionDrainMs === undefined ? 'never' : `${ingestionDrainMs} ms`} / ${(report.drain as { featuresMs: number }).featuresMs} ms after the last 202` +
        diagnoses.map((line) => `\n      ${line}`).join(''),
    );
    check(
      'every service stayed live: no consumer reported stalled on /health/live',
      platform.notLive.length === 0,
      platform.notLive.length === 0 ? 'every answer 200 (asked every 2 s)' : `${platform.notLive.length} answers not 200, e.g. ${platform.notLive.slice(0, 3).join('; ')}`,
    );
    const exits = platform.all().flatMap((s) => s.exits.map((e) => `${s.service}:${e.signal ?? e.code}`));
    check('every process exit was a kill of ours', exits.every((e) => e.endsWith('SIGKILL')), exits.join(', ') || 'none');
    report.recoveries = recoveries;
    log('recovery times:');
    for (const r of recoveries) log(`  ${r.fault.padEnd(44)} ${Object.entries(r.measures).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    check('every component recovered', recoveries.length === plan.length + (options.outages ? 2 : 0), `${recoveries.length} recoveries timed`);
  } finally {
    await closeRun(run, options);
  }
  return checks;
}

/** What a chaos or soak run holds: its servers, services, admin client, checks and report. */
interface Run {
  runId: string;
  /** Report folder, relative to the repository (as printed). */
  dir: string;
  workDir: string;
  infra: LocalInfra;
  redisUrl: string;
  platform: ChaosPlatform;
  kafka: Kafka;
  admin: Admin;
  checks: Check[];
  check: (name: string, passed: boolean, detail: string) => void;
  report: Record<string, unknown>;
}

function openRun(options: Options, kind: { dir: string; clientId: string; features: number }): Run {
  const root = repoRoot(__dirname);
  const runId = uniqueSuffix();
  const dir = join(options.out, `${kind.dir}${runId}`);
  const workDir = join(root, dir);
  mkdirSync(workDir, { recursive: true });
  const infra = new LocalInfra(root, options.brokers);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  const platform = new ChaosPlatform({ runId, brokers: infra.bootstrap, redisUrl, features: kind.features, workDir });
  const kafka = new Kafka({ clientId: kind.clientId, brokers: infra.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const checks: Check[] = [];
  const check = (name: string, passed: boolean, detail: string) => {
    checks.push({ name, passed, detail });
    log(`${passed ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
  };
  const report: Record<string, unknown> = { runId, options, startedAt: new Date().toISOString() };
  return { runId, dir, workDir, infra, redisUrl, platform, kafka, admin: kafka.admin(), checks, check, report };
}

/** Writes the report (whatever the run reached), stops the services and removes the run's topics and keys unless --keep. */
async function closeRun(run: Run, options: Options): Promise<void> {
  run.report.checks = run.checks;
  run.report.finishedAt = new Date().toISOString();
  writeFileSync(join(run.workDir, 'report.json'), `${JSON.stringify(run.report, null, 2)}\n`);
  await run.platform.stop();
  if (!options.keep) await cleanup(run.admin, run.platform, run.redisUrl);
  await run.admin.disconnect();
  log(`report: ${join(run.dir, 'report.json')}`);
}

async function cleanup(admin: Admin, platform: ChaosPlatform, redisUrl: string): Promise<void> {
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(platform.topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
    await deleteRedisKeysWithPrefix(redisUrl, platform.redisKeyPrefix);
  } catch (error) {
    log(`cleanup incomplete: ${(error as Error).message}`);
  }
}

/**
 * Soak: first the platform's maximum (ingestion → features, unthrottled, and
 * inference, closed loop) measured in this run, then `minutes` at half of
 * each, sampling every service's memory and event-loop delay and the groups'
 * lag every 10 s; slopes by least squares over the samples after warm-up.
 */
async function soak(options: Options): Promise<Check[]> {
  const run = openRun(options, { dir: 'soak-', clientId: 'storeloop-soak', features: 1 });
  const { runId, platform, admin, checks, check } = run;
  const report = run.report;
  report.mode = 'soak';
  try {
    await admin.connect();
    await platform.start();
    const tag = `s${runId}`;
    const now = Date.now();

    // Maximum: 30 s unthrottled; the rate is what features applied (the slowest stage).
    log('measuring the maximum throughput (30 s unthrottled)');
    const probeStream = generateStream({ seed: options.seed, events: 400_000, users: 8_000, skus: 5_000, startMs: now - 2 * DAY, spanMs: DAY, tag: `${tag}-m` });
    const maxLoad = new RetryingLoad(probeStream, { url: `${platform.ingestion.url}/v1/events`, apiKey: platform.apiKey, batchSize: 500, clients: 4, rate: 0, timeoutMs: 30_000 });
    const before = await committedSum(admin, platform.groups.features, platform.consumed.features);
    const maxRun = maxLoad.run();
    await sleep(30_000);
    const applied = (await committedSum(admin, platform.groups.features, platform.consumed.features)) - before;
    maxLoad.stop();
    await maxRun;
    const ingestMax = maxLoad.stats.acknowledged / 30;
    const featuresMax = applied / 30;
    const maxRate = Math.min(ingestMax, featuresMax);
    // The backlog of the measurement drains before the soak (at most 5 min; the warm-up absorbs a rest).
    await waitLagZero(admin, platform.groups.features, platform.consumed.features, 300_000).catch(() => log('the measurement backlog is not drained after 5 min; soaking anyway'));
    const inferenceMax = await inferenceThroughput(platform, 15_000, 8);
    log(`maximum: ingestion ${ingestMax.toFixed(0)} ev/s, features ${featuresMax.toFixed(0)} ev/s, inference ${inferenceMax.toFixed(0)} req/s`);
    const rate = Math.max(50, Math.floor(maxRate / 2));
    const inferenceRate = Math.max(5, Math.floor(inferenceMax / 2));
    report.maximum = { ingestMax, featuresMax, inferenceMax, soakRate: rate, soakInferenceRate: inferenceRate };

    // The soak.
    const seconds = options.minutes * 60;
    const events = generateStream({ seed: options.seed + 7, events: Math.ceil(rate * seconds), users: 20_000, skus: 5_000, startMs: now - DAY, spanMs: DAY - 60_000, tag: `${tag}-s` });
    const load = new RetryingLoad(events, { url: `${platform.ingestion.url}/v1/events`, apiKey: platform.apiKey, batchSize: 250, clients: 2, rate, timeoutMs: 30_000 });
    // Storefront traffic: 5,000 shoppers in turn (each asks about once a minute), and one request in ten from 50 hot
    // users who ask several times a second and so keep more lists open than FEATURES_SERVED_MAX_OPEN_PER_USER.
    const probe = new InferenceProbe(() => platform.inference.url, platform.apiKey, `${tag}-u`, 1000 / inferenceRate, { users: 5_000, hotUsers: 50, hotEvery: 10 });
    log(`soak: ${options.minutes} min at ${rate} ev/s and ${inferenceRate} req/s`);
    const samples: { t: number; service: string; rssMb: number; heapMb: number; loopP99Ms: number }[] = [];
    const lagSamples: { t: number; ingestion: number; features: number }[] = [];
    const started = Date.now();
    probe.start();
    const running = load.run();
    while (Date.now() - started < seconds * 1000) {
      await sleep(10_000);
      const t = (Date.now() - started) / 60_000;
      for (const service of platform.all()) {
        const metrics = await platform.metrics(service).catch(() => []);
        samples.push({ t, service: `${service.service}:${service.port}`, rssMb: sumSamples(metrics, 'process_resident_memory_bytes') / 2 ** 20, heapMb: sumSamples(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20, loopP99Ms: sumSamples(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000 });
      }
      lagSamples.push({ t, ingestion: await groupLag(admin, platform.groups.ingestion, platform.consumed.ingestion).catch(() => NaN), features: await groupLag(admin, platform.groups.features, platform.consumed.features).catch(() => NaN) });
      const last = lagSamples[lagSamples.length - 1];
      log(`t ${t.toFixed(1)} min: acknowledged ${load.stats.acknowledged}, lag ingestion ${last.ingestion} features ${last.features}, ${samples.slice(-platform.all().length).map((s) => `${s.service.split(':')[0]} ${s.rssMb.toFixed(0)} MB/${s.loopP99Ms.toFixed(1)} ms`).join(', ')}`);
    }
    load.stop();
    await running;
    await probe.stop();
    const drainStarted = Date.now();
    await waitLagZero(admin, platform.groups.features, platform.consumed.features, 600_000);
    const drainMs = Date.now() - drainStarted;

    const warm = Math.min(2, options.minutes / 4);
    const perService = new Map<string, { x: number; y: number; heap: number; loop: number }[]>();
    for (const s of samples.filter((s) => s.t >= warm)) {
      const list = perService.get(s.service) ?? [];
      list.push({ x: s.t, y: s.rssMb, heap: s.heapMb, loop: s.loopP99Ms });
      perService.set(s.service, list);
    }
    const slopes = [...perService].map(([service, points]) => ({
      service,
      rssMedianMb: median(points.map((p) => p.y)),
      rssSlopeMbPerMin: slope(points),
      heapMedianMb: median(points.map((p) => p.heap)),
      heapSlopeMbPerMin: slope(points.map((p) => ({ x: p.x, y: p.heap }))),
      loopP99MedianMs: median(points.map((p) => p.loop)),
      loopSlopeMsPerMin: slope(points.map((p) => ({ x: p.x, y: p.loop }))),
    }));
    report.slopes = slopes;
    report.samples = samples;
    report.lag = lagSamples;
    const answers = tally(probe.answers);
    report.inference = answers;
    // The hot users' lists past FEATURES_SERVED_MAX_OPEN_PER_USER, closed early: the limit at work.
    let evicted = 0;
    for (const service of platform.features) evicted += sumSamples(await platform.metrics(service).catch(() => []), 'features_served_records_evicted_total');
    report.servedRecordsEvicted = evicted;
    log(`served lists closed early at the per-user limit: ${evicted}`);
    for (const s of slopes) {
      const growth = s.rssSlopeMbPerMin * options.minutes;
      check(
        `${s.service}: resident memory flat`,
        growth < Math.max(20, 0.1 * s.rssMedianMb),
        `median ${s.rssMedianMb.toFixed(0)} MB, slope ${s.rssSlopeMbPerMin.toFixed(2)} MB/min (${growth.toFixed(1)} MB over ${options.minutes} min); limit max(20 MB, 10 % of the median); V8 heap used median ${s.heapMedianMb.toFixed(0)} MB, slope ${s.heapSlopeMbPerMin.toFixed(2)} MB/min`,
      );
      check(
        `${s.service}: event-loop delay flat`,
        s.loopSlopeMsPerMin * options.minutes < Math.max(5, s.loopP99MedianMs),
        `p99 median ${s.loopP99MedianMs.toFixed(1)} ms, slope ${s.loopSlopeMsPerMin.toFixed(3)} ms/min`,
      );
    }
    const warmLag = lagSamples.filter((l) => l.t >= warm);
    const maxLag = Math.max(...warmLag.map((l) => Math.max(l.ingestion, l.features)));
    const lagSlope = slope(warmLag.map((l) => ({ x: l.t, y: l.features })));
    check('consumer lag bounded', maxLag <= rate * 30 && lagSlope * options.minutes <= rate * 30, `largest ${maxLag} records (limit 30 s of load = ${rate * 30}), features slope ${lagSlope.toFixed(0)} records/min, drained ${drainMs} ms after the load stopped`);
    check('inference answered every request', Object.keys(answers).every((k) => k === '200'), JSON.stringify(answers));
  } finally {
    await closeRun(run, options);
  }
  return checks;
}

/** Closed-loop requests per second with `concurrency` callers for `ms`. */
async function inferenceThroughput(platform: ChaosPlatform, ms: number, concurrency: number): Promise<number> {
  const until = Date.now() + ms;
  let answered = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      for (let i = 0; Date.now() < until; i++) {
        const response = await fetch(`${platform.inference.url}/v1/users/max-${c}-${i % 100}/recommendations?k=10`, { headers: { 'X-Api-Key': platform.apiKey } }).catch(() => undefined);
        if (response?.ok) answered++;
        await response?.arrayBuffer().catch(() => undefined);
      }
    }),
  );
  return answered / (ms / 1000);
}

async function main(): Promise<void> {
  const program = new Command('chaos')
    .description('Faults (SIGKILLed brokers and services, Redis and Kafka outages) under load, and a soak run; prints every assertion and exits 1 if one fails.')
    .option('--events <n>', 'events streamed through POST /v1/events', positive, 1_000_000)
    .option('--rate <n>', 'events per second over all clients (0: as fast as ingestion answers)', positive, 2_500)
    .option('--clients <n>', 'concurrent HTTP clients', positive, 4)
    .option('--batch <n>', 'events per request', positive, 500)
    .option('--features <n>', 'features replicas', positive, 3)
    .option('--brokers <n>', 'Kafka brokers of the local cluster (1 or 3; 3 kills one mid-stream)', positive, Number(process.env.CHAOS_BROKERS ?? 3))
    .option('--seed <n>', 'stream seed', positive, Date.now() % 2 ** 31)
    .option('--no-outages', 'skip the Redis and Kafka outages')
    .option('--outage-seconds <n>', 'length of each outage', positive, 30)
    .option('--soak', 'soak run instead: maximum measured, then --minutes at half of it')
    .option('--minutes <n>', 'soak length', positive, 15)
    .option('--keep', 'keep the run\'s topics and Redis keys')
    .option('--out <dir>', 'where reports go', '.local/chaos');
  program.parse();
  const options = program.opts<Options>();
  const checks = options.soak ? await soak(options) : await chaos(options);
  process.stdout.write(`\n${options.soak ? 'soak' : 'chaos'} verdict\n${formatChecks(checks)}\n`);
  const failed = checks.filter((c) => !c.passed).length;
  process.stdout.write(`${checks.length - failed} passed, ${failed} failed\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
