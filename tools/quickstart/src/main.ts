/**
 * The story `npm start` tells once the five services are up (tools/start.mjs
 * builds, starts them and calls `runQuickstart`): replay the real datasets
 * through ingestion, wait for the feature store, act as a storefront while
 * the first model and then a challenger trained on its feedback are trained
 * and promoted, train a replenishment policy, and print a report.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets } from 'cli-progress';
import { Redis } from 'ioredis';
import { TOPICS } from '@storeloop/contracts';
import { TopicNamer, createKafka, loadKafkaSettings } from '@storeloop/messaging';
import { createLogger, sumSamples } from '@storeloop/observability';
import {
  Storefront,
  cdnowReplayEvents,
  loadCdnowPurchases,
  loadM5Calendar,
  loadM5Prices,
  loadM5Sales,
  loadMovieLensInteractions,
  loadMovieLensItems,
  m5ReplayEvents,
  m5Sku,
  replayEvents,
  selectShoppers,
  type RoundSummary,
  type Shopper,
} from '@storeloop/testing';
import { groupLag } from './kafka-lag';
import { percentile } from './pacing';
import { PlatformClient, type ServiceName } from './platform-client';
import { formatReport, type OnlineRow, type QuickstartReport, type TrainingRunReport } from './report';
import { replayThroughIngestion, type ReplayTally } from './replay';
import { screenshotDashboard } from './screenshot';

export { formatReport } from './report';
export type { QuickstartReport } from './report';

export interface QuickstartOptions {
  urls: Record<ServiceName, string>;
  apiKey: string;
  /** Dataset directory (default: STORELOOP_DATA_DIR, else ../shared/data). */
  dataDir?: string;
  /** Replay rate through ingestion, events per second. */
  rate: number;
  /** Newest M5 days replayed (the replenishment policy needs REPLENISHMENT_TRAIN_MIN_DAYS + TEST_DAYS). */
  m5Days: number;
  /** Challenger runs tried after v1 before giving up on a promotion. */
  challengers: number;
  /** Tenants of the second retailer (CDNOW) and of the stores (M5); the MovieLens shop is the default tenant. */
  cdnowTenant: string;
  storesTenant: string;
  /** The training service's TRAINING_MODEL_NAME. */
  modelName: string;
  /** Consumer groups whose lag says the replay is applied. */
  groups: { ingestion: string; features: string; training: string };
  redisUrl: string;
  redisKeyPrefix: string;
  /** Where report.json and report.txt go. */
  outDir: string;
  /** When set, a full-page screenshot of the dashboard after the report (needs Chromium). */
  screenshot?: string;
  /** Repository root, for the offline evaluations on record (eval/results). */
  root: string;
  log: (line: string) => void;
}

const K = 10;
const BATCH = 500;
const SOURCE = '/storeloop/quickstart';

export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartReport> {
  const started = Date.now();
  const runTag = `qs-${new Date(started).toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
  const client = new PlatformClient(options.urls, options.apiKey);
  const { log } = options;

  // 1. The datasets as the events company systems would have published.
  log(`reading datasets from ${options.dataDir ?? 'the default data directory'}`);
  const [ratings, items, purchases, sales, calendar, prices] = await Promise.all([
    loadMovieLensInteractions(options.dataDir),
    loadMovieLensItems(options.dataDir),
    loadCdnowPurchases(options.dataDir),
    loadM5Sales(options.dataDir),
    loadM5Calendar(options.dataDir),
    loadM5Prices(options.dataDir),
  ]);
  const shoppers = selectShoppers(ratings, { users: Number.MAX_SAFE_INTEGER, ratingsPerUser: Number.MAX_SAFE_INTEGER, heldOutFraction: 0.2, likedRating: 4 });
  const now = Date.now();
  const datasets: { name: string; events: unknown[] }[] = [
    // A web shop's browsing and orders, moved into the last five days (the feature store's windows are days and weeks).
    { name: 'movielens-100k', events: replayEvents(shoppers, items, { runTag, endMs: now - 3_600_000, spanMs: 5 * 86_400_000, source: `${SOURCE}/movielens` }) },
    { name: 'cdnow', events: cdnowReplayEvents(purchases, { runTag, endMs: now - 86_400_000, tenant: options.cdnowTenant, source: `${SOURCE}/cdnow` }) },
    { name: 'm5-tiny', events: m5ReplayEvents(sales, calendar, prices, { runTag, endMs: now, days: options.m5Days, tenant: options.storesTenant, source: `${SOURCE}/m5` }) },
  ];

  // 2. Replay through ingestion at a controlled rate.
  const bars = new MultiBar(
    { format: ' {dataset} [{bar}] {value}/{total} events | {rate}/s | rejected {rejected} | {eta_formatted} left', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000, etaBuffer: 50 },
    Presets.shades_classic,
  );
  const replay: ReplayTally[] = [];
  try {
    for (const { name, events } of datasets) {
      const bar = bars.create(events.length, 0, { dataset: name.padEnd(15), rejected: 0, rate: options.rate });
      replay.push(await replayThroughIngestion(client, name, events, { rate: options.rate, batchSize: BATCH, bar }));
    }
  } finally {
    bars.stop();
  }
  const totalSent = replay.reduce((sum, t) => sum + t.sent, 0);
  log(`replayed ${totalSent.toLocaleString('en-US')} events in ${((Date.now() - started) / 1000).toFixed(0)} s`);

  // 3. Wait until ingestion and features have applied everything, and training has read the examples.
  const kafkaSettings = loadKafkaSettings(process.env);
  const namer = new TopicNamer(kafkaSettings.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka(kafkaSettings, 'storeloop-quickstart', createLogger('quickstart', 'warn'));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitForLag(admin, namer, options, log);
    await client.post('inference', '/v1/admin/catalog/refresh');

    // 4. The storefront: popularity lists first, then v1, then a challenger trained on v1's feedback.
    const storefront = new Storefront(shoppers, {
      inferenceUrl: options.urls.inference,
      apiKey: options.apiKey,
      k: K,
      concurrency: 4,
      orders: { ingestionUrl: options.urls.ingestion, apiKey: options.apiKey, source: `${SOURCE}/storefront`, runTag },
    });
    const runs: TrainingRunReport[] = [];
    const logRound = (phase: string) => (s: RoundSummary) =>
      log(`storefront ${phase} round ${s.round}: ${s.lists} lists, ${s.clicks} clicks, ${s.purchases} purchases, served by ${Object.entries(s.versions).map(([v, n]) => `${v} (${n})`).join(', ')}`);

    const v1 = await trainUntilPromoted(client, storefront, shoppers, options, 'replay + popularity feedback', 'A', 3, runs, admin, namer, logRound);
    if (v1) {
      await waitForChampion(client, v1, log);
      const v2 = await trainUntilPromoted(client, storefront, shoppers, options, `feedback on ${v1}`, 'B', options.challengers, runs, admin, namer, logRound);
      if (v2) {
        await waitForChampion(client, v2, log);
        logRound('C')(await storefront.round());
      }
    }

    // 5. Replenishment: a policy trained on the stores' sales, held against the tuned forecast base-stock.
    const replenishment = await trainReplenishment(client, sales, options, log);

    const report: QuickstartReport = {
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      replay,
      ingestion: await ingestionCounts(client),
      featureStore: await featureStoreSize(client, options),
      runs,
      online: await onlineRows(client),
      offline: offlineOnRecord(options.root),
      latency: {
        requests: storefront.latenciesMs.length,
        p50: percentile(storefront.latenciesMs, 50),
        p95: percentile(storefront.latenciesMs, 95),
        p99: percentile(storefront.latenciesMs, 99),
      },
      replenishment,
    };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'report.txt'), `${formatReport(report)}\n`);
    if (options.screenshot) {
      const best = bestSeller(sales, options.m5Days);
      // Best effort: the report stands without the picture.
      try {
        const missing = await screenshotDashboard({
          dashboardUrl: `${options.urls.inference}/dashboard`,
          apiKey: options.apiKey,
          user: shoppers[0].userId,
          pair: best && { sku: m5Sku(best.itemId), store: best.storeId },
          file: options.screenshot,
        });
        log(`dashboard screenshot saved to ${options.screenshot}${missing.length ? `; no data in ${missing.join(', ')}` : ''}`);
      } catch (error) {
        log(`no dashboard screenshot: ${(error as Error).message}`);
      }
    }
    return report;
  } finally {
    await admin.disconnect();
  }
}

async function waitForLag(admin: import('kafkajs').Admin, namer: TopicNamer, options: QuickstartOptions, log: (line: string) => void): Promise<void> {
  const watched = [
    { what: 'ingestion (raw -> validated)', group: options.groups.ingestion, topic: namer.physical(TOPICS.rawEvents.name) },
    { what: 'features (events -> Redis)', group: options.groups.features, topic: namer.physical(TOPICS.events.name) },
    { what: 'training (examples -> window)', group: options.groups.training, topic: namer.physical(TOPICS.trainingExamples.name) },
  ];
  const bars = new MultiBar({ format: ' {what} lag {value} records', hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000 }, Presets.shades_classic);
  const lagBars = watched.map((w) => bars.create(0, 0, { what: w.what.padEnd(30) }));
  const deadline = Date.now() + 30 * 60_000;
  try {
    for (let quiet = 0; quiet < 2; ) {
      const lags = await Promise.all(watched.map((w) => groupLag(admin, w.group, w.topic)));
      lags.forEach((lag, i) => lagBars[i].update(lag));
      quiet = lags.every((lag) => lag === 0) ? quiet + 1 : 0;
      if (Date.now() > deadline) throw new Error(`the services did not catch up within 30 minutes (lag ${lags.join(', ')}); see .local/logs`);
      await sleep(1000);
    }
  } finally {
    bars.stop();
  }
  log('ingestion, features and training have applied the replay');
}

/**
 * Serves storefront rounds until the training window has taken in about two
 * rounds of labelled impressions, then trains by hand (the automatic triggers
 * are off in the quickstart); repeats up to `attempts` times while the run is
 * rejected. Returns the promoted version, or null.
 */
async function trainUntilPromoted(
  client: PlatformClient,
  storefront: Storefront,
  shoppers: readonly Shopper[],
  options: QuickstartOptions,
  trainedOn: string,
  phase: string,
  attempts: number,
  runs: TrainingRunReport[],
  admin: import('kafkajs').Admin,
  namer: TopicNamer,
  logRound: (phase: string) => (s: RoundSummary) => void,
): Promise<string | null> {
  const examplesPerRound = shoppers.length * K * 2;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    // The training window is capped, so its size says nothing about new arrivals: count what features emitted.
    const before = await examplesEmitted(client);
    // Labels need later feedback to move the attribution watermark past each window: keep serving until they arrive.
    await storefront.roundsUntil(async () => (await examplesEmitted(client)) - before >= 2 * examplesPerRound, 20 * 60_000, logRound(phase));
    // Then let training take in everything emitted so far.
    const examplesTopic = namer.physical(TOPICS.trainingExamples.name);
    const deadline = Date.now() + 10 * 60_000;
    while ((await groupLag(admin, options.groups.training, examplesTopic)) > 0) {
      if (Date.now() > deadline) throw new Error('training did not consume the training examples within 10 minutes; see .local/logs/training.log');
      await sleep(500);
    }
    options.log(`training ${options.modelName} on ${trainedOn} (attempt ${attempt} of ${attempts}); the run answers when it is evaluated`);
    const { body } = await client.post<{ version: string; outcome: string; decision: string; challenger: TrainingRunReport['challenger']; champion: TrainingRunReport['champion'] }>(
      'training',
      `/v1/models/${encodeURIComponent(options.modelName)}/train`,
    );
    runs.push({ ...body, trainedOn });
    options.log(`run ${body.version}: ${body.outcome} (${body.decision})`);
    if (body.outcome === 'promoted') return body.version;
  }
  return null;
}

/** Labelled impressions (served-click and served-purchase examples) the features service has emitted since it started. */
async function examplesEmitted(client: PlatformClient): Promise<number> {
  const samples = await client.metrics('features');
  return sumSamples(samples, 'features_training_examples_total', { kind: 'served-click' }) + sumSamples(samples, 'features_training_examples_total', { kind: 'served-purchase' });
}

async function waitForChampion(client: PlatformClient, version: string, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await client.get<{ champion: { version: string } | null }>('inference', '/v1/admin/models')).body.champion?.version !== version) {
    if (Date.now() > deadline) throw new Error(`inference did not load ${version} within 2 minutes; see .local/logs/inference.log`);
    await sleep(500);
  }
  log(`inference serves ${version}`);
}

async function trainReplenishment(
  client: PlatformClient,
  sales: readonly SalesSeries[],
  options: QuickstartOptions,
  log: (line: string) => void,
): Promise<QuickstartReport['replenishment']> {
  log('training a replenishment policy on the stores\' sales (held-out days decide promotion)');
  const { body } = await client.post<{ outcome: string; series?: number; testDays?: number; learned?: { cost: number; fillRate: number }; classical?: { cost: number; fillRate: number }; reason?: string }>(
    'replenishment',
    '/v1/policies/train',
  );
  log(`replenishment run: ${body.outcome}${body.reason ? ` (${body.reason})` : ''}`);
  // The best seller of the replayed days, reviewed now: the order the acting policy places for it today.
  const best = bestSeller(sales, options.m5Days);
  let exampleDecision: string | undefined;
  if (best) {
    const path = `/v1/replenishment/${encodeURIComponent(m5Sku(best.itemId))}/${encodeURIComponent(best.storeId)}/review`;
    const review = await client.post<{ quantity?: number; acting?: string; classical?: { quantity?: number } }>('replenishment', path, undefined, [200, 503]);
    exampleDecision = review.status === 200 ? `today's decision for ${m5Sku(best.itemId)} in ${best.storeId}: ${JSON.stringify(review.body).slice(0, 300)}` : `review of ${m5Sku(best.itemId)} in ${best.storeId} deferred (${JSON.stringify(review.body)})`;
  }
  return { outcome: body.outcome, series: body.series ?? 0, testDays: body.testDays ?? 0, learned: body.learned, classical: body.classical, reason: body.reason, exampleDecision };
}

type SalesSeries = { itemId: string; storeId: string; units: Int32Array };

function bestSeller(sales: readonly SalesSeries[], days: number): SalesSeries | undefined {
  return [...sales].map((s) => ({ s, sold: s.units.subarray(-days).reduce((a, b) => a + b, 0) })).sort((a, b) => b.sold - a.sold)[0]?.s;
}

async function ingestionCounts(client: PlatformClient): Promise<QuickstartReport['ingestion']> {
  const samples = await client.metrics('ingestion');
  // HTTP intake counts an event when it reaches the raw topic, the raw-topic consumer again when it publishes or drops it.
  return {
    acceptedHttp: sumSamples(samples, 'ingest_events_total', { outcome: 'accepted', source: 'http' }),
    published: sumSamples(samples, 'ingest_events_total', { outcome: 'accepted', source: 'kafka' }),
    duplicates: sumSamples(samples, 'ingest_events_total', { outcome: 'duplicate', source: 'kafka' }),
    rejected: sumSamples(samples, 'ingest_events_total', { outcome: 'rejected' }),
  };
}

async function featureStoreSize(client: PlatformClient, options: QuickstartOptions): Promise<QuickstartReport['featureStore']> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let keys = 0;
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${options.redisKeyPrefix}*`, 'COUNT', 5000);
      keys += batch.length;
      cursor = next;
    } while (cursor !== '0');
    const memory = /used_memory_human:(\S+)/.exec(await redis.info('memory'))?.[1] ?? 'unknown';
    const samples = await client.metrics('features');
    return { keys, usedMemory: memory, eventsApplied: sumSamples(samples, 'features_events_applied_total'), trainingExamples: sumSamples(samples, 'features_training_examples_total') };
  } finally {
    redis.disconnect();
  }
}

async function onlineRows(client: PlatformClient): Promise<OnlineRow[]> {
  const { body } = await client.get<{ online: OnlineRow[] }>('inference', '/v1/admin/models');
  return body.online.map(({ version, impressions, clicks, purchases, ctr }) => ({ version, impressions, clicks, purchases, ctr }));
}

/** The last `npm run eval` figures committed with the project, beside their published anchors. */
function offlineOnRecord(root: string): QuickstartReport['offline'] {
  const rows: QuickstartReport['offline'] = [];
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(join(root, 'eval/results', file), 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const movielens = read('movielens.json') as { ours?: { ndcg10?: number; family?: string } } | null;
  if (movielens?.ours?.ndcg10 !== undefined) rows.push({ name: `MovieLens-100K recommender (${movielens.ours.family ?? 'ours'})`, ours: `nDCG@10 ${movielens.ours.ndcg10.toFixed(4)}`, anchor: 'BiVAE 0.4751, the best published row' });
  const cdnow = read('cdnow.json') as { mlp?: { auc?: number }; rfmLogistic?: { auc?: number } } | null;
  const mlp = cdnow?.mlp?.auc;
  const logistic = cdnow?.rfmLogistic?.auc;
  if (mlp !== undefined) rows.push({ name: 'CDNOW repeat purchase (MLP)', ours: `AUC ${mlp.toFixed(4)}`, anchor: logistic === undefined ? 'RFM logistic regression' : `RFM logistic regression ${logistic.toFixed(4)}` });
  return rows;
}
