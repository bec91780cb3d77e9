import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ArtifactMetadata } from '@storeloop/ml';

/** The services the dashboard browser test does not start: this server answers for them. */
export const STAND_IN_TARGETS = ['ingestion', 'features', 'training', 'replenishment'] as const;
type StandIn = (typeof STAND_IN_TARGETS)[number];

/** Counters each stand-in exposes (the real names, README "Metrics" of each service), advanced by `perScrape` on every scrape. */
const COUNTERS: Record<StandIn, { metric: string; labels: string; perScrape: number }[]> = {
  ingestion: [
    { metric: 'ingest_events_total', labels: 'outcome="accepted",type="product.viewed",source="http",code=""', perScrape: 40 },
    { metric: 'ingest_events_total', labels: 'outcome="rejected",type="product.viewed",source="http",code="INGEST.SCHEMA_INVALID"', perScrape: 2 },
  ],
  features: [{ metric: 'features_events_applied_total', labels: 'topic="retail.events.v1"', perScrape: 38 }],
  training: [{ metric: 'training_examples_consumed_total', labels: 'outcome="stored"', perScrape: 12 }],
  replenishment: [{ metric: 'replenishment_decisions_total', labels: 'trigger="demand",acting="learned"', perScrape: 3 }],
};

/** Consumer lag per group, on two partitions each: the dashboard sums them. */
const LAG_GROUPS: Record<StandIn, string[]> = {
  ingestion: [],
  features: ['storeloop-features', 'storeloop-features-examples'],
  training: ['storeloop-training'],
  replenishment: ['storeloop-replenishment'],
};

/** What the replenishment stand-in lists as reviewed (`GET /v1/replenishment/pairs`). */
export const REVIEWED_PAIRS = [
  { sku: 'H01', store: 's1' },
  { sku: 'G02', store: 's2' },
];

/** The training run whose learned policy a simulation replays: the promoted one, or (none promoted) the newest rejected one. */
export interface ReplayedRun {
  version: string;
  outcome: 'promoted' | 'rejected';
}

export interface CurvePoint {
  epoch: number;
  loss: number;
  validationLoss: number;
}

export interface StandInOptions {
  /** The key the dashboard must send to the training and replenishment APIs. */
  apiKey: string;
  /** What the training service would list: the versions stored in the test's artifact store. */
  versions: () => Promise<ArtifactMetadata[]>;
  champion: () => string;
}

/** Loss going down over `epochs`, validation loss flattening after the middle: what a scorer's curve looks like. */
export function trainingCurve(epochs: number): CurvePoint[] {
  return Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, loss: round(0.3 + 0.4 * 0.75 ** i), validationLoss: round(0.34 + 0.35 * 0.8 ** Math.min(i, epochs / 2)) }));
}

/**
 * A day-by-day simulation of the replenishment interface
 * (`GET /v1/replenishment/{sku}/{store}/simulation?days=N`): weekly demand,
 * the learned policy ordering up to a level that follows demand, base-stock
 * up to a fixed level, holding and lost-sale costs, and the run replayed.
 */
export function simulate(sku: string, store: string, days: number, run: ReplayedRun) {
  const demandOf = (day: number) => 4 + ((day * 7) % 5) + (day % 7 === 5 || day % 7 === 6 ? 4 : 0);
  const sides = { learned: { onHand: 20, cost: 0, sold: 0 }, baseStock: { onHand: 20, cost: 0, sold: 0 } };
  let demanded = 0;
  const series = [];
  for (let day = 1; day <= days; day += 1) {
    const demand = demandOf(day);
    demanded += demand;
    const step = (side: { onHand: number; cost: number; sold: number }, level: number) => {
      const sold = Math.min(side.onHand, demand);
      side.sold += sold;
      side.cost += (demand - sold) * 2 + (side.onHand - sold) * 0.1;
      const order = Math.max(0, level - (side.onHand - sold));
      side.onHand = side.onHand - sold + order;
      return { onHand: side.onHand, order };
    };
    series.push({ day, demand, learned: step(sides.learned, demandOf(day + 1) + 3), baseStock: step(sides.baseStock, 10) });
  }
  const totals = (side: { cost: number; sold: number }) => ({ cost: round(side.cost), fillRate: round(side.sold / demanded) });
  const policy = { name: 'neural-order', version: run.version, promoted: run.outcome === 'promoted', outcome: run.outcome, baseline: { name: 'forecast-base-stock', version: 'w7-z1' } };
  return { sku, store, days, policy, series, totals: { learned: totals(sides.learned), baseStock: totals(sides.baseStock) } };
}

/**
 * One HTTP server standing in for ingestion, features, training and
 * replenishment under `/<name>`: Prometheus text on /metrics, and the JSON
 * of the training versions and the replenishment simulation, behind the key.
 */
export class StandInTargets {
  private readonly server: Server;
  private readonly scrapes = new Map<StandIn, number>();
  /** API calls seen, with whether they carried the expected key. */
  readonly apiCalls: { path: string; keyed: boolean }[] = [];
  /** The run the replenishment simulation says it replayed; a test sets a rejected one. */
  replayedRun: ReplayedRun = { version: '1', outcome: 'promoted' };

  constructor(private readonly options: StandInOptions) {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 'STANDIN.FAILED', message: String(error) }));
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const [, target, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    if (!STAND_IN_TARGETS.includes(target as StandIn)) return this.json(response, 404, { code: 'HTTP.NOT_FOUND', message: url.pathname });
    const name = target as StandIn;
    if (path === '/metrics') {
      const scrape = (this.scrapes.get(name) ?? 0) + 1;
      this.scrapes.set(name, scrape);
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.metrics(name, scrape));
      return;
    }
    const keyed = request.headers['x-api-key'] === this.options.apiKey;
    this.apiCalls.push({ path: `/${name}${path}`, keyed });
    if (!keyed) return this.json(response, 401, { code: 'AUTH.API_KEY_UNKNOWN', message: 'the API key is not known' });
    const versions = /^\/v1\/models\/([^/]+)\/versions$/.exec(path);
    if (name === 'training' && versions) {
      const champion = this.options.champion();
      const stored = (await this.options.versions()).filter((metadata) => metadata.modelName === decodeURIComponent(versions[1])).reverse();
      return this.json(response, 200, {
        modelName: decodeURIComponent(versions[1]),
        champion: { version: champion },
        versions: stored.map((metadata, i) => ({ ...metadata, champion: metadata.version === champion, details: { ...metadata.details, training: { epochs: 12 - i, curve: trainingCurve(12 - i) } } })),
      });
    }
    if (name === 'replenishment' && path === '/v1/replenishment/pairs') {
      return this.json(response, 200, { limit: Number(url.searchParams.get('limit') ?? '100'), pairs: REVIEWED_PAIRS });
    }
    const simulation = /^\/v1\/replenishment\/([^/]+)\/([^/]+)\/simulation$/.exec(path);
    if (name === 'replenishment' && simulation) {
      const days = Number(url.searchParams.get('days') ?? '56');
      return this.json(response, 200, simulate(decodeURIComponent(simulation[1]), decodeURIComponent(simulation[2]), days, this.replayedRun));
    }
    return this.json(response, 404, { code: 'HTTP.NOT_FOUND', message: path });
  }

  private metrics(name: StandIn, scrape: number): string {
    const lines: string[] = [];
    for (const counter of COUNTERS[name]) {
      lines.push(`# TYPE ${counter.metric} counter`, `${counter.metric}{${counter.labels},service="${name}"} ${counter.perScrape * scrape}`);
    }
    lines.push('# TYPE kafka_consumer_lag gauge');
    LAG_GROUPS[name].forEach((group, g) => {
      for (const partition of [0, 1]) lines.push(`kafka_consumer_lag{group="${group}",topic="retail.events.v1",partition="${partition}",service="${name}"} ${(scrape * (g + 1) + partition * 3) % 17}`);
    });
    return `${lines.join('\n')}\n`;
  }

  private json(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;
