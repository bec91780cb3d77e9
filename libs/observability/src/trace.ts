import { randomBytes, randomUUID } from 'node:crypto';
import { MESSAGE_HEADERS } from '@storeloop/contracts';

/** Header names carried through Kafka and HTTP: the contracts' names (W3C and CloudEvents). */
export const TRACE_HEADERS = {
  traceparent: MESSAGE_HEADERS.traceparent,
  tracestate: MESSAGE_HEADERS.tracestate,
  correlationId: MESSAGE_HEADERS.correlationId,
  causationId: MESSAGE_HEADERS.causationId,
} as const;

export interface TraceContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
  correlationId: string;
  causationId?: string;
  tracestate?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE = /^0+$/;

/** Parses a W3C `traceparent` (version 00); returns undefined for anything malformed. */
export function parseTraceparent(value: string | undefined): Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'> | undefined {
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!m || INVALID_TRACE.test(m[1]) || INVALID_TRACE.test(m[2])) return undefined;
  return { traceId: m[1], spanId: m[2], sampled: (parseInt(m[3], 16) & 1) === 1 };
}

export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'sampled'>): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/**
 * Continues the trace found in incoming headers with a new span (or starts one),
 * keeping the correlation id and making the incoming message the cause.
 */
export function continueTrace(headers: Record<string, string | undefined> = {}, causationId?: string): TraceContext {
  const parent = parseTraceparent(headers[TRACE_HEADERS.traceparent]);
  return {
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: parent?.sampled ?? true,
    correlationId: headers[TRACE_HEADERS.correlationId] ?? randomUUID(),
    causationId: causationId ?? headers[TRACE_HEADERS.causationId],
    tracestate: headers[TRACE_HEADERS.tracestate],
  };
}

export function traceHeaders(ctx: TraceContext): Record<string, string> {
  const headers: Record<string, string> = {
    [TRACE_HEADERS.traceparent]: formatTraceparent(ctx),
    [TRACE_HEADERS.correlationId]: ctx.correlationId,
  };
  if (ctx.causationId) headers[TRACE_HEADERS.causationId] = ctx.causationId;
  if (ctx.tracestate) headers[TRACE_HEADERS.tracestate] = ctx.tracestate;
  return headers;
}
