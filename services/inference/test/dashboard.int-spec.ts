import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { RestartableService, freePort, repoRoot, waitFor } from '@storeloop/testing';
import type { Recommendation } from '../src/recommend/engine';
import { REVIEWED_PAIRS, StandInTargets, STAND_IN_TARGETS } from './support/dashboard-targets';
import { MODEL_NAME } from './support/model-artifact';
import { SECRETS, ServingWorld, call } from './support/serving-fixture';
import { STORE } from './support/shop';

/**
 * The dashboard page in a real browser (Debian's chromium through
 * playwright-core) against the built inference service on real Kafka and
 * Redis. The other four services are not started: one in-test HTTP server
 * stands in for them with their /metrics and the training and replenishment
 * JSON the dashboard reads (support/dashboard-targets.ts).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL_HINT = 'install it with `apt-get update && apt-get install -y chromium` (as root), or point CHROMIUM_PATH at a Chromium binary';
const chromiumPresent = existsSync(CHROMIUM);
// On CI a missing browser is a failure (beforeAll throws), never a silent skip.
const describeBrowser = chromiumPresent || process.env.CI === 'true' ? describe : describe.skip;
if (!chromiumPresent && process.env.CI !== 'true') console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM}; ${INSTALL_HINT}`);

const DASHBOARD_KEY = 'it-dashboard-outbound-key-0004';
const ROOT = repoRoot(__dirname);

/**
 * The browser globals the page functions below use: this program compiles
 * without DOM types, and the page's CSP refuses string evaluation, so
 * browser code is passed as functions.
 */
interface PageElement {
  textContent: string | null;
  parentElement: PageElement | null;
  dataset: Record<string, string | undefined>;
}
declare const document: { getElementById(id: string): PageElement | null; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };
declare const Chart: { getChart(id: string): { config: { type: string }; data: { datasets: { label: string; type?: string; data: unknown[] }[] } } | undefined };

/** Points plotted by the chart in `canvasId` (set by the page's charts.js after every update). */
const plotted = (page: Page, canvasId: string) => page.evaluate((id) => Number(document.getElementById(id)?.parentElement?.dataset.points ?? '0'), canvasId);
/** Waits until every chart named has plotted at least one point. */
const whenPlotted = (page: Page, canvasIds: string[]) =>
  page.waitForFunction((ids) => ids.every((id) => Number(document.getElementById(id)?.parentElement?.dataset.points ?? '0') > 0), canvasIds, { timeout: 60_000 });
/** Waits until the text of `selector` starts with `prefix`. */
const whenText = (page: Page, selector: string, prefix: string) =>
  page.waitForFunction(([s, p]) => (document.querySelector(s)?.textContent ?? '').startsWith(p), [selector, prefix] as const);
/** The cells of a version's row in the models table. */
const versionRow = (page: Page, version: string) => page.evaluate((v) => Array.from(document.querySelectorAll(`#models-table tbody tr[data-version="${v}"] td`), (td) => td.textContent), version);

/** Datasets of the Chart.js instance in the page: label, type and number of points. */
function datasets(page: Page, canvasId: string): Promise<{ label: string; type: string; points: number }[]> {
  return page.evaluate((id) => {
    const chart = Chart.getChart(id);
    return (chart ? chart.data.datasets : []).map((d) => ({ label: d.label, type: d.type ?? chart!.config.type, points: d.data.length }));
  }, canvasId);
}

const stateOf = (page: Page, panelId: string) => page.$eval(`#${panelId} [data-state]`, (node) => node.textContent ?? '');

async function answersCounted(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('inference_answers_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describeBrowser('dashboard: the page in headless Chromium over the built inference service (real Kafka and Redis)', () => {
  const world = new ServingWorld();
  const version = `v1-${world.suffix}`;
  let standIns: StandInTargets;
  let inference: RestartableService;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  /** Lists answered to the storefront from the champion (popularity answers are counted apart). */
  let championAnswers = 0;

  beforeAll(async () => {
    if (!chromiumPresent) throw new Error(`no Chromium at ${CHROMIUM}: ${INSTALL_HINT}`);
    await world.setup();
    await world.storeVersion(await world.build(version, 1));
    await world.pointChampion(version);
    await world.lifecycle('promoted', version, version);
    standIns = new StandInTargets({ apiKey: DASHBOARD_KEY, versions: () => world.store.list(MODEL_NAME), champion: () => version });
    const standInUrl = await standIns.start();
    const port = await freePort();
    const targets = [`inference=http://127.0.0.1:${port}`, ...STAND_IN_TARGETS.map((name) => `${name}=${standInUrl}/${name}`)].join(',');
    inference = new RestartableService('inference', world.env({ DASHBOARD_TARGETS: targets, DASHBOARD_API_KEY: DASHBOARD_KEY, DASHBOARD_SCRAPE_INTERVAL_MS: '500' }), port);
    await inference.start();
    await waitFor(async () => (await call(inference.url, 'GET', '/health/ready')).status === 200 || undefined, { timeoutMs: 60_000, description: 'inference ready' });

    // Storefront traffic: answered lists (impressions) and a click, so the online figures have a CTR.
    for (const shopper of world.shop.shoppers.slice(0, 4)) {
      const answer = await call<Recommendation>(inference.url, 'GET', `/v1/users/${shopper.userId}/recommendations?k=5`, { secret: SECRETS.infer });
      expect(answer.status).toBe(200);
      if (answer.body.modelVersion === version) championAnswers += 1;
      if (shopper === world.shop.shoppers[0]) {
        expect(answer.body.modelVersion).toBe(version);
        const item = answer.body.items[0];
        const click = await call(inference.url, 'POST', '/v1/feedback', { secret: SECRETS.infer, body: { type: 'click', userId: shopper.userId, recommendationId: answer.body.recommendationId, sku: item.sku, position: item.position } });
        expect(click.status).toBe(202);
      }
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) pageErrors.push(`console: ${message.text()}`);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await inference?.stop().catch(() => undefined);
    await standIns?.stop();
    await world.dispose();
  }, 60_000);

  it('serves the page without a key, with a CSP that allows no inline script, and its data only with the admin scope', async () => {
    const response = await fetch(`${inference.url}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await fetch(`${inference.url}/dashboard/vendor/chart.umd.js`)).status).toBe(200);
    expect((await fetch(`${inference.url}/dashboard/nope.js`)).status).toBe(404);
    expect(await call(inference.url, 'GET', '/v1/admin/dashboard/series')).toMatchObject({ status: 401, body: { code: 'AUTH.API_KEY_MISSING' } });
    expect(await call(inference.url, 'GET', '/v1/admin/dashboard/series', { secret: SECRETS.infer })).toMatchObject({ status: 403, body: { code: 'AUTH.SCOPE_MISSING' } });
    expect(await call(inference.url, 'GET', '/v1/admin/dashboard/preview?user=', { secret: SECRETS.admin })).toMatchObject({ status: 400, body: { code: 'DASHBOARD.PARAM_INVALID' } });
  });

  it('shows a refused key by its status and code', async () => {
    await page.goto(`${inference.url}/dashboard`);
    expect(await page.textContent('#auth-state')).toContain('enter an API key');
    await page.fill('#api-key', 'not-a-key');
    await page.click('#key-form button');
    await whenText(page, '#events-panel [data-state]', '401 AUTH.API_KEY_UNKNOWN');
    await page.fill('#api-key', SECRETS.infer);
    await page.click('#key-form button');
    await whenText(page, '#models-panel [data-state]', '403 AUTH.SCOPE_MISSING');
    expect(await page.textContent('#auth-state')).toContain('403 AUTH.SCOPE_MISSING');
  });

  it('plots events/s and consumer lag per service, the versions with offline and online figures, and the training curve', async () => {
    await page.fill('#api-key', SECRETS.admin);
    await page.click('#key-form button');
    await whenPlotted(page, ['events-chart', 'lag-chart', 'online-chart', 'curve-chart']);

    // Each service's series gets its first rate at its second scrape: wait for every one of them.
    const expected = ['ingestion · events accepted', 'ingestion · events rejected', 'features · events applied', 'training · examples consumed', 'replenishment · decisions', 'inference · answers'];
    await page.waitForFunction((labels) => labels.every((label) => (Chart.getChart('events-chart')?.data.datasets.find((d) => d.label === label)?.data.length ?? 0) > 0), expected, { timeout: 60_000 });
    const events = await datasets(page, 'events-chart');
    for (const series of expected) expect(events.find((d) => d.label === series)?.points).toBeGreaterThan(0);
    const lag = (await datasets(page, 'lag-chart')).map((d) => d.label);
    expect(lag).toEqual(expect.arrayContaining(['features · storeloop-features', 'features · storeloop-features-examples', 'training · storeloop-training', 'replenishment · storeloop-replenishment']));

    // Impressions and the click reach the online figures through Kafka: one click on the champion's lists.
    const ctr = `${(100 / championAnswers).toFixed(2)} %`;
    await page.waitForFunction(
      ([v, n, rate]) => {
        const cells = Array.from(document.querySelectorAll(`#models-table tbody tr[data-version="${v}"] td`), (td) => td.textContent);
        return cells[5] === n && cells[6] === rate;
      },
      [version, String(championAnswers), ctr] as const,
      { timeout: 60_000 },
    );
    const row = await versionRow(page, version);
    expect(row[1]).toBe('champion');
    expect(Number(row[2])).toBeGreaterThan(0); // AUC from the stored version's holdout metrics
    expect(Number(row[3])).toBeGreaterThan(0); // log loss
    const online = await datasets(page, 'online-chart');
    expect(online.map((d) => d.label)).toEqual(['CTR', 'conversion']);
    expect(online[0].points).toBeGreaterThan(0);
    expect(await datasets(page, 'curve-chart')).toEqual([
      { label: 'loss', type: 'line', points: 12 },
      { label: 'validation loss', type: 'line', points: 12 },
    ]);
    expect(standIns.apiCalls.length).toBeGreaterThan(0);
    expect(standIns.apiCalls.every((c) => c.keyed)).toBe(true);
  });

  it('previews a shopper’s list with reasons, without counting it as served', async () => {
    const before = await answersCounted(inference.url);
    await page.fill('#preview-form input[name=user]', world.shop.shoppers[1].userId);
    await page.fill('#preview-form input[name=k]', '6');
    await page.fill('#preview-form input[name=store]', STORE);
    await page.click('#preview-form button');
    await page.waitForSelector('#preview-list li');
    const items = await page.$$eval('#preview-list li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(6);
    for (const item of items) expect(item).toMatch(/(similar to|bought together with|viewed together with|popular).* · (embedding|co-purchased|co-viewed|popular)$/);
    expect(await stateOf(page, 'preview-panel')).toContain(version);
    expect(await answersCounted(inference.url)).toBe(before);
  });

  it('plots the simulated stock of the learned policy against base-stock, with orders and totals', async () => {
    // The reviewed pairs come from the replenishment service; choosing one simulates it.
    const options = await page.$$eval('#pair-select option', (nodes) => nodes.map((node) => node.textContent));
    expect(options).toEqual(['2 pairs…', ...REVIEWED_PAIRS.map((pair) => `${pair.sku} @ ${pair.store}`)]);
    await page.fill('#replenishment-form input[name=days]', '28');
    await page.selectOption('#pair-select', { label: `${REVIEWED_PAIRS[0].sku} @ ${REVIEWED_PAIRS[0].store}` });
    await whenPlotted(page, ['replenishment-chart']);
    const plottedSets = await datasets(page, 'replenishment-chart');
    expect(plottedSets.filter((d) => d.type === 'line' && d.label.startsWith('on hand'))).toEqual([
      { label: 'on hand, learned', type: 'line', points: 28 },
      { label: 'on hand, base-stock', type: 'line', points: 28 },
    ]);
    expect(plottedSets.filter((d) => d.type === 'bar').map((d) => d.label)).toEqual(['order, learned', 'order, base-stock']);
    expect(await page.textContent('#replenishment-totals')).toMatch(/^cost: learned \d+\.\d\d vs base-stock \d+\.\d\d · fill rate: learned .+ % vs base-stock .+ %$/);

    // Every panel has drawn by now: the picture the README shows.
    expect(await stateOf(page, 'replenishment-panel')).toBe(`28 days of ${REVIEWED_PAIRS[0].sku} at ${REVIEWED_PAIRS[0].store}, learned policy v1`);
    // A few more scrapes, so the time series of the picture span a few seconds.
    await page.waitForFunction(() => (Chart.getChart('events-chart')?.data.datasets[0]?.data.length ?? 0) >= 8, undefined, { timeout: 60_000 });
    expect(await plotted(page, 'events-chart')).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
    const artifacts = join(ROOT, '.local', 'test-artifacts');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
    if (process.env.UPDATE_DASHBOARD_SCREENSHOT === '1') await copyFile(join(artifacts, 'dashboard.png'), join(ROOT, 'docs', 'dashboard.png'));
  });

  it('marks a simulated learned policy that was not promoted, and keeps its legends', async () => {
    // Nothing promoted: the replenishment service replays its newest trained run, which was rejected.
    standIns.replayedRun = { version: '2', outcome: 'rejected' };
    const [, other] = REVIEWED_PAIRS;
    await page.selectOption('#pair-select', { label: `${other.sku} @ ${other.store}` });
    await whenText(page, '#replenishment-panel [data-state]', `28 days of ${other.sku}`);
    expect(await stateOf(page, 'replenishment-panel')).toBe(`28 days of ${other.sku} at ${other.store}, learned policy v2 (not promoted: rejected on held-out days)`);
    expect((await datasets(page, 'replenishment-chart')).map((d) => d.label)).toEqual(['on hand, learned', 'on hand, base-stock', 'demand', 'order, learned', 'order, base-stock']);
    expect(pageErrors).toEqual([]);
  });
});
