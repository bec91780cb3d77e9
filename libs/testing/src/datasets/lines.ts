/**
 * Streaming line reading and strict field parsing shared by the loaders.
 * Every parse failure names the file and the 1-based line number.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DatasetError } from './data-dir';

/** A bad value on `lineNumber` of `file`. */
export function malformed(file: string, lineNumber: number, message: string): DatasetError {
  return new DatasetError('DATASET.MALFORMED_ROW', `${file}:${lineNumber}: ${message}`);
}

/**
 * Calls `onLine` for every line of `file` (LF or CRLF endings, without the
 * terminator), reading it as a stream. A throw from `onLine` stops the read
 * and rejects. Uses readline's 'line' events: its async iterator costs about
 * twice as much per line, which shows on the 100k-line files.
 */
export function forEachLine(file: string, onLine: (line: string, lineNumber: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNumber = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      lines.close();
      input.destroy();
      reject(error);
    };
    lines.on('line', (line: string) => {
      if (failed) return;
      lineNumber += 1;
      try {
        onLine(line, lineNumber);
      } catch (error) {
        fail(error);
      }
    });
    lines.on('close', () => {
      if (!failed) resolve();
    });
    input.on('error', fail);
  });
}

/** Reads the header on line 1 with `split` and checks it equals `expected`; throws if the file is empty. */
export async function forEachDataLine(
  file: string,
  split: (line: string, lineNumber: number) => string[],
  expectedHeader: readonly string[] | ((header: readonly string[]) => string | undefined),
  onRow: (fields: string[], lineNumber: number) => void,
): Promise<void> {
  let sawHeader = false;
  await forEachLine(file, (line, lineNumber) => {
    const fields = split(line, lineNumber);
    if (!sawHeader) {
      sawHeader = true;
      const problem =
        typeof expectedHeader === 'function'
          ? expectedHeader(fields)
          : fields.join('|') === expectedHeader.join('|')
            ? undefined
            : `expected header ${expectedHeader.join(', ')}`;
      if (problem) throw malformed(file, lineNumber, `${problem}, got ${fields.join(', ')}`);
      return;
    }
    onRow(fields, lineNumber);
  });
  if (!sawHeader) throw malformed(file, 1, 'file is empty, expected a header line');
}

/** Checks the field count of a row. */
export function requireFieldCount(fields: readonly string[], count: number, file: string, lineNumber: number): void {
  if (fields.length !== count) {
    throw malformed(file, lineNumber, `expected ${count} fields, got ${fields.length}`);
  }
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

/** A base-10 integer (no sign tricks, no blanks: Number('') would be 0). */
export function parseInteger(text: string, column: string, file: string, lineNumber: number): number {
  const value = Number(text);
  if (!INTEGER.test(text) || !Number.isSafeInteger(value)) {
    throw malformed(file, lineNumber, `${column} must be an integer, got '${text}'`);
  }
  return value;
}

/** A plain decimal number such as 3, 11.77 or .5. */
export function parseDecimal(text: string, column: string, file: string, lineNumber: number): number {
  if (!DECIMAL.test(text)) throw malformed(file, lineNumber, `${column} must be a number, got '${text}'`);
  return Number(text);
}

/** A non-empty field. */
export function requireToken(text: string, column: string, file: string, lineNumber: number): string {
  if (text.length === 0) throw malformed(file, lineNumber, `${column} is empty`);
  return text;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * 'YYYY-MM-DD' from zero-padded year, month and day digits ('1997', '01',
 * '31'), or undefined when they do not name a calendar date. Arithmetic rather
 * than a Date per row: CDNOW alone has 70k rows.
 */
export function isoDate(year: string, month: string, day: string): string | undefined {
  if (!/^\d{4}$/.test(year) || !/^\d{2}$/.test(month) || !/^\d{2}$/.test(day)) return undefined;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1];
  return d <= days ? `${year}-${month}-${day}` : undefined;
}
