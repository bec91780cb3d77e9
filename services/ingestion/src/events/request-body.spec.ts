import { HttpProblem } from '@storeloop/platform';
import { batchFormat, parseBatch } from './request-body';

function problemOf(fn: () => unknown): { status: number; body: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpProblem) return { status: error.getStatus(), body: error.getResponse() as Record<string, unknown> };
    throw error;
  }
  throw new Error('expected an HttpProblem');
}

describe('batchFormat', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/cloudevents-batch+json', 'json'],
    ['application/x-ndjson', 'ndjson'],
  ])('%s is %s', (contentType, format) => {
    expect(batchFormat(contentType)).toBe(format);
  });

  it('answers 415 with a code for anything else', () => {
    expect(problemOf(() => batchFormat('text/plain'))).toMatchObject({ status: 415, body: { code: 'INGEST.UNSUPPORTED_MEDIA_TYPE', received: 'text/plain' } });
    expect(problemOf(() => batchFormat(undefined)).status).toBe(415);
  });
});

describe('parseBatch', () => {
  it('parses a JSON array', () => {
    expect(parseBatch(Buffer.from('[{"a":1},{"b":2}]'), 'json', 10).items).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('gives the parse position of malformed JSON', () => {
    expect(problemOf(() => parseBatch(Buffer.from('[{"a":1},,]'), 'json', 10))).toMatchObject({
      status: 400,
      body: { code: 'INGEST.BODY_MALFORMED', position: 9 },
    });
    expect(problemOf(() => parseBatch(Buffer.from('[{"a":'), 'json', 10)).body).toMatchObject({ position: 6 });
  });

  it.each([
    ['{"a":1}', 'INGEST.BODY_NOT_ARRAY'],
    ['[]', 'INGEST.BODY_EMPTY'],
  ])('refuses %s with %s', (body, code) => {
    expect(problemOf(() => parseBatch(Buffer.from(body), 'json', 10))).toMatchObject({ status: 400, body: { code } });
  });

  it('refuses invalid UTF-8', () => {
    expect(problemOf(() => parseBatch(Buffer.from([0x5b, 0xff, 0x5d]), 'json', 10)).body).toMatchObject({ code: 'INGEST.BODY_MALFORMED' });
  });

  it('answers 413 when the batch holds more events than allowed', () => {
    expect(problemOf(() => parseBatch(Buffer.from('[1,2,3]'), 'json', 2))).toMatchObject({
      status: 413,
      body: { code: 'INGEST.TOO_MANY_EVENTS', limitEvents: 2 },
    });
  });

  it('parses NDJSON line by line, keeping a bad line as one rejected item', () => {
    const { items, lineErrors } = parseBatch(Buffer.from('{"a":1}\n\nnot json\n{"b":2}\n'), 'ndjson', 10);
    expect(items).toEqual([{ a: 1 }, 'not json', { b: 2 }]);
    expect([...lineErrors.keys()]).toEqual([1]);
    expect(lineErrors.get(1)).toMatch(/^line 3: not valid JSON/);
  });
});
