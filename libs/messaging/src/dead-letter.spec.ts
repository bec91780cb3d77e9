import type { KafkaMessage } from 'kafkajs';
import { TOPICS } from '@storeloop/contracts';
import { HANDLER_FAILED, buildDeadLetter, buildRejectedItemDeadLetter, deadLetterCause, DEAD_LETTER_HEADERS, type DeadLetterInput } from './dead-letter';

const NON_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);

function kafkaMessage(fields: Partial<Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>> = {}): KafkaMessage {
  return {
    key: Buffer.from('user-1001'),
    value: Buffer.from('{"id":"evt-1"}'),
    timestamp: '1714558530000',
    attributes: 0,
    offset: '128734',
    headers: {},
    ...fields,
  } as KafkaMessage;
}

function input(overrides: Partial<DeadLetterInput> = {}): DeadLetterInput {
  return {
    message: kafkaMessage(),
    sourceTopic: TOPICS.rawEvents.name,
    partition: 3,
    consumerGroup: 'storeloop-ingestion',
    code: 'CONTRACT.SCHEMA_INVALID',
    reason: 'data.items.0.quantity: Too small',
    retriable: false,
    attempts: 1,
    ...overrides,
  };
}

function valueOf(record: ReturnType<typeof buildDeadLetter>): Record<string, unknown> {
  return JSON.parse(String(record.value));
}

describe('buildDeadLetter', () => {
  it('keeps the original key bytes as the record key', () => {
    const key = Buffer.from([0x01, 0xff, 0x02]);
    expect(buildDeadLetter(input({ message: kafkaMessage({ key }) })).key).toBe(key);
    expect(buildDeadLetter(input({ message: kafkaMessage({ key: null }) })).key).toBeNull();
  });

  it('stores value, key and headers as base64 of the exact bytes received', () => {
    const message = kafkaMessage({
      key: NON_UTF8,
      value: NON_UTF8,
      headers: { traceparent: Buffer.from('00-abc'), blob: NON_UTF8 },
    });
    const value = valueOf(buildDeadLetter(input({ message })));
    expect(Buffer.from(String(value.value), 'base64').equals(NON_UTF8)).toBe(true);
    expect(Buffer.from(String(value.key), 'base64').equals(NON_UTF8)).toBe(true);
    const headers = value.headers as Record<string, string>;
    expect(Buffer.from(headers.blob, 'base64').equals(NON_UTF8)).toBe(true);
    expect(Buffer.from(headers.traceparent, 'base64').toString()).toBe('00-abc');
  });

  it('records the failure and where the record came from', () => {
    const before = Date.now();
    const value = valueOf(buildDeadLetter(input({ code: 'CONSUMER.HANDLER_FAILED', retriable: true, attempts: 6 })));
    expect(value).toMatchObject({
      code: 'CONSUMER.HANDLER_FAILED',
      reason: 'data.items.0.quantity: Too small',
      retriable: true,
      sourceTopic: 'retail.events.raw.v1',
      partition: 3,
      offset: '128734',
      attempts: 6,
      consumerGroup: 'storeloop-ingestion',
    });
    expect(Date.parse(String(value.failedAt))).toBeGreaterThanOrEqual(before - 1);
  });

  it('writes null for a tombstone and a missing key', () => {
    const value = valueOf(buildDeadLetter(input({ message: kafkaMessage({ key: null, value: null }) })));
    expect(value.key).toBeNull();
    expect(value.value).toBeNull();
  });

  it('sets filterable headers, with the reason cut to 1000 characters', () => {
    const reason = 'x'.repeat(1500);
    const record = buildDeadLetter(input({ reason }));
    expect(record.headers).toEqual({
      [DEAD_LETTER_HEADERS.code]: 'CONTRACT.SCHEMA_INVALID',
      [DEAD_LETTER_HEADERS.reason]: 'x'.repeat(1000),
      [DEAD_LETTER_HEADERS.sourceTopic]: 'retail.events.raw.v1',
      [DEAD_LETTER_HEADERS.sourcePartition]: '3',
      [DEAD_LETTER_HEADERS.sourceOffset]: '128734',
    });
    expect(valueOf(record).reason).toBe(reason);
  });

  it('produces a value that passes the dead-letter topic contract', () => {
    const messages = [
      kafkaMessage(),
      kafkaMessage({ key: null, value: null }),
      kafkaMessage({ key: NON_UTF8, value: NON_UTF8, headers: { blob: NON_UTF8, text: 'plain', many: ['a', 'b'] } }),
    ];
    for (const message of messages) {
      const result = TOPICS.deadLetters.schema.safeParse(valueOf(buildDeadLetter(input({ message }))));
      expect(result.error?.issues).toBeUndefined();
      expect(result.success).toBe(true);
    }
  });
});

describe('deadLetterCause', () => {
  it('keeps a stable dotted code and the message', () => {
    expect(deadLetterCause('CONTRACT.SCHEMA_INVALID', 'data.sku: required')).toEqual({
      code: 'CONTRACT.SCHEMA_INVALID',
      reason: 'data.sku: required',
    });
  });

  it('maps a foreign code to CONSUMER.HANDLER_FAILED and keeps it in the reason', () => {
    expect(deadLetterCause('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6379')).toEqual({
      code: HANDLER_FAILED,
      reason: '[ECONNREFUSED] connect ECONNREFUSED 127.0.0.1:6379',
    });
  });

  it('never leaves the reason empty', () => {
    expect(deadLetterCause('X.Y', '  ').reason).toBe('failed without a message');
  });
});

describe('buildRejectedItemDeadLetter', () => {
  it('records an HTTP item with its bytes, issues and origin, and no Kafka coordinates', () => {
    const message = buildRejectedItemDeadLetter({
      bytes: Buffer.from('{"type":"nope"}'),
      code: 'INGEST.UNKNOWN_EVENT_TYPE',
      reason: 'type: unknown',
      issues: [{ path: 'type', message: 'unknown' }],
      origin: 'http:shop',
    });
    const value = JSON.parse(String(message.value));
    expect(TOPICS.deadLetters.schema.safeParse(value).success).toBe(true);
    expect(value).toMatchObject({ sourceTopic: null, partition: null, offset: null, attempts: 1, issues: [{ path: 'type', message: 'unknown' }] });
    expect(Buffer.from(value.value, 'base64').toString()).toBe('{"type":"nope"}');
    expect(message.headers).toMatchObject({ [DEAD_LETTER_HEADERS.origin]: 'http:shop', [DEAD_LETTER_HEADERS.code]: 'INGEST.UNKNOWN_EVENT_TYPE' });
  });
});
