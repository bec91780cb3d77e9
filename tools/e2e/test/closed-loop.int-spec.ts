import { writeFile } from 'node:fs/promises';
import { EventType, TOPICS, type ModelLifecycleEvent } from '@storeloop/contracts';
import { Storefront, loadMovieLensInteractions, loadMovieLensItems, replayEvents, selectShoppers, waitFor, type ReplayEvent, type RoundSummary, type Shopper } from '@storeloop/testing';
import { SECRETS, StoreloopPlatform } from './support/platform';
import { ExampleTally, ImpressionTally, LifecycleLog } from './support/topic-tallies';

/** 150 heaviest MovieLens raters, their newest 60 ratings each: 7,200 replayed views and 2,951 orders, 791 held-out wants. */
const SELECTION = { users: 150, ratingsPerUser: 60, heldOutFraction: 0.2, likedRating: 4 };
const K = 10;
const INGEST_BATCH = 500;
/** Each served list gives K served-click and K served-purchase examples once its windows close. */
const EXAMPLES_PER_ROUND = SELECTION.users * K * 2;
/** v1 waits for about this many examples from served lists on top of the replay (see TRAINING_MIN_EXAMPLES below). */
const BOOTSTRAP_EXAMPLES = Math.round(1.3 * EXAMPLES_PER_ROUND);
/** Later runs start after this many new examples: about two rounds of lists from the serving version. */
const RETRAIN_EXAMPLES = 2 * EXAMPLES_PER_ROUND;
const MODEL = 'ranker';

/** Progress lines on stdout without Jest's console decoration: the run's figures are read from here. */
function report(line: string): void {
  process.stdout.write(`[e2e] ${line}\n`);
}

const seconds = (fromMs: number) => `${((Date.now() - fromMs) / 1000).toFixed(1)} s`;

describe('closed loop: events -> features -> examples -> models -> inference -> feedback -> next model (all services as processes, real Kafka and Redis)', () => {
  const platform = new StoreloopPlatform();
  const admin = { 'X-Api-Key': SECRETS.admin };
  let shoppers: Shopper[];
  let replay: ReplayEvent[];
  let interactions: number;
  let examples: ExampleTally;
  let lifecycle: LifecycleLog;
  let impressions: ImpressionTally;
  let storefront: Storefront;

  /** Appends every service's last output to a failure, so a timeout says what the processes were doing. */
  async function explained<T>(what: Promise<T>): Promise<T> {
    try {
      return await what;
    } catch (error) {
      (error as Error).message += `\n${platform.outputs()}`;
      throw error;
    }
  }

  async function getJson<T>(url: string, headers: Record<string, string> = admin): Promise<T> {
    const response = await fetch(url, { headers });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  const trainingStatus = () => getJson<{ windowExamples: number; newExamples: number; training: boolean }>(`${platform.url('training')}/v1/training/status`);
  const servingModels = () =>
    getJson<{ champion: { version: string } | null; online: { version: string; impressions: number; clicks: number; ctr: number | null }[] }>(
      `${platform.url('inference')}/v1/admin/models`,
    );

  const logRound = (phase: string) => (summary: RoundSummary) =>
    report(`${phase} round ${summary.round}: ${summary.lists} lists, ${summary.clicks} clicks, versions ${JSON.stringify(summary.versions)}`);

  /**
   * Serves rounds until a training run has started (the triggers fire on the
   * examples these rounds produce), then waits, without serving, for the run's
   * outcome; again while runs are rejected, until `promotions` versions have
   * been promoted. Returns the promotion that completed the count.
   */
  async function serveUntilPromoted(phase: string, promotions: number, timeoutMs: number): Promise<{ promotion: ModelLifecycleEvent; rounds: RoundSummary[] }> {
    const deadline = Date.now() + timeoutMs;
    const rounds: RoundSummary[] = [];
    while (lifecycle.promotions().length < promotions) {
      const outcomesBefore = lifecycle.outcomes().length;
      const more = await storefront.roundsUntil(async () => lifecycle.outcomes().length > outcomesBefore || (await trainingStatus()).training, deadline - Date.now(), logRound(phase));
      rounds.push(...more);
      const started = Date.now();
      const outcome = await waitFor(() => lifecycle.outcomes()[outcomesBefore], {
        timeoutMs: Math.max(deadline - Date.now(), 1000),
        intervalMs: 250,
        description: `the outcome of the training run started in ${phase}`,
      });
      report(`${phase}: run ${outcome.version} ${outcome.stage} after ${seconds(started)} of waiting: ${outcome.reason ?? ''}`);
    }
    return { promotion: lifecycle.promotions()[promotions - 1], rounds };
  }

  async function waitForChampion(version: string): Promise<void> {
    await waitFor(async () => (await servingModels()).champion?.version === version, {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: `inference to serve ${version} as champion`,
    });
  }

  beforeAll(async () => {
    const [ratings, items] = await Promise.all([loadMovieLensInteractions(), loadMovieLensItems()]);
    shoppers = selectShoppers(ratings, SELECTION);
    // The replay ends an hour before the storefront opens: recent enough for the feature store's weekly windows.
    replay = replayEvents(shoppers, items, { runTag: `e2e-${platform.suffix}`, endMs: Date.now() - 3_600_000, spanMs: 5 * 24 * 3_600_000 });
    interactions = replay.filter((event) => event.type !== EventType.CatalogItemUpserted).length;

    await platform.setup();
    examples = new ExampleTally(await platform.reader(TOPICS.trainingExamples.name));
    lifecycle = new LifecycleLog(await platform.reader(TOPICS.models.name));
    impressions = new ImpressionTally(await platform.reader(TOPICS.feedback.name));
    const started = Date.now();
    await platform.start({
      features: {
        // Seconds, not the production half hour and day: windows close within a storefront round or two.
        FEATURES_CLICK_WINDOW_MS: '4000',
        FEATURES_PURCHASE_WINDOW_MS: '4000',
        FEATURES_ATTRIBUTION_GRACE_MS: '1000',
      },
      training: {
        TRAINING_MODEL_NAME: MODEL,
        // The replay alone (every example a positive) is not enough: v1 waits for labelled impressions.
        TRAINING_MIN_EXAMPLES: String(interactions + BOOTSTRAP_EXAMPLES),
        TRAINING_TRIGGER_NEW_EXAMPLES: String(RETRAIN_EXAMPLES),
        TRAINING_TRIGGER_INTERVAL_MS: '0',
        TRAINING_TRIGGER_DRIFT: 'false',
        TRAINING_CHECK_INTERVAL_MS: '500',
        TRAINING_PROMOTION_METRIC: 'logLoss',
        // Any gain promotes: the test is about the loop closing, not about the size of the gain.
        TRAINING_PROMOTION_MARGIN: '0',
        TRAINING_MAX_EPOCHS: '8',
        TRAINING_PATIENCE: '2',
        TRAINING_EMBEDDING_EPOCHS: '8',
      },
      inference: {
        INFERENCE_MODEL_NAME: MODEL,
        INFERENCE_CATALOG_REFRESH_MS: '1000',
        INFERENCE_ONLINE_METRICS_REFRESH_MS: '500',
      },
    });
    report(`${shoppers.length} shoppers, ${replay.length} replay events (${interactions} views and orders), ` +
      `${shoppers.reduce((sum, s) => sum + s.wants.size, 0)} held-out wants; services up in ${seconds(started)}`);
    storefront = new Storefront(shoppers, { inferenceUrl: platform.url('inference'), apiKey: SECRETS.shop, k: K, concurrency: 4 });
  }, 240_000);

  afterAll(async () => {
    if (process.env.E2E_VERBOSE) report(platform.outputs(20_000));
    if (process.env.E2E_LISTS_FILE && storefront) {
      const wants = Object.fromEntries(shoppers.map((shopper) => [shopper.userId, [...shopper.wants]]));
      await writeFile(process.env.E2E_LISTS_FILE, JSON.stringify({ wants, visits: storefront.visits }));
    }
    await platform.dispose();
  });

  it('trains v1 on served popularity lists and their clicks, serves it, trains and promotes v2 on v1 feedback, and counts clicks per version', async () => {
    const testStarted = Date.now();

    // 1. The shop's past: catalogue, views and orders through ingestion, applied by features.
    for (let i = 0; i < replay.length; i += INGEST_BATCH) {
      const batch = replay.slice(i, i + INGEST_BATCH);
      const response = await fetch(`${platform.url('ingestion')}/v1/events`, {
        method: 'POST',
        headers: { 'X-Api-Key': SECRETS.shop, 'Content-Type': 'application/json' },
        body: JSON.stringify(batch),
      });
      const body = (await response.json()) as { accepted: number; rejected: unknown[] };
      expect({ status: response.status, accepted: body.accepted, rejected: body.rejected }).toEqual({ status: 202, accepted: batch.length, rejected: [] });
    }
    await explained(
      waitFor(() => {
        const emitted = examples.ofKinds('view', 'order');
        if (emitted < interactions) throw new Error(`${emitted} emitted so far (${examples.count(() => true)} examples of any kind)`);
        return true;
      }, {
        timeoutMs: 180_000,
        intervalMs: 500,
        description: `features to emit an example per replayed view and order (${interactions})`,
      }),
    );
    expect(examples.ofKinds('view', 'order')).toBe(interactions);
    expect((await fetch(`${platform.url('inference')}/v1/admin/catalog/refresh`, { method: 'POST', headers: admin })).status).toBe(200);
    report(`replay ingested and applied in ${seconds(testStarted)}`);

    // 2. Phase A: no model yet. Lists are popularity and co-views; clicks and impressions become labelled examples; v1 trains.
    const phaseA = Date.now();
    const { promotion: v1, rounds: roundsA } = await explained(serveUntilPromoted('A', 1, 200_000));
    report(`phase A: ${v1.version} promoted after ${seconds(phaseA)}`);
    expect(examples.count((e) => e.kind === 'served-click' && e.label === 1 && e.modelVersion === 'popularity')).toBeGreaterThan(0);
    expect(examples.count((e) => e.kind === 'served-click' && e.label === 0)).toBeGreaterThan(0);

    // 3. Phase B: inference swaps to v1; the lists it serves and their clicks train v2.
    const phaseB = Date.now();
    await explained(waitForChampion(v1.version));
    const { promotion: v2, rounds: roundsB } = await explained(serveUntilPromoted('B', 2, 200_000));
    report(`phase B: ${v2.version} promoted after ${seconds(phaseB)}`);
    // No model before v1: every list was popularity; then every list came from v1 (all shoppers have a history), rejected runs changed nothing.
    expect(new Set(roundsA.flatMap((round) => Object.keys(round.versions)))).toEqual(new Set(['popularity']));
    expect(new Set(roundsB.flatMap((round) => Object.keys(round.versions)))).toEqual(new Set([v1.version]));

    // 4. Inference swaps to v2 and serves it.
    // At least two rounds; more (at most six) only while no list since v2 has had a click: shoppers click each wanted item
    // once and the lists then leave it out (it is in their history), so later rounds find fewer wants to click.
    // The triggers keep training, so a v3 can be promoted within a few rounds: rounds count for v2 and whatever followed it.
    await explained(waitForChampion(v2.version));
    const roundsC = await storefront.roundsUntil(
      () => {
        const since = new Set([v2.version, ...lifecycle.promotions().slice(2).map((event) => event.version)]);
        const served = [...storefront.tally]
          .filter(([version]) => since.has(version))
          .reduce((sum, [, tally]) => ({ lists: sum.lists + tally.lists, clicks: sum.clicks + tally.clicks }), { lists: 0, clicks: 0 });
        return served.lists >= 2 * shoppers.length && (served.clicks > 0 || served.lists >= 6 * shoppers.length);
      },
      120_000,
      logRound('C'),
    );
    expect(Object.keys(roundsC[0].versions)).toEqual([v2.version]);
    // The triggers keep running: a v3 promoted meanwhile may serve the last rounds, nothing older may.
    const servingSinceV2 = [v2.version, ...lifecycle.promotions().slice(2).map((event) => event.version)];
    for (const version of roundsC.flatMap((round) => Object.keys(round.versions))) expect(servingSinceV2).toContain(version);

    // Both versions were promoted in turn, v2 over v1.
    const v2Trained = lifecycle.events().find((event) => event.version === v2.version && event.stage === 'trained');
    expect(v1.championVersion).toBe(v1.version);
    expect(v2.championVersion).toBe(v2.version);
    expect(v2Trained?.championVersion).toBe(v1.version);
    expect(v2.version).not.toBe(v1.version);

    // Answers and impressions carry each version, one impression per answer.
    for (const version of [v1.version, v2.version]) expect(storefront.tally.get(version)?.lists).toBeGreaterThan(0);
    await explained(
      waitFor(
        () => {
          const logged = impressions.byVersion(EventType.RecommendationServed);
          return [...storefront.tally].every(([version, tally]) => logged.get(version) === tally.lists);
        },
        { timeoutMs: 30_000, intervalMs: 250, description: 'one impression on retail.feedback.v1 per answer, per version' },
      ),
    );
    // Features labelled impressions of v1 from the feedback stream.
    expect(examples.count((e) => e.kind === 'served-click' && e.modelVersion === v1.version)).toBeGreaterThan(0);

    // The online metrics of inference count exactly what the storefront saw and reported, per version.
    const online = await explained(
      waitFor(
        async () => {
          const rows = (await servingModels()).online;
          const settled = [...storefront.tally].every(([version, tally]) => {
            const row = rows.find((r) => r.version === version);
            return row?.impressions === tally.lists && row.clicks === tally.clicks;
          });
          return settled ? rows : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, description: 'online impressions and clicks per version to match the storefront' },
      ),
    );
    const firstVisits = storefront.firstVisits();
    const table = [...storefront.tally].map(([version, tally]) => {
      const row = online.find((r) => r.version === version)!;
      const first = firstVisits.get(version)!;
      return {
        version,
        impressions: row.impressions,
        clicks: row.clicks,
        CTR: row.ctr === null ? null : Number(row.ctr.toFixed(4)),
        itemsShown: tally.itemsShown,
        'first-visit CTR': Number((first.clicks / first.lists).toFixed(4)),
      };
    });
    console.log(`online metrics per version (GET /v1/admin/models), after ${seconds(testStarted)}:`);
    console.table(table);
    // Both versions served and were counted; clicks per version are exact (above) but may be 0 for one
    // version: the shoppers click each wanted item once, so a later version can meet used-up wants.
    for (const version of [v1.version, v2.version]) expect(online.find((r) => r.version === version)?.impressions).toBeGreaterThan(0);
    const modelClicks = online.filter((r) => r.version === v1.version || r.version === v2.version).reduce((sum, r) => sum + r.clicks, 0);
    expect(modelClicks).toBeGreaterThan(0);
  });
});
