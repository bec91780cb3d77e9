/**
 * One line of RFC 4180 CSV: comma-separated fields, a field wrapped in double
 * quotes may hold commas, and "" inside quotes is one quote. The M5 files have
 * no quotes at all, so lines without a quote take a plain split. A quoted field
 * spanning lines is not supported (the loaders read line by line); it shows up
 * as an unterminated quote and is rejected.
 */
export function parseCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const close = line.indexOf('"', i);
        if (close === -1) throw new Error(`unterminated quoted field starting at column ${i}`);
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ',') throw new Error(`unexpected '${line[i]}' after a quoted field at column ${i + 1}`);
      i += 1;
    } else {
      const comma = line.indexOf(',', i);
      const value = comma === -1 ? line.slice(i) : line.slice(i, comma);
      if (value.includes('"')) throw new Error(`stray quote in unquoted field at column ${i + 1}`);
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
