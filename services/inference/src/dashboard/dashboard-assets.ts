import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { Logger } from '@storeloop/observability';

export const DASHBOARD_ASSETS_MISSING = 'DASHBOARD.ASSETS_MISSING';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page's scripts are files of the service only (no inline script, no
 * CDN): the CSP says so, and the page asks nothing but this origin.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

export interface DashboardAsset {
  type: string;
  bytes: Buffer;
}

/** `services/inference/dashboard`: two levels above this file both in `src/dashboard` and in `dist/dashboard`. */
export const DEFAULT_ASSET_DIR = join(__dirname, '..', '..', 'dashboard');

/**
 * The page (index.html, its ES modules and CSS) and Chart.js's UMD build from
 * node_modules, read once at start: they never change while the process runs.
 * Without them (an image that did not copy services/inference/dashboard) the
 * service still serves; `/dashboard` answers 503 DASHBOARD.ASSETS_MISSING
 * with the reason, also logged at start.
 */
export class DashboardAssets {
  private readonly files = new Map<string, DashboardAsset>();
  private readonly vendor = new Map<string, DashboardAsset>();
  /** Why the page cannot be served, or null. */
  readonly missing: string | null = null;

  constructor(directory: string = DEFAULT_ASSET_DIR, logger?: Logger) {
    try {
      for (const name of readdirSync(directory)) {
        const type = TYPES[extname(name)];
        if (type) this.files.set(name, { type, bytes: readFileSync(join(directory, name)) });
      }
      if (!this.files.has('index.html')) throw new Error(`no index.html in ${directory}`);
      // chart.js exports no package.json; its CommonJS entry sits next to the UMD build in dist/.
      this.vendor.set('chart.umd.js', { type: TYPES['.js'], bytes: readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js')) });
    } catch (error) {
      this.files.clear();
      this.missing = `the dashboard page cannot be served: ${error instanceof Error ? error.message : String(error)}`;
      logger?.error({ code: DASHBOARD_ASSETS_MISSING, directory }, this.missing);
    }
  }

  page(): DashboardAsset | undefined {
    return this.files.get('index.html');
  }

  file(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }

  vendorFile(name: string): DashboardAsset | undefined {
    return this.vendor.get(name);
  }
}
