import { EventType } from '@storeloop/contracts';
import { priceOf, type Shopper } from './movielens-shoppers';

/** The part of an inference answer the storefront uses. */
export interface ServedList {
  recommendationId: string;
  userId: string;
  modelVersion: string;
  coldStart: boolean;
  items: { sku: string; position: number }[];
}

/** One answer as the storefront showed it, and how many of its items the shopper clicked. */
export interface Visit {
  list: ServedList;
  clicks: number;
}

/** What the storefront saw per model version: lists shown, items shown, clicks it reported. */
export interface VersionTally {
  lists: number;
  itemsShown: number;
  clicks: number;
  /** Clicked favourites bought (only with `StorefrontOptions.orders`). */
  purchases: number;
}

export interface RoundSummary {
  round: number;
  lists: number;
  clicks: number;
  purchases: number;
  /** Lists per model version in this round. */
  versions: Record<string, number>;
}

/**
 * Clicks per version on each shopper's first list from that version. The
 * lists leave out what a shopper already clicked, so later rounds of a
 * version find fewer wants: the first visit compares versions more fairly
 * than the totals, though a later version still meets shoppers whose wants
 * earlier ones used up.
 */
export function firstVisitTallies(visits: readonly Visit[]): Map<string, VersionTally> {
  const seen = new Set<string>();
  const tallies = new Map<string, VersionTally>();
  for (const { list, clicks } of visits) {
    const key = `${list.modelVersion}\u0000${list.userId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const tally = tallies.get(list.modelVersion) ?? { lists: 0, itemsShown: 0, clicks: 0, purchases: 0 };
    tally.lists += 1;
    tally.itemsShown += list.items.length;
    tally.clicks += clicks;
    tallies.set(list.modelVersion, tally);
  }
  return tallies;
}

export class StorefrontError extends Error {
  override readonly name = 'StorefrontError';

  constructor(
    readonly code: 'E2E.INFERENCE_ANSWER' | 'E2E.FEEDBACK_REFUSED' | 'E2E.ORDER_REFUSED',
    message: string,
  ) {
    super(message);
  }
}

export interface StorefrontOptions {
  inferenceUrl: string;
  apiKey: string;
  /** Items per list. */
  k: number;
  /** Shoppers served at once. */
  concurrency: number;
  /**
   * When set, a clicked favourite (a 5-star want) is bought: the storefront
   * reports the purchase to POST /v1/feedback and the shop's order system
   * publishes the order through ingestion (features label impressions from
   * orders), once per shopper and item.
   */
  orders?: { ingestionUrl: string; apiKey: string; source: string; runTag: string };
}

/**
 * A storefront backend with simulated shoppers: each round every shopper
 * opens the home page (one recommendation request), and clicks every listed
 * item they want (a held-out liked rating), reported to POST /v1/feedback
 * with the recommendation id and position. Shoppers do not change their
 * wants between rounds, so versions are compared on the same population.
 */
export class Storefront {
  readonly tally = new Map<string, VersionTally>();
  /** Every visit in order; a shopper's visits are in the order they happened. */
  readonly visits: Visit[] = [];
  /** Wall time of every recommendation request as the storefront saw it, in ms. */
  readonly latenciesMs: number[] = [];
  private rounds = 0;
  private readonly bought = new Set<string>();

  constructor(
    private readonly shoppers: readonly Shopper[],
    private readonly options: StorefrontOptions,
  ) {}

  /** See `firstVisitTallies`. */
  firstVisits(): Map<string, VersionTally> {
    return firstVisitTallies(this.visits);
  }

  /** One visit per shopper; resolves once every answer is in and every click acknowledged (202). */
  async round(): Promise<RoundSummary> {
    this.rounds += 1;
    const summary: RoundSummary = { round: this.rounds, lists: 0, clicks: 0, purchases: 0, versions: {} };
    const queue = [...this.shoppers];
    const worker = async () => {
      for (let shopper = queue.shift(); shopper; shopper = queue.shift()) {
        const list = await this.visit(shopper);
        summary.lists += 1;
        summary.versions[list.modelVersion] = (summary.versions[list.modelVersion] ?? 0) + 1;
        // Awaited first: `summary.clicks += await ...` would read the total before the await and lose other workers' clicks.
        const clicked = await this.clickWanted(shopper, list);
        const bought = await this.buyFavourites(shopper, list, clicked);
        this.visits.push({ list, clicks: clicked.length });
        summary.clicks += clicked.length;
        summary.purchases += bought;
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, worker));
    return summary;
  }

  /** Rounds until `done` answers true (checked after each round) or `timeoutMs` passes; returns the rounds run. */
  async roundsUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, onRound?: (summary: RoundSummary) => void): Promise<RoundSummary[]> {
    const deadline = Date.now() + timeoutMs;
    const summaries: RoundSummary[] = [];
    for (;;) {
      const summary = await this.round();
      summaries.push(summary);
      onRound?.(summary);
      if (await done()) return summaries;
      if (Date.now() > deadline) throw new Error(`condition not met after ${summaries.length} storefront round(s) in ${timeoutMs} ms`);
    }
  }

  private async visit(shopper: Shopper): Promise<ServedList> {
    const url = `${this.options.inferenceUrl}/v1/users/${encodeURIComponent(shopper.userId)}/recommendations?k=${this.options.k}&context=home`;
    const started = performance.now();
    const response = await fetch(url, { headers: { 'X-Api-Key': this.options.apiKey } });
    this.latenciesMs.push(performance.now() - started);
    const body = (await response.json()) as ServedList & { code?: string; detail?: string };
    if (response.status !== 200) throw new StorefrontError('E2E.INFERENCE_ANSWER', `GET ${url} answered ${response.status}: ${JSON.stringify(body)}`);
    const tally = this.versionTally(body.modelVersion);
    tally.lists += 1;
    tally.itemsShown += body.items.length;
    return body;
  }

  private async clickWanted(shopper: Shopper, list: ServedList): Promise<ServedList['items']> {
    const clicked = list.items.filter((item) => shopper.wants.has(item.sku));
    if (clicked.length === 0) return clicked;
    const events = clicked.map((item) => ({ type: 'click', userId: shopper.userId, recommendationId: list.recommendationId, sku: item.sku, position: item.position, channel: 'web' }));
    const response = await fetch(`${this.options.inferenceUrl}/v1/feedback`, {
      method: 'POST',
      headers: { 'X-Api-Key': this.options.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    if (response.status !== 202) throw new StorefrontError('E2E.FEEDBACK_REFUSED', `POST /v1/feedback answered ${response.status}: ${await response.text()}`);
    this.versionTally(list.modelVersion).clicks += clicked.length;
    return clicked;
  }

  /** Buys the clicked favourites not bought before: a purchase report to inference and the order through ingestion. */
  private async buyFavourites(shopper: Shopper, list: ServedList, clicked: ServedList['items']): Promise<number> {
    const orders = this.options.orders;
    if (!orders) return 0;
    const items = clicked.filter((item) => shopper.favourites.has(item.sku) && !this.bought.has(`${shopper.userId}\u0000${item.sku}`));
    for (const item of items) {
      this.bought.add(`${shopper.userId}\u0000${item.sku}`);
      const orderId = `${orders.runTag}-${shopper.userId}-${item.sku}-order`;
      const feedback = await fetch(`${this.options.inferenceUrl}/v1/feedback`, {
        method: 'POST',
        headers: { 'X-Api-Key': this.options.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'purchase', userId: shopper.userId, recommendationId: list.recommendationId, sku: item.sku, quantity: 1, orderId, channel: 'web' }),
      });
      if (feedback.status !== 202) throw new StorefrontError('E2E.FEEDBACK_REFUSED', `POST /v1/feedback (purchase) answered ${feedback.status}: ${await feedback.text()}`);
      const order = {
        specversion: '1.0',
        id: orderId,
        source: orders.source,
        type: EventType.OrderPlaced,
        time: new Date().toISOString(),
        data: { userId: shopper.userId, channel: 'web', orderId, items: [{ sku: item.sku, quantity: 1, unitPrice: { amount: priceOf(item.sku.replace(/^ml-/, '')), currency: 'USD' } }] },
      };
      const placed = await fetch(`${orders.ingestionUrl}/v1/events`, {
        method: 'POST',
        headers: { 'X-Api-Key': orders.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify([order]),
      });
      if (placed.status !== 202) throw new StorefrontError('E2E.ORDER_REFUSED', `POST /v1/events (order) answered ${placed.status}: ${await placed.text()}`);
      this.versionTally(list.modelVersion).purchases += 1;
    }
    return items.length;
  }

  private versionTally(version: string): VersionTally {
    let tally = this.tally.get(version);
    if (!tally) {
      tally = { lists: 0, itemsShown: 0, clicks: 0, purchases: 0 };
      this.tally.set(version, tally);
    }
    return tally;
  }
}
