import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExampleWindow, type WindowedExample } from './example-window';
import { ingest } from './ingest';
import { WindowJournal } from './window-journal';

const example = (id: string, eventTimeMs = 1): WindowedExample => ({ id, tenant: 'default', userId: 'u', sku: 's', eventTimeMs, label: 1, user: {}, item: {}, arrivedAtMs: 2 });

describe('ingest', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ingest-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const newWindow = () => new ExampleWindow({ windowMs: 1e9, maxExamples: 100, positiveThreshold: 0.5 });

  it('journals a batch whose first append failed when the consumer retries it', async () => {
    const path = join(dir, 'j.ndjson');
    const journal = new WindowJournal(path);
    await journal.load();
    const window = newWindow();
    const append = jest.spyOn(journal, 'append').mockRejectedValueOnce(new Error('ENOSPC: no space left on device'));
    const batch = [example('a'), example('b'), example('a')];

    await expect(ingest(window, journal, batch)).rejects.toThrow('ENOSPC');
    expect(window.size).toBe(0);
    expect((await ingest(window, journal, batch)).map((e) => e.id)).toEqual(['a', 'b']);
    expect(append).toHaveBeenCalledTimes(2);

    // A restart restores both.
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(['a', 'b']);
    expect(window.size).toBe(2);
  });

  it('journals only what the window does not hold yet', async () => {
    const path = join(dir, 'j.ndjson');
    const journal = new WindowJournal(path);
    const window = newWindow();
    await ingest(window, journal, [example('a')]);
    expect((await ingest(window, journal, [example('a'), example('c')])).map((e) => e.id)).toEqual(['c']);
    expect((await new WindowJournal(path).load()).map((e) => e.id)).toEqual(['a', 'c']);
  });
});
