import { logDigest } from './diagnose';

const line = (entry: Record<string, unknown>) => JSON.stringify({ time: Date.UTC(2026, 10, 29, 16, 20, 5), ...entry });

describe('logDigest', () => {
  it('keeps warnings and errors, each distinct message once with its count, newest last', () => {
    const output = [
      line({ level: 30, msg: 'feature consumer started' }),
      line({ level: 40, msg: 'handler failed; retrying', topic: 't', partition: 2, err: { type: 'StoreloopError', message: 'Redis away' } }),
      'not json at all',
      line({ level: 50, msg: 'record dead-lettered', code: 'X.Y' }),
      line({ level: 40, msg: 'handler failed; retrying', topic: 't', partition: 2, err: { type: 'StoreloopError', message: 'Redis away' } }),
      '{"broken json',
    ].join('\n');
    expect(logDigest(output)).toEqual([
      '16:20:05 error record dead-lettered: X.Y',
      '16:20:05 2× warn handler failed; retrying [t/2]: StoreloopError Redis away',
    ]);
  });

  it('reads level labels and ISO times (the services log those) and kafkajs error strings', () => {
    const output = [
      JSON.stringify({ level: 'info', time: '2026-11-29T17:15:46.387Z', msg: 'started' }),
      JSON.stringify({ level: 'error', time: '2026-11-29T17:15:46.387Z', msg: 'Response Heartbeat(key: 12, version: 3)', error: 'The group is rebalancing' }),
      JSON.stringify({ level: 'warn', time: '2026-11-29T17:18:22.001Z', msg: 'handler failed; retrying', topic: 'f', partition: 4, err: { type: 'StoreloopError', message: 'could not begin a Kafka transaction' } }),
    ].join('\n');
    expect(logDigest(output)).toEqual([
      '17:15:46 error Response Heartbeat(key: 12, version: 3): The group is rebalancing',
      '17:18:22 warn handler failed; retrying [f/4]: StoreloopError could not begin a Kafka transaction',
    ]);
  });

  it('keeps only the newest distinct messages past the limit', () => {
    const output = Array.from({ length: 5 }, (_, i) => line({ level: 40, msg: `m${i}` })).join('\n');
    expect(logDigest(output, 2)).toEqual(['16:20:05 warn m3', '16:20:05 warn m4']);
  });
});
