import { createReadStream } from 'node:fs';
import { open, mkdir, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WindowedExample } from './example-window';

/** Lines per write: a whole window as one string could exceed V8's string limit. */
const WRITE_SLICE = 1000;

async function writeLines(handle: FileHandle, examples: readonly WindowedExample[]): Promise<void> {
  for (let i = 0; i < examples.length; i += WRITE_SLICE) {
    await handle.writeFile(
      examples
        .slice(i, i + WRITE_SLICE)
        .map((example) => `${JSON.stringify(example)}\n`)
        .join(''),
    );
  }
}

/**
 * The window on disk, so a restart loses nothing: examples are appended
 * (and fsynced) before the consumer commits their offsets, so every example
 * is either in the journal or will be delivered again (and deduplicated by
 * id). The file is rewritten from the window once it holds more than twice
 * the window's examples, which bounds it.
 *
 * Why a journal and not a re-read of the topic by timestamp on every run:
 * retraining then costs no Kafka reads, does not depend on the topic's
 * retention outliving the window, and the window does not change under a
 * run. The price is a small volume per instance (TRAINING_STATE_DIR).
 */
export class WindowJournal {
  private lines = 0;

  constructor(readonly path: string) {}

  /**
   * Every example the journal holds. Streamed line by line (the file can
   * outgrow one V8 string at large windows). A torn last line (a crash
   * mid-append; its offsets were never committed, so Kafka delivers it again)
   * is cut off the file, so the next append starts on a line of its own.
   */
  async load(): Promise<WindowedExample[]> {
    await mkdir(dirname(this.path), { recursive: true });
    const examples: WindowedExample[] = [];
    /** Bytes up to and including the last newline: the intact part of the file. */
    let intact = 0;
    let consumed = 0;
    let partial: Buffer[] = [];
    const parse = (line: Buffer) => {
      if (line.length === 0) return;
      try {
        examples.push(JSON.parse(line.toString('utf8')) as WindowedExample);
      } catch {
        // An unreadable complete line is skipped rather than block the start.
      }
    };
    try {
      for await (const chunk of createReadStream(this.path) as AsyncIterable<Buffer>) {
        let start = 0;
        for (let end = chunk.indexOf(0x0a, start); end !== -1; end = chunk.indexOf(0x0a, start)) {
          const piece = chunk.subarray(start, end);
          parse(partial.length ? Buffer.concat([...partial, piece]) : piece);
          partial = [];
          intact = consumed + end + 1;
          start = end + 1;
        }
        if (start < chunk.length) partial.push(chunk.subarray(start));
        consumed += chunk.length;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (partial.length > 0) await truncate(this.path, intact);
    this.lines = examples.length;
    return examples;
  }

  async append(examples: readonly WindowedExample[]): Promise<void> {
    if (examples.length === 0) return;
    const handle = await open(this.path, 'a');
    try {
      const { size } = await handle.stat();
      try {
        await writeLines(handle, examples);
        await handle.sync();
      } catch (error) {
        // A half-written batch (disk full) is cut off, so the retry's first line does not glue onto it.
        await handle.truncate(size).catch(() => undefined);
        throw error;
      }
    } finally {
      await handle.close();
    }
    this.lines += examples.length;
  }

  /**
   * Rewrites the journal as exactly the window (temp file, then rename) once it
   * holds more than twice the window's examples; `window` is only called then.
   */
  async compactIfNeeded(windowSize: number, window: () => readonly WindowedExample[]): Promise<boolean> {
    if (this.lines <= Math.max(1000, 2 * windowSize)) return false;
    const examples = window();
    const temp = `${this.path}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await writeLines(handle, examples);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
    this.lines = examples.length;
    return true;
  }
}
