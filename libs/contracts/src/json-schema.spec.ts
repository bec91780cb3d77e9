import { EVENT_TYPE_NAMES } from './event-types';
import { eventJsonSchema, topicPayloadJsonSchema } from './json-schema';
import { TOPIC_NAMES } from './topics';

type Schema = { required?: string[]; properties?: Record<string, Schema>; additionalProperties?: unknown; [k: string]: unknown };

describe('JSON Schema export', () => {
  describe.each(EVENT_TYPE_NAMES)('%s', (type) => {
    it('describes what producers may send: envelope and data, extra data fields allowed', () => {
      const schema = eventJsonSchema(type) as Schema;
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.title).toBe(type);
      expect(schema.properties?.type).toEqual({ type: 'string', const: type });
      expect(schema.required).toEqual(expect.arrayContaining(['id', 'source', 'specversion', 'time', 'type', 'data']));
      // tenant and datacontenttype have defaults, so producers may omit them.
      expect(schema.required).not.toContain('tenant');
      expect(schema.properties?.time).toMatchObject({ type: 'string', format: 'date-time' });
      expect(schema.properties?.data?.type).toBe('object');
      expect(schema.properties?.data?.additionalProperties).toBeUndefined();
    });

    it('describes the normalised output, where defaults are always present', () => {
      const schema = eventJsonSchema(type, { io: 'output', target: 'draft-7' }) as Schema;
      expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
      expect(schema.required).toEqual(expect.arrayContaining(['tenant', 'datacontenttype']));
      expect(schema.properties?.data?.additionalProperties).toBe(false);
    });
  });

  it.each(TOPIC_NAMES)('exports the payload schema of %s', (topic) => {
    const schema = topicPayloadJsonSchema(topic);
    expect(schema.title).toBe(topic);
    expect(JSON.stringify(schema).length).toBeGreaterThan(100);
  });

  it('exports CloudEvents topics as a union of their event types', () => {
    const schema = topicPayloadJsonSchema('retail.feedback.v1') as { oneOf?: Schema[]; anyOf?: Schema[] };
    const members = schema.oneOf ?? schema.anyOf ?? [];
    expect(members.map((member) => (member.properties?.type as { const: string }).const).sort()).toEqual([
      'com.storeloop.recommendation.clicked.v1',
      'com.storeloop.recommendation.purchased.v1',
      'com.storeloop.recommendation.served.v1',
    ]);
  });
});
