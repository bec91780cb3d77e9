/// <reference lib="dom" />
// `document` below runs in the page (page.evaluate), not in Node.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export interface DashboardShot {
  dashboardUrl: string;
  apiKey: string;
  /** A MovieLens shopper whose recommendations the preview shows. */
  user: string;
  /** A reviewed pair for the replenishment panel. */
  pair?: { sku: string; store: string };
  file: string;
  chromiumPath?: string;
}

const plotted = (ids: string[]) => ids.every((id) => Number(document.getElementById(id)?.parentElement?.dataset.points ?? '0') > 0);

/**
 * Opens the running platform's dashboard in headless Chromium, enters the
 * run's key, fills the preview and replenishment panels and saves a
 * full-page screenshot (`npm start -- --screenshot <file>`). Returns what
 * did not render (empty when every plot has data).
 */
export async function screenshotDashboard(shot: DashboardShot): Promise<string[]> {
  const executablePath = shot.chromiumPath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const missing: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(shot.dashboardUrl);
    await page.fill('#api-key', shot.apiKey);
    await page.click('#key-form button');
    await page.fill('#preview-form input[name=user]', shot.user);
    await page.click('#preview-form button');
    if (shot.pair) {
      await page.fill('#replenishment-form input[name=sku]', shot.pair.sku).catch(() => undefined);
      await page.fill('#replenishment-form input[name=store]', shot.pair.store).catch(() => undefined);
      await page.click('#replenishment-form button').catch(() => undefined);
    }
    const charts = ['events-chart', 'lag-chart', 'online-chart', 'curve-chart', ...(shot.pair ? ['replenishment-chart'] : [])];
    await page.waitForFunction(plotted, charts, { timeout: 60_000 }).catch(() => undefined);
    // A few more scrapes so the rate plots show a line, not a point.
    await page.waitForTimeout(8000);
    for (const id of charts) {
      const points = await page.evaluate((chart) => Number(document.getElementById(chart)?.parentElement?.dataset.points ?? '0'), id);
      if (points === 0) missing.push(id);
    }
    await page.screenshot({ path: shot.file, fullPage: true });
  } finally {
    await browser.close();
  }
  return missing;
}
