import { StoreloopError } from '@storeloop/observability';
import { isTransientFailure } from './transient';

/** An error shaped like the client libraries' own (name, code, flags), without importing their classes. */
function shaped(name: string, message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message, fields.cause === undefined ? undefined : { cause: fields.cause }), { name, ...fields });
}

describe('isTransientFailure', () => {
  it.each([
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['kafkajs connection error', shaped('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092')],
    ['kafkajs coordinator not found', shaped('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator', { retriable: false })],
    ['kafkajs request timeout', shaped('KafkaJSRequestTimeoutError', 'Request Metadata(key: 3, version: 6) timed out')],
    ['coordinator loading', shaped('KafkaJSProtocolError', 'The coordinator is loading', { type: 'COORDINATOR_LOAD_IN_PROGRESS', retriable: true })],
    ['not the coordinator, marked not retriable', shaped('KafkaJSProtocolError', 'This is not the correct coordinator', { type: 'NOT_COORDINATOR', retriable: false })],
    ['ioredis out of retries', shaped('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 2).')],
    ['ioredis command timeout', new Error('Command timed out')],
    ['ioredis closed connection', new Error('Connection is closed.')],
    ['Redis loading its data', shaped('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['Redis busy with a script', shaped('ReplyError', 'BUSY Redis is busy running a script.')],
  ])('%s is transient', (_, error) => {
    expect(isTransientFailure(error)).toBe(true);
  });

  it('reads the cause chain: kafkajs giving up on a refused connection is transient', () => {
    const refused = shaped('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9092', { code: 'ECONNREFUSED' });
    const gaveUp = shaped('KafkaJSNonRetriableError', refused.message, { retriable: false, cause: refused });
    const exceeded = shaped('KafkaJSNumberOfRetriesExceeded', 'This is not the correct coordinator for this group', {
      retriable: false,
      cause: shaped('KafkaJSProtocolError', 'This is not the correct coordinator for this group', { type: 'NOT_COORDINATOR' }),
    });
    const wrapped = new StoreloopError('MESSAGING.TRANSACTION_FAILED', 'Kafka transaction aborted', { retriable: false, cause: gaveUp });
    expect(isTransientFailure(gaveUp)).toBe(true);
    expect(isTransientFailure(exceeded)).toBe(true);
    expect(isTransientFailure(wrapped)).toBe(true);
  });

  it('reads every error of an AggregateError', () => {
    const error = new AggregateError([new Error('bad'), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })], 'all failed');
    expect(isTransientFailure(error)).toBe(true);
  });

  it.each([
    ['a validation error', new StoreloopError('EVENT.INVALID', 'price must be positive', { retriable: false })],
    ['a message too large for the topic', shaped('KafkaJSProtocolError', 'The request included a message larger than the max message size', { type: 'MESSAGE_TOO_LARGE', retriable: false })],
    ['an authorization failure', shaped('KafkaJSProtocolError', 'Not authorized to access topics', { type: 'TOPIC_AUTHORIZATION_FAILED', retriable: false })],
    ['kafkajs giving up on a non-retriable protocol error', shaped('KafkaJSNonRetriableError', 'too large', { cause: shaped('KafkaJSProtocolError', 'too large', { type: 'MESSAGE_TOO_LARGE', retriable: false }) })],
    ['a Lua error', shaped('ReplyError', 'ERR user_script:12: attempt to compare nil with number')],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'sku')")],
    ['nothing at all', undefined],
    ['a string', 'boom'],
  ])('%s is not transient', (_, error) => {
    expect(isTransientFailure(error)).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(isTransientFailure(a)).toBe(false);
  });
});
