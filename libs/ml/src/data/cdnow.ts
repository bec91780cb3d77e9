/**
 * The CDNOW master data set (Fader & Hardie): one purchase per line,
 * whitespace-aligned `customer_id date(YYYYMMDD) number_of_cds dollar_value`,
 * with an optional header line. Turns it into per-customer calibration
 * summaries, features and holdout labels for the repeat-purchase question
 * "will this customer buy again in the holdout period?".
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MlInputError } from '../errors';
import type { RepeatPurchaseSummary } from '../propensity/bgnbd';

export interface CdnowPurchase {
  customerId: string;
  /** Days since 1970-01-01 (UTC) of the purchase date. */
  day: number;
  cds: number;
  dollars: number;
}

/** Where the file sits under a data directory (`<dataDir>/cdnow/cdnow_master.txt`). */
export const CDNOW_FILE = join('cdnow', 'cdnow_master.txt');

const DAY_MS = 86_400_000;

/** 'YYYYMMDD' or 'YYYY-MM-DD' to days since the epoch; rejects impossible dates like 19970231. */
export function parseDay(text: string): number {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!match) throw new MlInputError(`date must be YYYYMMDD or YYYY-MM-DD, got '${text}'`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    throw new MlInputError(`date '${text}' does not exist`);
  }
  return ms / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function parseCdnow(text: string, source = 'cdnow'): CdnowPurchase[] {
  const purchases: CdnowPurchase[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '' || (index === 0 && !/^\d/.test(fields[0]))) return;
    const where = `${source}:${index + 1}`;
    if (fields.length !== 4) throw new MlInputError(`${where}: expected 4 fields (customer_id date cds dollars), got ${fields.length}`);
    const cds = Number(fields[2]);
    const dollars = Number(fields[3]);
    if (!Number.isSafeInteger(cds) || cds < 0) throw new MlInputError(`${where}: number_of_cds must be an integer >= 0, got '${fields[2]}'`);
    if (!Number.isFinite(dollars) || dollars < 0) throw new MlInputError(`${where}: dollar_value must be a number >= 0, got '${fields[3]}'`);
    let day: number;
    try {
      day = parseDay(fields[1]);
    } catch (error) {
      throw new MlInputError(`${where}: ${(error as Error).message}`);
    }
    // Ids are zero-padded in the file; strip padding so '00001' and '1' are one customer.
    purchases.push({ customerId: String(Number(fields[0])), day, cds, dollars });
  });
  if (purchases.length === 0) throw new MlInputError(`${source}: no purchases found`);
  return purchases;
}

/** Reads `<dataDir>/cdnow/cdnow_master.txt`. */
export async function readCdnow(dataDir: string): Promise<CdnowPurchase[]> {
  const path = join(dataDir, CDNOW_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new MlInputError(`cannot read CDNOW data at ${path}: ${(error as Error).message} (set --data-dir or STORELOOP_DATA_DIR)`);
  }
  return parseCdnow(text, path);
}

export interface CdnowPeriods {
  /** Last day of calibration, inclusive. Default 1997-09-30. */
  calibrationEnd: string;
  /** Last day of the holdout period, inclusive. Default 1998-06-30. */
  holdoutEnd: string;
}

export const CDNOW_DEFAULT_PERIODS: CdnowPeriods = { calibrationEnd: '1997-09-30', holdoutEnd: '1998-06-30' };

/** One customer's calibration-period view and holdout outcome. */
export interface CdnowCustomer {
  customerId: string;
  /** BG/NBD statistics in weeks: x repeat purchase days, t_x, T. */
  summary: RepeatPurchaseSummary;
  /** Model features from the calibration period only, keyed by CDNOW_FEATURE_NAMES. */
  features: Record<CdnowFeatureName, number>;
  /** Purchase days in the holdout period. */
  holdoutPurchases: number;
  /** 1 when the customer bought at least once in the holdout period. */
  label: 0 | 1;
}

export interface CdnowDataset {
  customers: CdnowCustomer[];
  /** Holdout length in weeks (39 for the defaults): the BG/NBD horizon. */
  horizonWeeks: number;
  calibrationWeeks: number;
  firstDay: string;
  periods: CdnowPeriods;
}

/**
 * Calibration-period features. Times are in weeks, money in dollars. Heavy
 * tails (spend, counts) enter as log1p so standardisation is not dominated by
 * a few big buyers. A "purchase" is a purchase day: several lines of one
 * customer on one day count once, as in Fader & Hardie's repeat counts.
 */
export const CDNOW_FEATURE_NAMES = [
  'repeatPurchases', // x
  'logRepeatPurchases',
  'lastPurchaseWeek', // t_x
  'ageWeeks', // T
  'weeksSinceLastPurchase', // T - t_x
  'repeatRate', // x / T
  'logTotalSpend',
  'logMeanSpend',
  'logFirstSpend',
  'logLastSpend',
  'logTotalCds',
  'meanCdsPerPurchase',
  'meanInterPurchaseWeeks', // t_x / x, 0 when x = 0
  'sdInterPurchaseWeeks',
  'maxGapWeeks',
  'logOverdueRatio', // log1p((T - t_x) / mean inter-purchase time), 0 when x = 0
  'purchasesLast13Weeks',
  'purchasesLast4Weeks',
  'logSpendLast13Weeks',
  'lastMinusFirstSpend',
] as const;

export type CdnowFeatureName = (typeof CDNOW_FEATURE_NAMES)[number];

/**
 * Builds the per-customer dataset: customers who bought by the end of
 * calibration (CDNOW's cohort all first bought in Q1 1997), their
 * calibration features and whether they bought in the holdout. T counts from
 * the first purchase day to the calibration end day, in weeks of 7 days, as
 * lifetimes' `calibration_and_holdout_data` does (a 1997-01-01 customer has
 * T = 272 / 7 = 38.86).
 */
export function buildCdnowDataset(purchases: readonly CdnowPurchase[], periods: CdnowPeriods = CDNOW_DEFAULT_PERIODS): CdnowDataset {
  const calibrationEnd = parseDay(periods.calibrationEnd);
  const holdoutEnd = parseDay(periods.holdoutEnd);
  if (!(holdoutEnd > calibrationEnd)) throw new MlInputError('holdoutEnd must be after calibrationEnd');

  // customer -> day -> { cds, dollars }
  const byCustomer = new Map<string, Map<number, { cds: number; dollars: number }>>();
  for (const p of purchases) {
    let days = byCustomer.get(p.customerId);
    if (!days) byCustomer.set(p.customerId, (days = new Map()));
    const day = days.get(p.day);
    if (day) {
      day.cds += p.cds;
      day.dollars += p.dollars;
    } else {
      days.set(p.day, { cds: p.cds, dollars: p.dollars });
    }
  }

  let firstDay = Number.POSITIVE_INFINITY;
  const customers: CdnowCustomer[] = [];
  for (const [customerId, days] of byCustomer) {
    const sorted = [...days.entries()].sort((a, b) => a[0] - b[0]);
    const calibration = sorted.filter(([day]) => day <= calibrationEnd);
    if (calibration.length === 0) continue; // joined after calibration: nothing to predict from
    const holdoutPurchases = sorted.filter(([day]) => day > calibrationEnd && day <= holdoutEnd).length;
    const first = calibration[0][0];
    firstDay = Math.min(firstDay, first);
    const weeks = (day: number) => (day - first) / 7;
    const x = calibration.length - 1;
    const tx = weeks(calibration[calibration.length - 1][0]);
    const T = weeks(calibrationEnd);
    const gaps = calibration.slice(1).map(([day], i) => (day - calibration[i][0]) / 7);
    const meanGap = x > 0 ? tx / x : 0;
    const sdGap = x > 1 ? Math.sqrt(gaps.reduce((s, g) => s + (g - meanGap) ** 2, 0) / (x - 1)) : 0;
    const spends = calibration.map(([, v]) => v.dollars);
    const totalSpend = spends.reduce((s, v) => s + v, 0);
    const totalCds = calibration.reduce((s, [, v]) => s + v.cds, 0);
    const recent = (weeksBack: number) => calibration.filter(([day]) => day > calibrationEnd - weeksBack * 7);
    const features: Record<CdnowFeatureName, number> = {
      repeatPurchases: x,
      logRepeatPurchases: Math.log1p(x),
      lastPurchaseWeek: tx,
      ageWeeks: T,
      weeksSinceLastPurchase: T - tx,
      repeatRate: x / T,
      logTotalSpend: Math.log1p(totalSpend),
      logMeanSpend: Math.log1p(totalSpend / calibration.length),
      logFirstSpend: Math.log1p(spends[0]),
      logLastSpend: Math.log1p(spends[spends.length - 1]),
      logTotalCds: Math.log1p(totalCds),
      meanCdsPerPurchase: totalCds / calibration.length,
      meanInterPurchaseWeeks: meanGap,
      sdInterPurchaseWeeks: sdGap,
      maxGapWeeks: gaps.length ? Math.max(...gaps) : 0,
      logOverdueRatio: x > 0 && meanGap > 0 ? Math.log1p((T - tx) / meanGap) : 0,
      purchasesLast13Weeks: recent(13).length,
      purchasesLast4Weeks: recent(4).length,
      logSpendLast13Weeks: Math.log1p(recent(13).reduce((s, [, v]) => s + v.dollars, 0)),
      lastMinusFirstSpend: Math.log1p(spends[spends.length - 1]) - Math.log1p(spends[0]),
    };
    customers.push({
      customerId,
      summary: { frequency: x, recency: tx, age: T },
      features,
      holdoutPurchases,
      label: holdoutPurchases > 0 ? 1 : 0,
    });
  }
  if (customers.length === 0) throw new MlInputError(`no customer bought on or before ${periods.calibrationEnd}`);
  customers.sort((a, b) => Number(a.customerId) - Number(b.customerId) || a.customerId.localeCompare(b.customerId));
  return {
    customers,
    horizonWeeks: (holdoutEnd - calibrationEnd) / 7,
    calibrationWeeks: (calibrationEnd - firstDay) / 7,
    firstDay: formatDay(firstDay),
    periods,
  };
}

/** Feature rows in CDNOW_FEATURE_NAMES order. */
export function cdnowFeatureRows(customers: readonly CdnowCustomer[]): number[][] {
  return customers.map((c) => CDNOW_FEATURE_NAMES.map((name) => c.features[name]));
}
