/**
 * The CDNOW master file: one purchase per line, whitespace-separated columns
 * `customer_id date(YYYYMMDD) number_of_cds dollar_value`, CRLF endings.
 */
import { dataFile } from './data-dir';
import { forEachLine, isoDate, malformed, parseDecimal, parseInteger } from './lines';

export interface CdnowPurchase {
  /** As written in the file, zero-padded: '00001'. */
  customerId: string;
  /** 'YYYY-MM-DD'. */
  date: string;
  /** Number of CDs bought. */
  quantity: number;
  /** Dollar value of the purchase; 0 on a few rows. */
  amount: number;
}

const HEADER = ['customer_id', 'date', 'number_of_cds', 'dollar_value'];

/**
 * All purchases of `cdnow/cdnow_master.txt`, in file order. The header line
 * of the lifetimes copy is optional, so Fader & Hardie's original file (no
 * header) loads too. Rows are kept as they are: the file repeats some
 * identical lines (same customer, day, quantity and amount).
 */
export async function loadCdnowPurchases(dir?: string): Promise<CdnowPurchase[]> {
  const file = dataFile('cdnow', 'cdnow_master.txt', dir);
  const purchases: CdnowPurchase[] = [];
  await forEachLine(file, (line, lineNumber) => {
    const fields = line.trim().split(/\s+/);
    if (lineNumber === 1 && fields.join('|') === HEADER.join('|')) return;
    if (fields.length !== 4) {
      throw malformed(file, lineNumber, `expected 4 whitespace-separated fields, got ${line.trim() ? fields.length : 0}`);
    }
    const [customerId, yyyymmdd, quantity, amount] = fields;
    if (!/^\d+$/.test(customerId)) throw malformed(file, lineNumber, `customer_id must be digits, got '${customerId}'`);
    const date =
      yyyymmdd.length === 8 ? isoDate(yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6, 8)) : undefined;
    if (date === undefined) throw malformed(file, lineNumber, `date must be a YYYYMMDD calendar date, got '${yyyymmdd}'`);
    purchases.push({
      customerId,
      date,
      quantity: parseInteger(quantity, 'number_of_cds', file, lineNumber),
      amount: parseDecimal(amount, 'dollar_value', file, lineNumber),
    });
  });
  return purchases;
}
