import type { KafkaMessage } from 'kafkajs';
import { EventType, exampleEvent } from '@storeloop/contracts';
import { INGEST_CODES, decodeRawRecord, validateEvent } from './intake';

function record(value: Buffer | string | null, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return {
    key: Buffer.from('k'),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers,
    offset: '7',
    timestamp: '1714558530000',
    attributes: 0,
  } as KafkaMessage;
}

describe('validateEvent', () => {
  it('normalises a valid event (offset time to UTC)', () => {
    const result = validateEvent(exampleEvent(EventType.ProductViewed, { time: '2024-05-01T12:15:30+02:00' }));
    expect(result).toMatchObject({ ok: true, event: { time: '2024-05-01T10:15:30.000Z' } });
  });

  it.each([
    [{ ...exampleEvent(EventType.ProductViewed), type: 'com.storeloop.nope.v1' }, INGEST_CODES.UnknownEventType],
    [{ ...exampleEvent(EventType.ProductViewed), type: 'com.storeloop.product.viewed.v9' }, INGEST_CODES.UnsupportedVersion],
    [exampleEvent(EventType.ProductViewed, { data: { sku: '' } }), INGEST_CODES.SchemaInvalid],
    [[1, 2], INGEST_CODES.NotAnObject],
  ])('maps contract failures to ingestion codes (%#)', (input, code) => {
    expect(validateEvent(input)).toMatchObject({ ok: false, code });
  });
});

describe('decodeRawRecord', () => {
  it('reads structured mode: the value is the whole event', () => {
    const event = exampleEvent(EventType.OrderPlaced);
    const { intake, record: original } = decodeRawRecord(record(JSON.stringify(event)));
    expect(intake).toMatchObject({ ok: true, event: { id: event.id, type: EventType.OrderPlaced } });
    expect(original.offset).toBe('7');
  });

  it('reads binary mode: attributes from ce_ headers, data from the value', () => {
    const { data, ...attributes } = exampleEvent(EventType.ProductViewed);
    const headers: KafkaMessage['headers'] = { 'content-type': Buffer.from('application/json') };
    for (const [name, value] of Object.entries(attributes)) headers[`ce_${name}`] = Buffer.from(String(value));
    const { intake } = decodeRawRecord(record(JSON.stringify(data), headers));
    expect(intake).toMatchObject({ ok: true, event: { id: attributes.id, data: { sku: data.sku } } });
  });

  it('keeps a hostile ce___proto__ header as a plain (rejected) attribute, without touching prototypes', () => {
    const { data, ...attributes } = exampleEvent(EventType.ProductViewed);
    const headers: KafkaMessage['headers'] = { ce___proto__: Buffer.from('polluted') };
    for (const [name, value] of Object.entries(attributes)) headers[`ce_${name}`] = Buffer.from(String(value));
    const { intake } = decodeRawRecord(record(JSON.stringify(data), headers));
    expect(intake.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it.each([
    ['an empty value', record(null)],
    ['invalid UTF-8', record(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))],
    ['text that is not JSON', record('{"id": ')],
  ])('reports %s as a malformed record', (_what, message) => {
    expect(decodeRawRecord(message).intake).toMatchObject({ ok: false, code: INGEST_CODES.MalformedRecord });
  });

  it('answers absurdly nested input with a code instead of crashing', () => {
    expect(decodeRawRecord(record('['.repeat(200_000) + ']'.repeat(200_000))).intake).toMatchObject({ ok: false, code: INGEST_CODES.NotAnObject });
    expect(decodeRawRecord(record('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))).intake).toMatchObject({ ok: false });
  });
});
