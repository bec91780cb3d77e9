// Storeloop contracts: topic names, event types, payload schemas and the
// CloudEvents envelope. Pure: no NestJS, no I/O.
export * from './errors';
export {
  absoluteUri,
  calendarDate,
  currencyCode,
  DECIMAL_AMOUNT,
  decimalAmount,
  identifier,
  money,
  numericRecord,
  SALES_CHANNELS,
  salesChannel,
  utcTimestamp,
  type Money,
  type SalesChannel,
} from './primitives';
export * from './envelope';
export * from './event-types';
export { contractFailure, isJsonObject, issuesFromZodError, parseEvent, type ParseEventResult } from './parse-event';
export * from './payloads/dead-letter-record';
export * from './payloads/model-lifecycle-event';
export * from './payloads/training-example';
export * from './payloads/replenishment-order';
export * from './topics';
export * from './topic-payloads';
export * from './message-headers';
export * from './json-schema';
export * from './asyncapi';
export * from './examples';
