"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MESSAGE_HEADERS = void 0;
/**
 * Kafka header names Storeloop sets on every record. Trace context and
 * correlation travel in headers (not only in the envelope) so that DLQ
 * records and non-event topics keep them too. Names follow the W3C Trace
 * Context and the CloudEvents extension attribute names.
 */
exports.MESSAGE_HEADERS = {
    contentType: 'content-type',
    traceparent: 'traceparent',
    tracestate: 'tracestate',
    correlationId: 'correlationid',
    causationId: 'causationid',
};
