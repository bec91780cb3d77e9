/**
 * Reads daily demand and prices in the M5 layout (sales_wide.csv,
 * calendar.csv, sell_prices.csv): one row per item-store with columns d_1..d_N
 * of unit sales; weekly prices keyed by store, item and wm_yr_wk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SupplyChainInputError } from './errors';

export interface DemandSeries {
  id: string;
  itemId: string;
  storeId: string;
  /** Units sold per day (d_1 first). */
  demand: Float64Array;
  /** Sell price per day; days before the first listed price take the first listed price. */
  price: Float64Array;
  /** First day index (0-based) with a listed price or a sale: the item's launch. */
  firstDay: number;
}

function readCsv(path: string): string[][] {
  if (!existsSync(path)) throw new SupplyChainInputError(`missing M5 file ${path} (set --data-dir or STORELOOP_DATA_DIR)`);
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => line.split(','));
}

function column(header: string[], name: string, file: string): number {
  const index = header.indexOf(name);
  if (index < 0) throw new SupplyChainInputError(`${file} has no column '${name}'`);
  return index;
}

/** Loads every series of an M5-layout directory (or the first `limit`). */
export function loadM5(directory: string, options: { limit?: number } = {}): { series: DemandSeries[]; days: number } {
  const sales = readCsv(join(directory, 'sales_wide.csv'));
  const calendar = readCsv(join(directory, 'calendar.csv'));
  const prices = readCsv(join(directory, 'sell_prices.csv'));
  const [salesHeader, ...salesRows] = sales;
  const dayColumns = salesHeader.map((name, i) => ({ name, i })).filter(({ name }) => /^d_\d+$/.test(name));
  if (dayColumns.length === 0) throw new SupplyChainInputError('sales_wide.csv has no d_<n> columns');
  const [calendarHeader, ...calendarRows] = calendar;
  const cd = column(calendarHeader, 'd', 'calendar.csv');
  const cw = column(calendarHeader, 'wm_yr_wk', 'calendar.csv');
  const weekOfDay = new Map(calendarRows.map((row) => [row[cd], row[cw]]));
  const [priceHeader, ...priceRows] = prices;
  const ps = column(priceHeader, 'store_id', 'sell_prices.csv');
  const pi = column(priceHeader, 'item_id', 'sell_prices.csv');
  const pw = column(priceHeader, 'wm_yr_wk', 'sell_prices.csv');
  const pp = column(priceHeader, 'sell_price', 'sell_prices.csv');
  const priceOf = new Map<string, number>();
  for (const row of priceRows) priceOf.set(`${row[ps]}|${row[pi]}|${row[pw]}`, Number(row[pp]));
  const si = column(salesHeader, 'item_id', 'sales_wide.csv');
  const ss = column(salesHeader, 'store_id', 'sales_wide.csv');
  const sid = column(salesHeader, 'id', 'sales_wide.csv');
  const rows = options.limit ? salesRows.slice(0, options.limit) : salesRows;
  const series = rows.map((row) => {
    const days = dayColumns.length;
    const demand = new Float64Array(days);
    const price = new Float64Array(days).fill(Number.NaN);
    let firstDay = -1;
    dayColumns.forEach(({ name, i }, t) => {
      demand[t] = Number(row[i]);
      if (!Number.isFinite(demand[t]) || demand[t] < 0) throw new SupplyChainInputError(`sales_wide.csv ${row[sid]} ${name}: bad value '${row[i]}'`);
      const listed = priceOf.get(`${row[ss]}|${row[si]}|${weekOfDay.get(name)}`);
      if (listed !== undefined && Number.isFinite(listed)) price[t] = listed;
      if (firstDay < 0 && (demand[t] > 0 || listed !== undefined)) firstDay = t;
    });
    // Fill gaps: before the first price with the first price, later gaps with the last one.
    const first = price.find((p) => Number.isFinite(p));
    if (first === undefined) throw new SupplyChainInputError(`no sell price for ${row[sid]}`);
    let last = first;
    for (let t = 0; t < price.length; t += 1) {
      if (Number.isFinite(price[t])) last = price[t];
      else price[t] = last;
    }
    return { id: row[sid], itemId: row[si], storeId: row[ss], demand, price, firstDay: Math.max(firstDay, 0) };
  });
  return { series, days: dayColumns.length };
}
