/**
 * Kafka header names Storeloop sets on every record. Trace context and
 * correlation travel in headers (not only in the envelope) so that DLQ
 * records and non-event topics keep them too. Names follow the W3C Trace
 * Context and the CloudEvents extension attribute names.
 */
export const MESSAGE_HEADERS = {
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  correlationId: 'correlationid',
  causationId: 'causationid',
} as const;

export type MessageHeaderName = (typeof MESSAGE_HEADERS)[keyof typeof MESSAGE_HEADERS];
