import { EventType, exampleEvent, parseEvent, type EventTypeName, type ExampleEventOverrides, type StoreloopEvent } from '@storeloop/contracts';
import { mulberry32 } from '@storeloop/ml';

export interface StreamOptions {
  seed: number;
  events: number;
  users: number;
  skus: number;
  /** Event time of the first event; the stream spans `spanMs` after it. */
  startMs: number;
  spanMs: number;
  /** Distinguishes ids between tests. */
  tag: string;
}

export function parsed<T extends EventTypeName>(type: T, overrides: ExampleEventOverrides<T>): StoreloopEvent {
  const result = parseEvent(exampleEvent(type, overrides));
  if (!result.ok) throw new Error(`invalid generated event: ${JSON.stringify(result.issues)}`);
  return result.event;
}

/**
 * A seeded stream of shopper and feedback events, as ingestion would write
 * them: views, carts, removals, favourites, searches, orders of one to three
 * lines, served recommendations and clicks on them. Times rise through the
 * span with up to two minutes of disorder, so windows, sessions and late
 * events all occur.
 */
export function generateStream(options: StreamOptions): StoreloopEvent[] {
  const random = mulberry32(options.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const user = () => `${options.tag}-u${pick(options.users)}`;
  // Popular items are popular: a skewed draw, like real catalogues.
  const sku = () => `${options.tag}-sku${Math.floor(options.skus * random() ** 2)}`;
  const served = new Map<string, { id: string; skus: string[] }>();
  const events: StoreloopEvent[] = [];
  for (let i = 0; i < options.events; i++) {
    const time = new Date(options.startMs + Math.floor((i * options.spanMs) / options.events) - pick(120_000)).toISOString();
    const id = `${options.tag}-e${i}`;
    const userId = user();
    const r = random();
    const common = { id, time };
    if (r < 0.5) events.push(parsed(EventType.ProductViewed, { ...common, data: { userId, sku: sku() } }));
    else if (r < 0.6) events.push(parsed(EventType.CartItemAdded, { ...common, data: { userId, sku: sku(), quantity: 1 + pick(3) } }));
    else if (r < 0.63) events.push(parsed(EventType.CartItemRemoved, { ...common, data: { userId, sku: sku(), quantity: 1 } }));
    else if (r < 0.67) events.push(parsed(EventType.ProductFavorited, { ...common, data: { userId, sku: sku() } }));
    else if (r < 0.74) events.push(parsed(EventType.SearchPerformed, { ...common, data: { userId, query: `q${pick(50)}` } }));
    else if (r < 0.8) {
      const currency = random() < 0.8 ? 'EUR' : 'USD';
      const lines = Array.from({ length: 1 + pick(3) }, () => ({
        sku: sku(),
        quantity: 1 + pick(4),
        unitPrice: { amount: `${1 + pick(200)}.${String(pick(100)).padStart(2, '0')}`, currency },
      }));
      events.push(parsed(EventType.OrderPlaced, { ...common, data: { userId, orderId: `${id}-order`, store: `store-${pick(5)}`, items: lines } }));
    } else if (r < 0.92) {
      const skus = [...new Set(Array.from({ length: 5 }, sku))];
      const recommendationId = `${id}-rec`;
      served.set(userId, { id: recommendationId, skus });
      events.push(
        parsed(EventType.RecommendationServed, {
          ...common,
          data: { userId, recommendationId, modelVersion: 'v1', surface: 'home', items: skus.map((s, p) => ({ sku: s, position: p + 1, score: 1 - p / 10 })) },
        }),
      );
    } else {
      const last = served.get(userId);
      if (!last) events.push(parsed(EventType.ProductViewed, { ...common, data: { userId, sku: sku() } }));
      else {
        const position = pick(last.skus.length);
        events.push(parsed(EventType.RecommendationClicked, { ...common, data: { userId, recommendationId: last.id, sku: last.skus[position], position: position + 1 } }));
      }
    }
  }
  return events;
}

