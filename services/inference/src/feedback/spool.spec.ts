import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@storeloop/observability';
import { FeedbackSpool, SPOOL_CLOSED, decodeSegment, encodeFrame, type SpooledRecord } from './spool';

const logger = createLogger('spool-test', 'silent');

function record(i: number, user = `user-${i % 3}`): SpooledRecord {
  return { key: user, value: JSON.stringify({ id: `evt-${i}`, user }), headers: { 'content-type': 'application/json' } };
}

function range(from: number, to: number): SpooledRecord[] {
  return Array.from({ length: to - from }, (_, i) => record(from + i));
}

async function drainAll(spool: FeedbackSpool): Promise<SpooledRecord[]> {
  const out: SpooledRecord[] = [];
  for (let segment = await spool.oldest(); segment; segment = await spool.oldest()) {
    out.push(...segment.records);
    await spool.acknowledge(segment, segment.records.length);
  }
  return out;
}

describe('FeedbackSpool', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'storeloop-spool-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('frames survive a round trip and a bad checksum ends the readable part', () => {
    const frames = [encodeFrame(record(1)), encodeFrame(record(2))];
    const bytes = Buffer.concat(frames);
    expect(decodeSegment(bytes)).toEqual({ records: [record(1), record(2)], validBytes: bytes.length });

    const flipped = Buffer.from(bytes);
    flipped[frames[0].length + 12] ^= 0xff;
    expect(decodeSegment(flipped)).toEqual({ records: [record(1)], validBytes: frames[0].length });
  });

  it('hands records back oldest first across segments and deletes a segment only when all of it is acknowledged', async () => {
    const spool = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, segmentBytes: 400, logger });
    for (let i = 0; i < 20; i += 4) await spool.append(range(i, i + 4));
    expect(spool.records).toBe(20);
    expect(spool.segmentCount).toBeGreaterThan(1);

    const head = await spool.oldest();
    expect(head?.records[0]).toEqual(record(0));
    const files = await readdir(dir);
    await spool.acknowledge(head!, 1);
    expect(await readdir(dir)).toEqual(files);
    expect(spool.records).toBe(19);

    // A partly acknowledged segment is not handed out again from its start.
    const again = await spool.oldest();
    expect(again?.records[0]).toEqual(record(1));
    await spool.acknowledge(again!, again!.records.length);
    expect(await readdir(dir)).toHaveLength(files.length - 1);

    expect(await drainAll(spool)).toEqual(range(again!.records.length + 1, 20));
    expect(spool.isEmpty).toBe(true);
    expect(spool.bytes).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    await spool.close();
  });

  it('keeps appends made while the head segment is read in a later segment, in order', async () => {
    const spool = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    await spool.append(range(0, 3));
    const head = await spool.oldest();
    await spool.append(range(3, 5));
    expect(head?.records).toEqual(range(0, 3));
    await spool.acknowledge(head!, 3);
    expect(await drainAll(spool)).toEqual(range(3, 5));
    await spool.close();
  });

  it('refuses records beyond the byte limit, keeping the ones before them', async () => {
    const frame = encodeFrame(record(0)).length;
    const spool = await FeedbackSpool.open({ dir, maxBytes: frame * 3 + 5, logger });
    expect(await spool.append(range(0, 2))).toEqual({ written: 2, dropped: 0 });
    expect(await spool.append(range(2, 5))).toEqual({ written: 1, dropped: 2 });
    expect(spool.bytes).toBe(frame * 3);
    expect(await FeedbackSpool.diskBytes(dir)).toBe(frame * 3);
    await spool.close();
  });

  it('reopens what a previous run left, skips a torn tail with a warning, and appends to a new segment', async () => {
    const first = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    await first.append(range(0, 3));
    await first.close();
    const [segment] = await readdir(dir);
    const whole = (await stat(join(dir, segment))).size;
    // A crash in the middle of a write: a header announcing more bytes than follow.
    const torn = encodeFrame(record(3)).subarray(0, 20);
    await appendFile(join(dir, segment), torn);

    const warn = jest.spyOn(logger, 'warn');
    const reopened = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ segment, skippedBytes: torn.length, keptRecords: 3 }), expect.stringContaining('torn'));
    expect(reopened.records).toBe(3);
    expect((await stat(join(dir, segment))).size).toBe(whole);

    await reopened.append(range(4, 6));
    expect(await readdir(dir)).toHaveLength(2);
    expect(await drainAll(reopened)).toEqual([...range(0, 3), ...range(4, 6)]);
    await reopened.close();
  });

  it('drops a segment with nothing readable in it at open', async () => {
    await appendFile(join(dir, 'segment-000000000007.spool'), Buffer.alloc(64));
    const spool = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    expect(spool.isEmpty).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    await spool.append(range(0, 1));
    // Numbering continues after the old file, so order by name stays append order.
    expect(await readdir(dir)).toEqual(['segment-000000000008.spool']);
    await spool.close();
  });

  it('refuses appends after close', async () => {
    const spool = await FeedbackSpool.open({ dir, maxBytes: 1024 * 1024, logger });
    await spool.close();
    await expect(spool.append(range(0, 1))).rejects.toMatchObject({ code: SPOOL_CLOSED });
  });
});
