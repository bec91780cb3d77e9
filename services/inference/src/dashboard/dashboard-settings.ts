import { z } from 'zod';
import { env } from '@storeloop/observability';

/** A dashboard target: the name the page shows and the base URL its /metrics and APIs answer on. */
export interface DashboardTarget {
  name: string;
  baseUrl: string;
}

const TARGET_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export const DEFAULT_DASHBOARD_TARGETS = 'ingestion=http://127.0.0.1:3001,features=http://127.0.0.1:3002,training=http://127.0.0.1:3003,inference=http://127.0.0.1:3004,replenishment=http://127.0.0.1:3005';

/** `name=baseUrl,...`: each name once, each URL http(s) without a query; a trailing slash is dropped. */
const targets = z
  .string()
  .default(DEFAULT_DASHBOARD_TARGETS)
  .transform((value, ctx): DashboardTarget[] => {
    const parsed: DashboardTarget[] = [];
    for (const entry of value.split(',').map((part) => part.trim()).filter(Boolean)) {
      const at = entry.indexOf('=');
      const name = at > 0 ? entry.slice(0, at).trim() : '';
      const url = at > 0 ? entry.slice(at + 1).trim() : '';
      if (!TARGET_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not name=baseUrl with a name of lower-case letters, digits, "-" or "_"` });
        continue;
      }
      let base: URL;
      try {
        base = new URL(url);
      } catch {
        ctx.addIssue({ code: 'custom', message: `"${name}": "${url}" is not a URL` });
        continue;
      }
      if ((base.protocol !== 'http:' && base.protocol !== 'https:') || base.search || base.hash) {
        ctx.addIssue({ code: 'custom', message: `"${name}": the base URL must be http(s) without query or fragment` });
        continue;
      }
      if (parsed.some((target) => target.name === name)) ctx.addIssue({ code: 'custom', message: `"${name}" is named twice` });
      parsed.push({ name, baseUrl: base.href.replace(/\/+$/, '') });
    }
    if (parsed.length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one target' });
    return parsed;
  });

/** The dashboard page's backend (README, inference section "Dashboard"). */
export const dashboardConfigSchema = z.object({
  /** The services the dashboard scrapes and asks, `name=baseUrl` comma list; `training` and `replenishment` also serve the model and simulation panels. */
  DASHBOARD_TARGETS: targets,
  /** Key this service sends to the training (`admin` scope there) and replenishment (`infer` scope) APIs; without it those panels say so. */
  DASHBOARD_API_KEY: z.string().min(1).optional(),
  /** How often the targets' /metrics are scraped while someone watches. */
  DASHBOARD_SCRAPE_INTERVAL_MS: env.int(2_000, { min: 250, max: 60_000 }),
  /** Points kept per series (DASHBOARD_WINDOW × interval is the span plotted). */
  DASHBOARD_WINDOW: env.int(300, { min: 10, max: 10_000 }),
});

export type DashboardSettings = z.infer<typeof dashboardConfigSchema>;
