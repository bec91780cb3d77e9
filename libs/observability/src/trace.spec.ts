import { continueTrace, formatTraceparent, parseTraceparent, TRACE_HEADERS, traceHeaders, type TraceContext } from './trace';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('parseTraceparent', () => {
  it('reads a sampled W3C traceparent', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: true });
  });

  it('reads the sampled flag from the lowest bit only', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-03`)?.sampled).toBe(true);
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)?.sampled).toBe(false);
  });

  it('normalises upper case and surrounding whitespace', () => {
    expect(parseTraceparent(`  ${VALID.toUpperCase()}  `)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: true });
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['long span id', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['one-digit flags', `00-${TRACE_ID}-${SPAN_ID}-1`],
    ['unknown version', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['non-hex characters', `00-${TRACE_ID.replace('4', 'g')}-${SPAN_ID}-01`],
    ['missing parts', `00-${TRACE_ID}-01`],
  ])('rejects %s', (_label, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  it('writes version 00 with the sampled flag', () => {
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: true })).toBe(VALID);
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: false })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
  });

  it('round-trips through parseTraceparent', () => {
    for (const sampled of [true, false]) {
      const ctx = { traceId: TRACE_ID, spanId: SPAN_ID, sampled };
      expect(parseTraceparent(formatTraceparent(ctx))).toEqual(ctx);
    }
  });
});

describe('continueTrace', () => {
  const incoming = {
    [TRACE_HEADERS.traceparent]: `00-${TRACE_ID}-${SPAN_ID}-00`,
    [TRACE_HEADERS.correlationId]: 'corr-123',
    [TRACE_HEADERS.causationId]: 'cause-from-header',
    [TRACE_HEADERS.tracestate]: 'vendor=abc',
  };

  it('keeps the trace id, sampling, correlation id and tracestate of the incoming headers', () => {
    const ctx = continueTrace(incoming);
    expect(ctx).toMatchObject({ traceId: TRACE_ID, sampled: false, correlationId: 'corr-123', tracestate: 'vendor=abc' });
  });

  it('opens a new span rather than reusing the parent span id', () => {
    const ctx = continueTrace(incoming);
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(ctx.spanId).not.toBe(SPAN_ID);
    expect(continueTrace(incoming).spanId).not.toBe(ctx.spanId);
  });

  it('makes the given causation id win over the header', () => {
    expect(continueTrace(incoming, 'retail.events.v1/3/42').causationId).toBe('retail.events.v1/3/42');
    expect(continueTrace(incoming).causationId).toBe('cause-from-header');
  });

  it('starts a new sampled trace with a new correlation id when there is none', () => {
    const a = continueTrace();
    const b = continueTrace({});
    for (const ctx of [a, b]) {
      expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(ctx.sampled).toBe(true);
      expect(ctx.correlationId).toMatch(UUID);
      expect(ctx.causationId).toBeUndefined();
      expect(ctx.tracestate).toBeUndefined();
    }
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.correlationId).not.toBe(b.correlationId);
  });

  it('starts a new trace when the traceparent is malformed, still keeping the correlation id', () => {
    const ctx = continueTrace({ [TRACE_HEADERS.traceparent]: 'garbage', [TRACE_HEADERS.correlationId]: 'corr-9' });
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ctx.traceId).not.toBe(TRACE_ID);
    expect(ctx.correlationId).toBe('corr-9');
  });
});

describe('traceHeaders', () => {
  const ctx: TraceContext = { traceId: TRACE_ID, spanId: SPAN_ID, sampled: true, correlationId: 'corr-1' };

  it('writes traceparent and correlation id only when nothing else is set', () => {
    expect(traceHeaders(ctx)).toEqual({ traceparent: VALID, correlationid: 'corr-1' });
  });

  it('adds causation id and tracestate when present', () => {
    expect(traceHeaders({ ...ctx, causationId: 'evt-1', tracestate: 'vendor=abc' })).toEqual({
      traceparent: VALID,
      correlationid: 'corr-1',
      causationid: 'evt-1',
      tracestate: 'vendor=abc',
    });
  });

  it('lets the next hop continue the same trace and correlation', () => {
    const next = continueTrace(traceHeaders(ctx));
    expect(next.traceId).toBe(TRACE_ID);
    expect(next.correlationId).toBe('corr-1');
    expect(next.sampled).toBe(true);
  });
});
