import { mkdir, open, readFile, readdir, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { StoreloopError, type Logger } from '@storeloop/observability';

/** A Kafka record as it will be produced: the key, the JSON value and the headers. */
export interface SpooledRecord {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** One segment file read back, oldest first; `records` are those still to be acknowledged. */
export interface SpoolSegment {
  readonly name: string;
  readonly records: readonly SpooledRecord[];
}

export interface SpoolOptions {
  dir: string;
  /** Upper bound on the spool's bytes on disk; records beyond it are refused (the caller counts them). */
  maxBytes: number;
  /** A segment is closed once it holds this many bytes; default: maxBytes / 8, between 64 KiB and 16 MiB. */
  segmentBytes?: number;
  logger: Logger;
}

export interface SpoolAppendResult {
  /** How many records, from the front of the list, are on disk and fsynced. */
  written: number;
  /** The rest, refused because the spool is full. */
  dropped: number;
}

export const SPOOL_WRITE_FAILED = 'INFERENCE.SPOOL_WRITE_FAILED';
export const SPOOL_CLOSED = 'INFERENCE.SPOOL_CLOSED';

/**
 * Frame: u32 payload length, u32 CRC-32 of the payload, payload (JSON of the
 * record). The checksum tells a record torn by a crash (or zeros the file
 * system left after it) from a whole one.
 */
const FRAME_HEADER_BYTES = 8;
const SEGMENT_PATTERN = /^segment-(\d{12})\.spool$/;
const MIN_SEGMENT_BYTES = 64 * 1024;
const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;

interface SegmentMeta {
  seq: number;
  name: string;
  path: string;
  /** Bytes on disk. */
  bytes: number;
  /** Records not yet acknowledged. */
  pending: number;
}

interface ActiveSegment {
  meta: SegmentMeta;
  handle: FileHandle;
}

function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(12, '0')}.spool`;
}

export function encodeFrame(record: SpooledRecord): Buffer {
  const payload = Buffer.from(JSON.stringify({ k: record.key, v: record.value, h: record.headers }), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(crc32(payload), 4);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

function decodePayload(payload: Buffer): SpooledRecord | undefined {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { k?: unknown; v?: unknown; h?: unknown };
    if ((typeof parsed.k !== 'string' && parsed.k !== null) || typeof parsed.v !== 'string' || typeof parsed.h !== 'object' || !parsed.h) {
      return undefined;
    }
    return { key: parsed.k, value: parsed.v, headers: parsed.h as Record<string, string> };
  } catch {
    return undefined;
  }
}

/**
 * Whole records from the start of a segment, up to the first frame that is
 * short, zero-length or fails its checksum: after a crash only the tail can
 * be torn, and without a valid length nothing after it can be framed anyway.
 */
export function decodeSegment(bytes: Buffer): { records: SpooledRecord[]; validBytes: number } {
  const records: SpooledRecord[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const end = offset + FRAME_HEADER_BYTES + length;
    if (length === 0 || end > bytes.length) break;
    const payload = bytes.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== bytes.readUInt32BE(offset + 4)) break;
    const record = decodePayload(payload);
    if (!record) break;
    records.push(record);
    offset = end;
  }
  return { records, validBytes: offset };
}

/**
 * Append-only, size-bounded spool of Kafka records on local disk, for the
 * time Kafka cannot be reached. Records go into numbered segment files, each
 * append batch fsynced before it counts as written; a segment is deleted only
 * once every record in it has been acknowledged, so a crash can resend some
 * records (at-least-once) but loses none that were written. One process owns
 * a spool directory at a time.
 */
export class FeedbackSpool {
  private readonly segments: SegmentMeta[] = [];
  private active?: ActiveSegment;
  private nextSeq = 1;
  private totalBytes = 0;
  private totalRecords = 0;
  private closed = false;
  /** Appends, reads and deletions run one at a time, in call order. */
  private lock: Promise<unknown> = Promise.resolve();
  private readonly segmentBytes: number;

  private constructor(private readonly options: SpoolOptions) {
    this.segmentBytes =
      options.segmentBytes ?? Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.floor(options.maxBytes / 8)));
  }

  /**
   * Opens (creating) the directory and indexes the segments a previous run
   * left. A torn tail is cut off the file, with a warning saying how many
   * bytes were skipped. New appends always start a new segment.
   */
  static async open(options: SpoolOptions): Promise<FeedbackSpool> {
    const spool = new FeedbackSpool(options);
    await mkdir(options.dir, { recursive: true });
    const names = (await readdir(options.dir)).filter((name) => SEGMENT_PATTERN.test(name)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_PATTERN.exec(name)?.[1]);
      const path = join(options.dir, name);
      const bytes = await readFile(path);
      const { records, validBytes } = decodeSegment(bytes);
      if (validBytes < bytes.length) {
        options.logger.warn(
          { segment: name, skippedBytes: bytes.length - validBytes, keptRecords: records.length },
          'spool segment has a torn or corrupt tail (likely a crash during a write); skipping it',
        );
        await truncate(path, validBytes);
      }
      spool.nextSeq = Math.max(spool.nextSeq, seq + 1);
      if (records.length === 0) {
        await rm(path, { force: true });
        continue;
      }
      spool.segments.push({ seq, name, path, bytes: validBytes, pending: records.length });
      spool.totalBytes += validBytes;
      spool.totalRecords += records.length;
    }
    return spool;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Records written and not yet acknowledged. */
  get records(): number {
    return this.totalRecords;
  }

  get isEmpty(): boolean {
    return this.totalRecords === 0;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * Writes records, in order, while they fit under the size limit, and
   * fsyncs them; the first that does not fit and all after it are refused,
   * so what is spooled stays in order. Rejects with SPOOL_WRITE_FAILED when
   * the disk fails (nothing of the batch counts as written then).
   */
  append(records: readonly SpooledRecord[]): Promise<SpoolAppendResult> {
    return this.serialised(async () => {
      if (this.closed) throw new StoreloopError(SPOOL_CLOSED, 'the spool is closed');
      const frames: Buffer[] = [];
      let size = 0;
      for (const record of records) {
        const frame = encodeFrame(record);
        if (this.totalBytes + size + frame.length > this.options.maxBytes) break;
        frames.push(frame);
        size += frame.length;
      }
      if (frames.length === 0) return { written: 0, dropped: records.length };
      const active = await this.activeSegment();
      const before = active.meta.bytes;
      try {
        await active.handle.write(Buffer.concat(frames, size), 0, size, before);
        await active.handle.datasync();
      } catch (error) {
        await this.abandonActive(before);
        throw new StoreloopError(SPOOL_WRITE_FAILED, `could not write ${frames.length} record(s) to the spool in ${this.options.dir}`, {
          retriable: true,
          cause: error,
        });
      }
      active.meta.bytes += size;
      active.meta.pending += frames.length;
      this.totalBytes += size;
      this.totalRecords += frames.length;
      if (active.meta.bytes >= this.segmentBytes) await this.sealActive();
      return { written: frames.length, dropped: records.length - frames.length };
    });
  }

  /**
   * The oldest segment with its unacknowledged records, or undefined when the
   * spool is empty. A segment still being appended to is closed first, so
   * later appends go to a newer segment and order is kept.
   */
  oldest(): Promise<SpoolSegment | undefined> {
    return this.serialised(async () => {
      if (this.closed) return undefined;
      const head = this.segments[0];
      if (!head) return undefined;
      if (this.active?.meta === head) await this.sealActive();
      const { records } = decodeSegment(await readFile(head.path));
      // Records acknowledged earlier in this run are not handed out again.
      const skip = records.length - head.pending;
      return { name: head.name, records: records.slice(Math.max(0, skip)) };
    });
  }

  /**
   * Marks the next `count` records of a segment as acknowledged by Kafka;
   * deletes the file once all are. After close it does nothing: the next run
   * resends them, which consumers tolerate (they deduplicate by event id).
   */
  acknowledge(segment: SpoolSegment, count: number): Promise<void> {
    return this.serialised(async () => {
      if (this.closed) return;
      const meta = this.segments.find((s) => s.name === segment.name);
      if (!meta) return;
      const acked = Math.min(count, meta.pending);
      meta.pending -= acked;
      this.totalRecords -= acked;
      if (meta.pending > 0) return;
      await rm(meta.path, { force: true });
      this.segments.splice(this.segments.indexOf(meta), 1);
      this.totalBytes -= meta.bytes;
    });
  }

  /** Closes the open segment file; the spool refuses further appends. Waits for work in progress. */
  close(): Promise<void> {
    return this.serialised(async () => {
      if (this.closed) return;
      await this.sealActive();
      this.closed = true;
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async activeSegment(): Promise<ActiveSegment> {
    if (this.active) return this.active;
    const seq = this.nextSeq++;
    const name = segmentName(seq);
    const path = join(this.options.dir, name);
    const handle = await open(path, 'wx');
    const meta: SegmentMeta = { seq, name, path, bytes: 0, pending: 0 };
    this.segments.push(meta);
    this.active = { meta, handle };
    await this.syncDirectory();
    return this.active;
  }

  private async sealActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    await active.handle.close();
    if (active.meta.pending === 0) {
      await rm(active.meta.path, { force: true });
      this.segments.splice(this.segments.indexOf(active.meta), 1);
    }
  }

  /**
   * After a failed write the segment may end in a partial frame; cut it back
   * and close it, so no later record is written after garbage.
   */
  private async abandonActive(validBytes: number): Promise<void> {
    const active = this.active;
    if (!active) return;
    try {
      await active.handle.truncate(validBytes);
    } catch (error) {
      this.options.logger.error({ err: error, segment: active.meta.name }, 'could not cut a failed spool write; the next start skips its tail');
    }
    try {
      await this.sealActive();
    } catch (error) {
      this.options.logger.error({ err: error, segment: active.meta.name }, 'could not close a spool segment after a failed write');
    }
  }

  /** A new segment's directory entry must be durable too, or a crash can lose the whole file. */
  private async syncDirectory(): Promise<void> {
    let dir: FileHandle | undefined;
    try {
      dir = await open(this.options.dir, 'r');
      await dir.sync();
    } catch (error) {
      this.options.logger.debug({ err: error, dir: this.options.dir }, 'could not fsync the spool directory');
    } finally {
      await dir?.close();
    }
  }

  /** Total bytes of the segment files on disk, for checks. */
  static async diskBytes(dir: string): Promise<number> {
    let total = 0;
    for (const name of await readdir(dir)) {
      if (SEGMENT_PATTERN.test(name)) total += (await stat(join(dir, name))).size;
    }
    return total;
  }
}
