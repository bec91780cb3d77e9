import type { Request } from 'express';
import { HttpProblem } from '@storeloop/platform';
import { decodeUtf8, parseJsonText } from '../intake/intake';
import { jsonErrorPosition } from './json-position';

export type BatchFormat = 'json' | 'ndjson';

const FORMATS: Record<string, BatchFormat> = {
  'application/json': 'json',
  'application/cloudevents-batch+json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

/** The batch format from Content-Type, or 415 INGEST.UNSUPPORTED_MEDIA_TYPE. */
export function batchFormat(contentType: string | undefined): BatchFormat {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const format = FORMATS[mediaType];
  if (!format) {
    throw new HttpProblem(415, 'INGEST.UNSUPPORTED_MEDIA_TYPE', `Content-Type must be one of ${Object.keys(FORMATS).join(', ')}`, {
      received: mediaType || null,
    });
  }
  return format;
}

const tooLarge = (limit: number) =>
  new HttpProblem(413, 'INGEST.BODY_TOO_LARGE', `the body exceeds ${limit} bytes`, { limitBytes: limit });

/** Reads the body up to `limit` bytes, refusing early (by Content-Length) or as soon as it grows past it. */
export async function readBody(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      request.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** Where the JSON breaks: V8 says "at position N" only for some errors, so find it when it does not. */
function position(message: string, text: string): number | undefined {
  const match = /position (\d+)/.exec(message);
  return match ? Number(match[1]) : jsonErrorPosition(text);
}

/**
 * The batch's items. A JSON body must be an array and parse as a whole
 * (400 INGEST.BODY_MALFORMED with the parse position otherwise). NDJSON is
 * parsed line by line: a bad line is one rejected item, the others go on.
 */
export function parseBatch(body: Buffer, format: BatchFormat, maxEvents: number): { items: unknown[]; lineErrors: Map<number, string> } {
  const text = decodeUtf8(body);
  if (text === undefined) throw new HttpProblem(400, 'INGEST.BODY_MALFORMED', 'the body is not valid UTF-8');
  const lineErrors = new Map<number, string>();
  let items: unknown[];
  if (format === 'json') {
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      throw new HttpProblem(400, 'INGEST.BODY_MALFORMED', `the body is not valid JSON: ${parsed.message}`, {
        position: position(parsed.message, text) ?? null,
      });
    }
    if (!Array.isArray(parsed.value)) {
      throw new HttpProblem(400, 'INGEST.BODY_NOT_ARRAY', 'the body must be a JSON array of events (or NDJSON with Content-Type: application/x-ndjson)');
    }
    items = parsed.value;
  } else {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      const parsed = parseJsonText(line);
      if (!parsed.ok) lineErrors.set(items.length, `line ${i + 1}: not valid JSON: ${parsed.message}`);
      // A bad line stays as its text, so that its dead letter carries the bytes the client sent.
      items.push(parsed.ok ? parsed.value : line);
    }
  }
  if (items.length === 0) throw new HttpProblem(400, 'INGEST.BODY_EMPTY', 'the batch holds no events');
  if (items.length > maxEvents) {
    throw new HttpProblem(413, 'INGEST.TOO_MANY_EVENTS', `the batch holds ${items.length} events; the limit is ${maxEvents}`, {
      limitEvents: maxEvents,
    });
  }
  return { items, lineErrors };
}
