import { LIMITS, type WindowSpec } from './settings';

/** The bucket of a time: buckets are aligned on the Unix epoch, so day buckets are UTC days. */
export function bucketOf(timeMs: number, sizeMs: number): number {
  return Math.floor(timeMs / sizeMs);
}

/**
 * Events counted in a sliding window as of `asOfMs`: the sum of the
 * `window.buckets` newest buckets, ending with the bucket that holds `asOfMs`.
 * The window therefore spans between `buckets - 1` and `buckets` bucket
 * lengths: a 1 h window read at 12:00:30 covers 11:01:00 to 12:00:59.999.
 * Buckets after the one holding `asOfMs` are not counted.
 */
export function windowCount(buckets: ReadonlyMap<number, number>, window: WindowSpec, asOfMs: number): number {
  const newest = bucketOf(asOfMs, window.sizeMs);
  const oldest = newest - window.buckets + 1;
  let count = 0;
  for (const [bucket, value] of buckets) {
    if (bucket >= oldest && bucket <= newest) count += value;
  }
  return count;
}

/** 2^(-elapsed / halfLife): the weight left after `elapsedMs`. */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  return 2 ** (-elapsedMs / halfLifeMs);
}

/**
 * A decayed counter stored as (value, time of the last update), read as of
 * `asOfMs`. Reading before the last update returns the stored value: the
 * counter cannot be wound back, and growing it would invent events.
 */
export function decayedValueAt(value: number, updatedAtMs: number, asOfMs: number, halfLifeMs: number): number {
  return value * decayFactor(Math.max(0, asOfMs - updatedAtMs), halfLifeMs);
}

/**
 * Forward decay (Cormode et al., 2009): a sorted-set score is a sum of
 * `amount * 2^((t - landmark) / halfLife)`, so the order of members never
 * changes with time and top-K stays a plain ZREVRANGE. The weight as of
 * `asOfMs` scales the score back by `2^((landmark - asOf) / halfLife)`.
 */
export function forwardDecayedWeight(score: number, landmarkMs: number, asOfMs: number, halfLifeMs: number): number {
  return score * 2 ** ((landmarkMs - asOfMs) / halfLifeMs);
}

/** `part / whole`, or null when there is no whole to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/**
 * Exponentially weighted mean and variance of daily demand (Finch, 2009:
 * "Incremental calculation of weighted mean and variance"). The series starts
 * at the first day with a sale, so a new SKU's mean is not dragged to zero by
 * the days before it was sold; later days without a sale count as zero.
 * `mean_0 = x_0, var_0 = 0; d = x_t - mean; mean += alpha d; var = (1 - alpha)(var + alpha d^2)`.
 */
export function ewmaDemand(dailyUnits: readonly number[], alpha: number): { mean: number; variance: number; days: number } {
  const first = dailyUnits.findIndex((units) => units > 0);
  if (first < 0) return { mean: 0, variance: 0, days: 0 };
  let mean = dailyUnits[first];
  let variance = 0;
  for (let day = first + 1; day < dailyUnits.length; day++) {
    const deviation = dailyUnits[day] - mean;
    mean += alpha * deviation;
    variance = (1 - alpha) * (variance + alpha * deviation * deviation);
  }
  return { mean, variance, days: dailyUnits.length - first };
}

/** Money is kept in ten-thousandths: the contracts allow at most 4 decimal places, so no amount is ever rounded. */
export const MONEY_SCALE = 4;
const MONEY_FACTOR = 10n ** BigInt(MONEY_SCALE);

/** `"19.99"` → 199900n (ten-thousandths). */
export function toMoneyUnits(amount: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(amount);
  if (!match) throw new RangeError(`not a decimal amount with at most ${MONEY_SCALE} places: ${amount}`);
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole) * MONEY_FACTOR + BigInt(fraction.padEnd(MONEY_SCALE, '0'));
  return sign ? -units : units;
}

/** 199900n → `"19.99"`: exact, with at least two decimal places and no trailing zeros beyond them. */
export function formatMoneyUnits(units: bigint): string {
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  const fraction = (magnitude % MONEY_FACTOR).toString().padStart(MONEY_SCALE, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${negative ? '-' : ''}${magnitude / MONEY_FACTOR}.${fraction}`;
}

/** Value of an order line in money units: unit price times quantity, exactly. */
export function lineValue(unitPrice: string, quantity: number): bigint {
  return toMoneyUnits(unitPrice) * BigInt(quantity);
}

/** A user's current session, as far as applying events needs to know it. */
export interface SessionState {
  startedAtMs: number;
  lastEventAtMs: number;
  events: number;
  /** Distinct SKUs viewed in the session, newest first, at most `LIMITS.sessionViewsPaired`. */
  viewedSkus: string[];
}

/**
 * The session after one more event of the user at `atMs`. A gap longer than
 * `gapMs` after the session's newest event starts a new session; an event
 * older than that newest one (late delivery) joins the current session and
 * widens it, it never starts one.
 */
export function advanceSession(session: SessionState | undefined, atMs: number, gapMs: number): { session: SessionState; started: boolean } {
  if (!session || atMs - session.lastEventAtMs > gapMs) {
    return { session: { startedAtMs: atMs, lastEventAtMs: atMs, events: 1, viewedSkus: [] }, started: true };
  }
  return {
    session: {
      startedAtMs: Math.min(session.startedAtMs, atMs),
      lastEventAtMs: Math.max(session.lastEventAtMs, atMs),
      events: session.events + 1,
      viewedSkus: session.viewedSkus,
    },
    started: false,
  };
}

/**
 * Records a view in the session, moving the SKU to the front of the viewed
 * list. Returns the SKUs it pairs with for co-view: the items viewed earlier
 * in the session, but only on the first view of this SKU in the session, so
 * re-viewing one page does not inflate its pairs.
 */
export function recordSessionView(session: SessionState, sku: string): { session: SessionState; pairedWith: string[] } {
  const seen = session.viewedSkus.includes(sku);
  const others = session.viewedSkus.filter((viewed) => viewed !== sku);
  return {
    session: { ...session, viewedSkus: [sku, ...others].slice(0, LIMITS.sessionViewsPaired) },
    pairedWith: seen ? [] : others,
  };
}

/** True while a session ending at `lastEventAtMs` is still open at `asOfMs`. */
export function sessionIsOpen(lastEventAtMs: number, asOfMs: number, gapMs: number): boolean {
  return asOfMs - lastEventAtMs <= gapMs;
}

/**
 * Stock of a SKU in a store: the last count plus goods received since, minus
 * units sold since, never below zero; on order falls as goods arrive. Before
 * any count the baseline is zero.
 */
export function stockPosition(
  counted: { onHand: number; onOrder: number } | undefined,
  receivedSince: number,
  soldSince: number,
): { onHand: number; onOrder: number } {
  return {
    onHand: Math.max(0, (counted?.onHand ?? 0) + receivedSince - soldSince),
    onOrder: Math.max(0, (counted?.onOrder ?? 0) - receivedSince),
  };
}
