import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardAssets } from './dashboard-assets';

describe('DashboardAssets', () => {
  it('serves the page, its modules and CSS from services/inference/dashboard, and Chart.js from node_modules', () => {
    const assets = new DashboardAssets();
    expect(assets.missing).toBeNull();
    const page = assets.page()!.bytes.toString('utf8');
    expect(assets.page()?.type).toBe('text/html; charset=utf-8');
    // Every script the page loads is a file served here: the CSP allows no other.
    const scripts = [...page.matchAll(/<script[^>]*src="\/dashboard\/([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(['vendor/chart.umd.js', 'app.js']);
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(assets.vendorFile('chart.umd.js')?.bytes.toString('utf8')).toMatch(/Chart\.js v4\./);
    for (const name of ['app.js', 'api.js', 'charts.js']) expect(assets.file(name)?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.file('style.css')?.type).toBe('text/css; charset=utf-8');
    expect(assets.file('../config.ts')).toBeUndefined();
    expect(assets.vendorFile('chart.js')).toBeUndefined();
  });

  it('serves nothing, and says why, without a page', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dashboard-assets-'));
    try {
      await writeFile(join(dir, 'app.js'), '');
      const assets = new DashboardAssets(dir);
      expect(assets.missing).toBe(`the dashboard page cannot be served: no index.html in ${dir}`);
      expect(assets.file('app.js')).toBeUndefined();
      expect(new DashboardAssets(join(dir, 'absent')).missing).toMatch(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
