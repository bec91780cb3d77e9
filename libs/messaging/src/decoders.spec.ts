import type { KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { CONTRACT_ERROR_CODES, EventType, exampleEvent, exampleRecord, TOPICS } from '@storeloop/contracts';
import { StoreloopError } from '@storeloop/observability';
import { contractDecoder, jsonDecoder, MALFORMED_RECORD, SCHEMA_INVALID } from './decoders';

function message(value: Buffer | string | null, offset = '7'): KafkaMessage {
  return {
    key: null,
    value: typeof value === 'string' ? Buffer.from(value) : value,
    timestamp: '0',
    attributes: 0,
    offset,
    headers: {},
  } as KafkaMessage;
}

function json(value: unknown): KafkaMessage {
  return message(JSON.stringify(value));
}

/** The StoreloopError a decoder throws for `msg`. */
function failure(decode: (m: KafkaMessage, topic: string) => unknown, msg: KafkaMessage): StoreloopError {
  try {
    decode(msg, 'ci.retail.events.v1');
  } catch (error) {
    if (error instanceof StoreloopError) return error;
    throw error;
  }
  throw new Error('expected the decoder to throw');
}

describe('jsonDecoder', () => {
  const decode = jsonDecoder(z.object({ sku: z.string(), items: z.array(z.object({ quantity: z.number().int().positive() })) }));

  it('returns the parsed value', () => {
    expect(decode(json({ sku: 'SKU-1', items: [{ quantity: 2 }] }), 't')).toEqual({ sku: 'SKU-1', items: [{ quantity: 2 }] });
  });

  it.each([
    ['a null value', message(null)],
    ['an empty value', message(Buffer.alloc(0))],
  ])('rejects %s as a malformed record', (_label, msg) => {
    const error = failure(decode, msg);
    expect(error.code).toBe(MALFORMED_RECORD);
    expect(error.retriable).toBe(false);
    expect(error.message).toBe('empty value at ci.retail.events.v1@7');
  });

  it('rejects bytes that are not JSON, naming where they were read', () => {
    const error = failure(decode, message(Buffer.from([0xff, 0x00]), '99'));
    expect(error.code).toBe(MALFORMED_RECORD);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^value at ci\.retail\.events\.v1@99 is not JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects a value that fails the schema, with the path of the problem', () => {
    const error = failure(decode, json({ sku: 'SKU-1', items: [{ quantity: 0 }] }));
    expect(error.code).toBe(SCHEMA_INVALID);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/^items\.0\.quantity: /);
  });

  it('names the root when the whole value has the wrong shape', () => {
    const error = failure(decode, json([1, 2]));
    expect(error.code).toBe(SCHEMA_INVALID);
    expect(error.message).toMatch(/^\(root\): /);
  });
});

describe('contractDecoder', () => {
  const decodeEvents = contractDecoder(TOPICS.events.name);

  it('accepts a valid event of a type the topic carries', () => {
    const event = exampleEvent(EventType.ProductViewed);
    const decoded = decodeEvents(json(event), 'retail.events.v1');
    expect(decoded).toMatchObject({ type: EventType.ProductViewed, id: event.id, data: { sku: 'SKU-123', userId: 'user-1001' } });
  });

  it('rejects a schema violation with CONTRACT.SCHEMA_INVALID and the field path', () => {
    const event = exampleEvent(EventType.CartItemAdded, { data: { quantity: 0 } });
    const error = failure(decodeEvents, json(event));
    expect(error.code).toBe(CONTRACT_ERROR_CODES.SchemaInvalid);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('data.quantity: ');
  });

  it('rejects an unknown event type', () => {
    const error = failure(decodeEvents, json(exampleEvent(EventType.ProductViewed, { type: 'com.example.unknown.v1' } as never)));
    expect(error.code).toBe(CONTRACT_ERROR_CODES.UnknownEventType);
    expect(error.message).toContain('type: ');
  });

  it('rejects a valid event that belongs on another topic', () => {
    const error = failure(decodeEvents, json(exampleEvent(EventType.RecommendationServed)));
    expect(error.code).toBe(CONTRACT_ERROR_CODES.WrongTopic);
    expect(error.message).toContain('retail.feedback.v1');
  });

  it('rejects JSON that is not an object', () => {
    expect(failure(decodeEvents, json('just a string')).code).toBe(CONTRACT_ERROR_CODES.NotAnObject);
  });

  it('rejects bytes that are not JSON before checking the contract', () => {
    expect(failure(decodeEvents, message('{"type":')).code).toBe(MALFORMED_RECORD);
  });

  it('checks non-CloudEvents topics against their payload schema', () => {
    const decodeDlq = contractDecoder(TOPICS.deadLetters.name);
    const record = exampleRecord(TOPICS.deadLetters.name);
    expect(decodeDlq(json(record), 'retail.events.dlq.v1')).toMatchObject({ code: record.code, offset: record.offset });
    const error = failure(decodeDlq, json({ ...record, attempts: 0 }));
    expect(error.code).toBe(CONTRACT_ERROR_CODES.SchemaInvalid);
    expect(error.message).toContain('attempts: ');
  });
});
