import { causeChain, errorCode, errorMessage, isRetriable, isTlsFailureCode, StoreloopError } from './errors';

describe('StoreloopError', () => {
  it('carries a code, is not retriable by default and keeps its cause', () => {
    const cause = new Error('socket closed');
    const error = new StoreloopError('KAFKA.DOWN', 'broker unreachable', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'StoreloopError', code: 'KAFKA.DOWN', message: 'broker unreachable', retriable: false });
    expect(error.cause).toBe(cause);
    expect(new StoreloopError('X.Y', 'm', { retriable: true }).retriable).toBe(true);
  });
});

describe('isRetriable', () => {
  it('follows a StoreloopError', () => {
    expect(isRetriable(new StoreloopError('A.B', 'm', { retriable: true }))).toBe(true);
    expect(isRetriable(new StoreloopError('A.B', 'm'))).toBe(false);
  });

  it('follows a retriable property on other errors and objects (kafkajs errors carry one)', () => {
    expect(isRetriable(Object.assign(new Error('not leader'), { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('bad request'), { retriable: false }))).toBe(false);
    expect(isRetriable({ retriable: 0 })).toBe(false);
  });

  it('treats unknown failures as retriable', () => {
    expect(isRetriable(new Error('ECONNRESET'))).toBe(true);
    expect(isRetriable('boom')).toBe(true);
    expect(isRetriable(undefined)).toBe(true);
    expect(isRetriable(null)).toBe(true);
  });
});

describe('errorCode', () => {
  it('reads the code of a StoreloopError', () => {
    expect(errorCode(new StoreloopError('CONTRACT.SCHEMA_INVALID', 'm'))).toBe('CONTRACT.SCHEMA_INVALID');
  });

  it('reads a string code of other errors (Node system errors)', () => {
    expect(errorCode(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode({ code: 'REDIS.DOWN' })).toBe('REDIS.DOWN');
  });

  it('falls back when there is no string code', () => {
    expect(errorCode(new Error('plain'))).toBe('INTERNAL.UNEXPECTED');
    expect(errorCode({ code: 42 })).toBe('INTERNAL.UNEXPECTED');
    expect(errorCode('boom', 'CONSUMER.HANDLER_FAILED')).toBe('CONSUMER.HANDLER_FAILED');
  });
});

describe('errorMessage', () => {
  it('uses the message of errors and stringifies anything else', () => {
    expect(errorMessage(new StoreloopError('A.B', 'bad things'))).toBe('bad things');
    expect(errorMessage(new TypeError('nope'))).toBe('nope');
    expect(errorMessage('just a string')).toBe('just a string');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});

describe('causeChain', () => {
  it('lists the error and its causes, outermost first', () => {
    const root = new Error('connect ECONNREFUSED');
    const middle = new Error('Connection error', { cause: root });
    const outer = new StoreloopError('KAFKA.DOWN', 'gave up', { cause: middle });
    expect(causeChain(outer)).toEqual([outer, middle, root]);
  });

  it('stops at a cycle and at the depth asked', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(causeChain(a)).toEqual([a, b]);
    expect(causeChain(new Error('x', { cause: new Error('y', { cause: new Error('z') }) }), 2)).toHaveLength(2);
    expect(causeChain('not an error')).toEqual([]);
  });
});

describe('isTlsFailureCode', () => {
  it('knows certificate and TLS library codes, nothing else', () => {
    expect(isTlsFailureCode('SELF_SIGNED_CERT_IN_CHAIN')).toBe(true);
    expect(isTlsFailureCode('ERR_TLS_CERT_ALTNAME_INVALID')).toBe(true);
    expect(isTlsFailureCode('ERR_SSL_WRONG_VERSION_NUMBER')).toBe(true);
    expect(isTlsFailureCode('ECONNREFUSED')).toBe(false);
    expect(isTlsFailureCode(undefined)).toBe(false);
  });
});
