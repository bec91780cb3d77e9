import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../repo';
import { loadCdnowPurchases } from './cd-purchases';
import { DATA_DIR_ENV, dataDir, DatasetError } from './data-dir';
import { loadM5Calendar, loadM5Sales } from './m5';
import { loadMovieLensInteractions, loadMovieLensUsers } from './movielens';

let scratch: string;
const savedEnv = process.env[DATA_DIR_ENV];

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'storeloop-datasets-'));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  if (savedEnv === undefined) delete process.env[DATA_DIR_ENV];
  else process.env[DATA_DIR_ENV] = savedEnv;
});

/** A fresh data directory under the scratch folder holding `files` (path -> content). */
function fixture(name: string, files: Record<string, string>): string {
  const dir = join(scratch, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('dataDir', () => {
  it('defaults to <repo root>/../shared/data when the variable is unset or empty', () => {
    const expected = resolve(repoRoot(), '..', 'shared', 'data');
    delete process.env[DATA_DIR_ENV];
    expect(dataDir()).toBe(expected);
    process.env[DATA_DIR_ENV] = '';
    expect(dataDir()).toBe(expected);
  });

  it('prefers the argument, then the variable', () => {
    const fromEnv = fixture('env-dir', {});
    const fromArg = fixture('arg-dir', {});
    process.env[DATA_DIR_ENV] = fromEnv;
    expect(dataDir()).toBe(fromEnv);
    expect(dataDir(fromArg)).toBe(fromArg);
  });

  it('names the variable, the path and where to get the data when the directory is missing', () => {
    const missing = join(scratch, 'no-such-dir');
    process.env[DATA_DIR_ENV] = missing;
    let error: unknown;
    try {
      dataDir();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).code).toBe('DATASET.DIR_MISSING');
    const message = (error as DatasetError).message;
    expect(message).toContain(`dataset directory ${missing} (from STORELOOP_DATA_DIR) does not exist`);
    expect(message).toContain('GroupLens');
    expect(message).toContain('Hardie');
    expect(message).toContain('Kaggle');
  });

  it('names the argument as the source when the override is missing, and rejects a plain file', () => {
    expect(() => dataDir(join(scratch, 'nope'))).toThrow(/from the dir argument\) does not exist/);
    const file = join(fixture('has-file', { 'plain.txt': 'x' }), 'plain.txt');
    expect(() => dataDir(file)).toThrow(/is not a directory/);
  });

  it('makes a loader reject with the missing file and its source', async () => {
    const empty = fixture('empty', {});
    await expect(loadMovieLensInteractions(empty)).rejects.toThrow(
      `dataset file ${join(empty, 'movielens-100k', 'ml-100k.inter')} is missing`,
    );
    await expect(loadCdnowPurchases(empty)).rejects.toThrow(/cdnow\/cdnow_master.txt there: obtain .*Fader & Hardie/);
    await expect(loadM5Sales(empty)).rejects.toMatchObject({ code: 'DATASET.FILE_MISSING' });
  });
});

describe('malformed files', () => {
  const inter = 'user_id:token\titem_id:token\trating:float\ttimestamp:float\n';

  it('reports a short row with file and line number', async () => {
    const dir = fixture('short-row', { 'movielens-100k/ml-100k.inter': `${inter}1\t2\t3\t4\n1\t2\t3\n` });
    const file = join(dir, 'movielens-100k', 'ml-100k.inter');
    await expect(loadMovieLensInteractions(dir)).rejects.toThrow(`${file}:3: expected 4 fields, got 3`);
  });

  it('rejects a non-numeric value, an empty id and a wrong header', async () => {
    const bad = fixture('bad-values', {
      'movielens-100k/ml-100k.inter': `${inter}1\t2\tfive\t4\n`,
      'movielens-100k/ml-100k.user': 'user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n\t24\tM\tx\t1\n',
    });
    await expect(loadMovieLensInteractions(bad)).rejects.toThrow(/ml-100k.inter:2: rating must be a number, got 'five'/);
    await expect(loadMovieLensUsers(bad)).rejects.toThrow(/ml-100k.user:2: user_id is empty/);
    const header = fixture('bad-header', { 'movielens-100k/ml-100k.inter': 'user\titem\n1\t2\n' });
    await expect(loadMovieLensInteractions(header)).rejects.toThrow(/ml-100k.inter:1: expected header user_id:token/);
  });

  it('rejects an empty file', async () => {
    const dir = fixture('empty-file', { 'movielens-100k/ml-100k.inter': '' });
    await expect(loadMovieLensInteractions(dir)).rejects.toThrow(/ml-100k.inter:1: file is empty/);
  });

  it('reads CDNOW with or without the header, CRLF endings, and rejects impossible dates', async () => {
    const withHeader = fixture('cdnow-header', {
      'cdnow/cdnow_master.txt': ' customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n',
    });
    const withoutHeader = fixture('cdnow-plain', { 'cdnow/cdnow_master.txt': ' 00007 19960229  2   0.00\n' });
    await expect(loadCdnowPurchases(withHeader)).resolves.toEqual([
      { customerId: '00001', date: '1997-01-01', quantity: 1, amount: 11.77 },
    ]);
    await expect(loadCdnowPurchases(withoutHeader)).resolves.toEqual([
      { customerId: '00007', date: '1996-02-29', quantity: 2, amount: 0 },
    ]);
    const badDate = fixture('cdnow-bad-date', { 'cdnow/cdnow_master.txt': ' 00001 19970101 1 1.00\n 00002 19970229 1 1.00\n' });
    await expect(loadCdnowPurchases(badDate)).rejects.toThrow(/cdnow_master.txt:2: date must be a YYYYMMDD calendar date, got '19970229'/);
  });

  it('rejects M5 sales with a gap in the day columns or a negative unit count', async () => {
    const gap = fixture('m5-gap', {
      'm5-tiny/sales_wide.csv': 'id,item_id,dept_id,cat_id,store_id,state_id,d_1,d_3\nA_1_001_CA_1,A_1_001,A_1,A,CA_1,CA,0,1\n',
    });
    await expect(loadM5Sales(gap)).rejects.toThrow(/sales_wide.csv:1: expected day column d_2 at position 8/);
    const negative = fixture('m5-negative', {
      'm5-tiny/sales_wide.csv': 'id,item_id,dept_id,cat_id,store_id,state_id,d_1,d_2\r\nA_1_001_CA_1,A_1_001,A_1,A,CA_1,CA,0,-1\r\n',
    });
    await expect(loadM5Sales(negative)).rejects.toThrow(/sales_wide.csv:2: d_2 must be a non-negative integer, got '-1'/);
  });

  it('reads quoted M5 calendar fields and rejects a half-filled event', async () => {
    const header =
      'd,date,wm_yr_wk,weekday,wday,month,year,event_name_1,event_type_1,event_name_2,event_type_2,snap_CA,snap_TX,snap_WI\n';
    const quoted = fixture('m5-quoted', {
      'm5-tiny/calendar.csv': `${header}d_1,2011-01-29,11101,Saturday,1,1,2011,"Fete, big",Cultural,,,1,0,1\n`,
    });
    const [day] = await loadM5Calendar(quoted);
    expect(day.events).toEqual([{ name: 'Fete, big', type: 'Cultural' }]);
    expect(day.snap).toEqual({ CA: true, TX: false, WI: true });
    const halfEvent = fixture('m5-half-event', {
      'm5-tiny/calendar.csv': `${header}d_1,2011-01-29,11101,Saturday,1,1,2011,Fete,,,,0,0,0\n`,
    });
    await expect(loadM5Calendar(halfEvent)).rejects.toThrow(/calendar.csv:2: event_name_1 and event_type_1 must both be set/);
  });
});
