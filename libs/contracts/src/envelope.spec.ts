import { DEFAULT_TENANT, EVENT_TYPE_PATTERN } from './envelope';
import { CONTRACT_ERROR_CODES } from './errors';
import { EVENT_TYPE_NAMES, EventType } from './event-types';
import { exampleEvent } from './examples';
import { parseEvent } from './parse-event';

const TYPE = EventType.ProductViewed;

function parsedOrFail(input: unknown) {
  const result = parseEvent(input);
  if (!result.ok) throw new Error(`expected a valid event, got ${JSON.stringify(result)}`);
  return result.event;
}

function issuePaths(input: unknown): string[] {
  const result = parseEvent(input);
  if (result.ok) throw new Error('expected a rejection');
  expect(result.code).toBe(CONTRACT_ERROR_CODES.SchemaInvalid);
  return result.issues.map((issue) => issue.path);
}

describe('CloudEvents envelope', () => {
  it('names every event type com.storeloop.<family>.v<N>', () => {
    for (const type of EVENT_TYPE_NAMES) expect(type).toMatch(EVENT_TYPE_PATTERN);
  });

  it('fills tenant and datacontenttype when a producer omits them', () => {
    const { tenant: _tenant, ...withoutTenant } = exampleEvent(TYPE);
    const event = parsedOrFail(withoutTenant);
    expect(event.tenant).toBe(DEFAULT_TENANT);
    expect(event.datacontenttype).toBe('application/json');
  });

  it('keeps a given tenant and JSON media type', () => {
    const event = parsedOrFail(exampleEvent(TYPE, { tenant: 'acme-retail', datacontenttype: 'application/json; charset=utf-8' }));
    expect(event.tenant).toBe('acme-retail');
    expect(event.datacontenttype).toBe('application/json; charset=utf-8');
  });

  it.each([
    ['specversion', { specversion: '0.3' }],
    ['tenant', { tenant: 'Acme Retail' }],
    ['tenant', { tenant: '' }],
    ['datacontenttype', { datacontenttype: 'application/xml' }],
    ['source', { source: '' }],
    ['source', { source: 'web shop' }],
    ['source', { source: 'http://[broken' }],
    ['dataschema', { dataschema: 'not a uri' }],
    ['traceparent', { traceparent: 'abc' }],
    ['id', { id: '   ' }],
    ['subject', { subject: '' }],
  ])('rejects a bad %s', (path, overrides) => {
    expect(issuePaths({ ...exampleEvent(TYPE), ...overrides })).toContain(path);
  });

  it.each(['id', 'source', 'specversion', 'time'])('requires %s', (attribute) => {
    const event: Record<string, unknown> = exampleEvent(TYPE);
    delete event[attribute];
    expect(issuePaths(event)).toContain(attribute);
  });

  it('accepts the optional attributes and trims correlation ids', () => {
    const event = parsedOrFail(
      exampleEvent(TYPE, {
        subject: 'SKU-123',
        dataschema: 'https://schemas.storeloop.dev/com.storeloop.product.viewed.v1.json',
        correlationid: ' checkout-77 ',
        causationid: 'evt-1',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'congo=t61rcWkgMzE',
        source: 'urn:storeloop:pos:store-17',
      }),
    );
    expect(event).toMatchObject({ subject: 'SKU-123', correlationid: 'checkout-77', source: 'urn:storeloop:pos:store-17' });
  });

  it('keeps unknown extension attributes, as CloudEvents asks intermediaries to', () => {
    const event = parsedOrFail(exampleEvent(TYPE, { partnerid: 'affiliate-9', sampled: true, priority: 3 }));
    expect(event).toMatchObject({ partnerid: 'affiliate-9', sampled: true, priority: 3 });
  });

  it.each([
    ['partnerId', 'x'], // upper case is not a CloudEvents attribute name
    ['partner_id', 'x'],
    ['userId', 'user-1001'], // a data field put at the top level
    ['data_base64', 'eyJ9'],
    ['context', { nested: true }],
    ['tags', ['a']],
  ])('rejects extension %s', (name, value) => {
    expect(issuePaths(exampleEvent(TYPE, { [name]: value }))).toContain(name);
  });
});
