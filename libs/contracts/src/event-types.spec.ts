import { EVENT_TYPE_NAMES, EVENT_TYPES, EventType, isEventOfType, isKnownEventFamily, splitEventType } from './event-types';
import { exampleEvent } from './examples';
import { parseEvent } from './parse-event';

describe('event type registry', () => {
  it('lists each EventType constant once, under its own type string', () => {
    expect(EVENT_TYPE_NAMES).toHaveLength(Object.values(EventType).length);
    for (const type of Object.values(EventType)) expect(EVENT_TYPES[type].type).toBe(type);
  });

  it('derives family and version from the type string', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const { family, version, schema, data, description } = EVENT_TYPES[type];
      expect(`${family}.v${version}`).toBe(type);
      expect(schema).toBeDefined();
      expect(data).toBeDefined();
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it.each([
    ['com.storeloop.product.viewed.v1', { family: 'com.storeloop.product.viewed', version: 1 }],
    ['com.storeloop.product.viewed.v12', { family: 'com.storeloop.product.viewed', version: 12 }],
    ['com.storeloop.product.viewed', { family: 'com.storeloop.product.viewed', version: null }],
    ['com.storeloop.product.viewed.v0', { family: 'com.storeloop.product.viewed.v0', version: null }],
  ])('splits %s', (type, expected) => {
    expect(splitEventType(type)).toEqual(expected);
  });

  it('knows families regardless of version', () => {
    expect(isKnownEventFamily('com.storeloop.order.placed')).toBe(true);
    expect(isKnownEventFamily('com.storeloop.order.placed.v1')).toBe(false);
  });

  it('narrows a parsed event by type', () => {
    const result = parseEvent(exampleEvent(EventType.GoodsReceived));
    if (!result.ok) throw new Error('example must parse');
    expect(isEventOfType(result.event, EventType.GoodsReceived)).toBe(true);
    expect(isEventOfType(result.event, EventType.OrderPlaced)).toBe(false);
  });
});
