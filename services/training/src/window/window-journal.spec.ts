import { appendFile, mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WindowedExample } from './example-window';
import { WindowJournal } from './window-journal';

const example = (id: string): WindowedExample => ({ id, tenant: 'default', userId: 'u', sku: 's', eventTimeMs: 1, label: 1, user: { a: 1 }, item: {}, arrivedAtMs: 2 });

describe('WindowJournal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'journal-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives back what was appended, across instances (a restart), skipping a torn last line', async () => {
    const path = join(dir, 'state', 'ranker.window.ndjson');
    const journal = new WindowJournal(path);
    expect(await journal.load()).toEqual([]);
    await journal.append([example('a'), example('b')]);
    await journal.append([example('c')]);
    await appendFile(path, '{"id":"torn","ten');
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('cuts a torn last line off, so the first append after a restart survives the next load', async () => {
    const path = join(dir, 'j.ndjson');
    await new WindowJournal(path).append([example('a')]);
    await appendFile(path, '{"id":"torn","ten');
    const restarted = new WindowJournal(path);
    expect((await restarted.load()).map((e) => e.id)).toEqual(['a']);
    expect(await readFile(path, 'utf8')).toBe(`${JSON.stringify(example('a'))}\n`);
    await restarted.append([example('b')]);
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('cuts a failed append back off, so the retry does not glue onto a half-written batch', async () => {
    const path = join(dir, 'j.ndjson');
    const journal = new WindowJournal(path);
    await journal.append([example('a')]);
    const probe = await open(path, 'r');
    const sync = jest.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'sync').mockRejectedValueOnce(new Error('EIO: i/o error, fsync'));
    await probe.close();
    try {
      await expect(journal.append([example('b')])).rejects.toThrow('EIO');
    } finally {
      sync.mockRestore();
    }
    expect(await readFile(path, 'utf8')).toBe(`${JSON.stringify(example('a'))}\n`);
    await journal.append([example('b')]);
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('streams a journal larger than one read chunk, lines split across chunks and multi-byte text intact', async () => {
    const path = join(dir, 'j.ndjson');
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...example(`e${i}`), sku: `sku-ä€𝄞-${i}` }));
    await new WindowJournal(path).append(many);
    expect((await readFile(path)).byteLength).toBeGreaterThan(3 * 64 * 1024);
    expect(await new WindowJournal(path).load()).toEqual(many);
  });

  it('rewrites itself as the window once it holds more than twice the window', async () => {
    const path = join(dir, 'j.ndjson');
    const journal = new WindowJournal(path);
    await journal.load();
    const many = Array.from({ length: 2501 }, (_, i) => example(`e${i}`));
    await journal.append(many);
    expect(await journal.compactIfNeeded(many.length, () => many)).toBe(false);
    expect(await journal.compactIfNeeded(10, () => many.slice(0, 10))).toBe(true);
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(10);
    expect(await journal.compactIfNeeded(10, () => many.slice(0, 10))).toBe(false);
    // A rewrite larger than one write slice keeps every line, in order.
    await journal.append(many);
    expect(await journal.compactIfNeeded(1200, () => many.slice(0, 1200))).toBe(true);
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(many.slice(0, 1200).map((e) => e.id));
  });
});
