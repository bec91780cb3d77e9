import { causeChain } from '@storeloop/observability';

/**
 * Whether a failure comes from the infrastructure being away for a while (a
 * broker or Redis restarting, a coordinator moving, a connection refused or
 * reset, a request timing out) rather than from the record being handled.
 *
 * Client libraries mark such errors inconsistently once they give up: kafkajs
 * wraps a refused connection in `KafkaJSNonRetriableError` or
 * `KafkaJSNumberOfRetriesExceeded` after its own retries, both with
 * `retriable: false`. A consumer that trusted that flag would dead-letter a
 * valid record because a broker was restarting, so the cause chain is read
 * instead: any transient link makes the whole failure transient.
 */
export function isTransientFailure(error: unknown): boolean {
  return causeChain(error).some(
    (link) => isTransientLink(link as ErrorLike) || (link instanceof AggregateError && link.errors.some((inner) => isTransientFailure(inner))),
  );
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** Node socket and DNS errors of a peer that is down, restarting or unreachable. */
const TRANSIENT_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** kafkajs errors that only say a broker, a coordinator or a request was not there in time. */
const TRANSIENT_KAFKAJS_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'KafkaJSStaleTopicMetadataAssignment',
]);

/**
 * Kafka protocol errors about leadership, coordinators and fencing that a
 * restart or a rebalance clears; kafkajs marks some of them not retriable
 * because retrying the same request cannot help, but a later attempt can.
 */
const TRANSIENT_KAFKA_PROTOCOL_TYPES = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'REBALANCE_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'BROKER_NOT_AVAILABLE',
  'THROTTLING_QUOTA_EXCEEDED',
]);

/** Redis replies of a server that is starting, busy or failing over. */
const TRANSIENT_REDIS_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/** ioredis' own errors when the connection is gone or a reply never came. */
const TRANSIENT_IOREDIS_MESSAGES = /^(Connection is closed\.?|Command timed out|Stream isn't writeable and enableOfflineQueue options is false|Reached the max retries per request limit)/;

function isTransientLink(error: ErrorLike): boolean {
  const name = typeof error.name === 'string' ? error.name : '';
  const message = typeof error.message === 'string' ? error.message : '';
  if (typeof error.code === 'string' && TRANSIENT_SYSTEM_CODES.has(error.code)) return true;
  if (TRANSIENT_KAFKAJS_ERRORS.has(name)) return true;
  if (name === 'KafkaJSProtocolError' && typeof error.type === 'string') {
    return error.retriable === true || TRANSIENT_KAFKA_PROTOCOL_TYPES.has(error.type);
  }
  if (name === 'MaxRetriesPerRequestError') return true;
  if (name === 'ReplyError' && TRANSIENT_REDIS_REPLIES.test(message)) return true;
  return TRANSIENT_IOREDIS_MESSAGES.test(message);
}
