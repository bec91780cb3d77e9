/**
 * The M5 forecasting data in the competition's own CSV layout (here the
 * 280-series `m5-tiny` subset; the full Kaggle files load the same way).
 */
import { parseCsvLine } from './csv';
import { dataFile } from './data-dir';
import {
  forEachDataLine,
  isoDate,
  malformed,
  parseDecimal,
  parseInteger,
  requireFieldCount,
  requireToken,
} from './lines';

/** Daily unit sales of one item in one store. */
export interface M5Series {
  /** e.g. 'FOODS_1_033_CA_1' (Kaggle's files add '_validation' / '_evaluation'). */
  id: string;
  itemId: string;
  deptId: string;
  catId: string;
  storeId: string;
  stateId: string;
  /** units[j] = units sold on day d_(j+1); every series has the same length N. */
  units: Int32Array;
}

export interface M5Event {
  name: string;
  type: string;
}

export interface M5CalendarDay {
  /** 'd_1', 'd_2', ...: the key into the sales columns. */
  d: string;
  /** 'YYYY-MM-DD'. */
  date: string;
  /** Walmart week, e.g. 11101; the key into the prices. */
  wmYrWk: number;
  weekday: string;
  /** 1 = Saturday ... 7 = Friday, as in the file. */
  wday: number;
  month: number;
  year: number;
  /** Zero, one or two events on that day. */
  events: M5Event[];
  /** Whether SNAP purchases were allowed that day, per state. */
  snap: { CA: boolean; TX: boolean; WI: boolean };
}

export interface M5Price {
  storeId: string;
  itemId: string;
  wmYrWk: number;
  price: number;
}

function csvSplitter(file: string): (line: string, lineNumber: number) => string[] {
  return (line, lineNumber) => {
    try {
      return parseCsvLine(line);
    } catch (error) {
      throw malformed(file, lineNumber, (error as Error).message);
    }
  };
}

/** Non-empty and only ASCII digits; a char loop, as it runs on half a million cells. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

const SALES_KEYS = ['id', 'item_id', 'dept_id', 'cat_id', 'store_id', 'state_id'];

/** Checks `id,item_id,...,state_id,d_1,...,d_N` and returns a problem, if any. */
function salesHeaderProblem(header: readonly string[]): string | undefined {
  if (header.slice(0, SALES_KEYS.length).join('|') !== SALES_KEYS.join('|')) {
    return `expected header to start with ${SALES_KEYS.join(', ')}`;
  }
  if (header.length === SALES_KEYS.length) return 'expected day columns d_1..d_N';
  for (let j = SALES_KEYS.length; j < header.length; j += 1) {
    const expected = `d_${j - SALES_KEYS.length + 1}`;
    if (header[j] !== expected) return `expected day column ${expected} at position ${j + 1}`;
  }
  return undefined;
}

/** Every series of `m5-tiny/sales_wide.csv`, with all N day columns. */
export async function loadM5Sales(dir?: string): Promise<M5Series[]> {
  const file = dataFile('m5-tiny', 'sales_wide.csv', dir);
  const series: M5Series[] = [];
  let columns = 0;
  await forEachDataLine(
    file,
    csvSplitter(file),
    (header) => {
      columns = header.length;
      return salesHeaderProblem(header);
    },
    (fields, lineNumber) => {
      requireFieldCount(fields, columns, file, lineNumber);
      const units = new Int32Array(columns - SALES_KEYS.length);
      for (let j = 0; j < units.length; j += 1) {
        const text = fields[SALES_KEYS.length + j];
        if (!isDigits(text) || text.length > 9) {
          throw malformed(file, lineNumber, `d_${j + 1} must be a non-negative integer, got '${text}'`);
        }
        units[j] = Number(text);
      }
      series.push({
        id: requireToken(fields[0], 'id', file, lineNumber),
        itemId: requireToken(fields[1], 'item_id', file, lineNumber),
        deptId: requireToken(fields[2], 'dept_id', file, lineNumber),
        catId: requireToken(fields[3], 'cat_id', file, lineNumber),
        storeId: requireToken(fields[4], 'store_id', file, lineNumber),
        stateId: requireToken(fields[5], 'state_id', file, lineNumber),
        units,
      });
    },
  );
  return series;
}

const CALENDAR_HEADER = [
  'd',
  'date',
  'wm_yr_wk',
  'weekday',
  'wday',
  'month',
  'year',
  'event_name_1',
  'event_type_1',
  'event_name_2',
  'event_type_2',
  'snap_CA',
  'snap_TX',
  'snap_WI',
];

/** Every day of `m5-tiny/calendar.csv`, in file order. */
export async function loadM5Calendar(dir?: string): Promise<M5CalendarDay[]> {
  const file = dataFile('m5-tiny', 'calendar.csv', dir);
  const days: M5CalendarDay[] = [];
  await forEachDataLine(file, csvSplitter(file), CALENDAR_HEADER, (fields, lineNumber) => {
    requireFieldCount(fields, CALENDAR_HEADER.length, file, lineNumber);
    const [d, dateText, week, weekday, wday, month, year, name1, type1, name2, type2, snapCa, snapTx, snapWi] = fields;
    const ymd = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateText);
    const date = ymd ? isoDate(ymd[1], ymd[2], ymd[3]) : undefined;
    if (date === undefined) throw malformed(file, lineNumber, `date must be a YYYY-MM-DD calendar date, got '${dateText}'`);
    const event = (name: string, type: string, slot: number): M5Event[] => {
      if (name === '' && type === '') return [];
      if (name === '' || type === '') {
        throw malformed(file, lineNumber, `event_name_${slot} and event_type_${slot} must both be set or both empty`);
      }
      return [{ name, type }];
    };
    const flag = (text: string, column: string): boolean => {
      if (text !== '0' && text !== '1') throw malformed(file, lineNumber, `${column} must be 0 or 1, got '${text}'`);
      return text === '1';
    };
    days.push({
      d: requireToken(d, 'd', file, lineNumber),
      date,
      wmYrWk: parseInteger(week, 'wm_yr_wk', file, lineNumber),
      weekday: requireToken(weekday, 'weekday', file, lineNumber),
      wday: parseInteger(wday, 'wday', file, lineNumber),
      month: parseInteger(month, 'month', file, lineNumber),
      year: parseInteger(year, 'year', file, lineNumber),
      events: [...event(name1, type1, 1), ...event(name2, type2, 2)],
      snap: { CA: flag(snapCa, 'snap_CA'), TX: flag(snapTx, 'snap_TX'), WI: flag(snapWi, 'snap_WI') },
    });
  });
  return days;
}

/** Every weekly price of `m5-tiny/sell_prices.csv`; weeks before an item was on sale are absent. */
export async function loadM5Prices(dir?: string): Promise<M5Price[]> {
  const file = dataFile('m5-tiny', 'sell_prices.csv', dir);
  const prices: M5Price[] = [];
  await forEachDataLine(
    file,
    csvSplitter(file),
    ['store_id', 'item_id', 'wm_yr_wk', 'sell_price'],
    (fields, lineNumber) => {
      requireFieldCount(fields, 4, file, lineNumber);
      prices.push({
        storeId: requireToken(fields[0], 'store_id', file, lineNumber),
        itemId: requireToken(fields[1], 'item_id', file, lineNumber),
        wmYrWk: parseInteger(fields[2], 'wm_yr_wk', file, lineNumber),
        price: parseDecimal(fields[3], 'sell_price', file, lineNumber),
      });
    },
  );
  return prices;
}
