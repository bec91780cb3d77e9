import { exampleRecord } from './examples';
import { topicPayloadJsonSchema } from './json-schema';
import { trainingExampleSchema } from './payloads/training-example';

const v1Example = () => exampleRecord('retail.training-examples.v1');

const servedClick = {
  kind: 'served-click',
  tenant: 'acme',
  sourceEventId: 'evt-click-1',
  recommendationId: 'rec-1',
  modelName: 'two-tower',
  modelVersion: '2024-05-01.3',
  position: 2,
  surface: 'home',
} as const;

const pathsOf = (input: unknown) => {
  const result = trainingExampleSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('trainingExampleSchema', () => {
  it('still accepts an example without the optional fields (written before they existed)', () => {
    expect(trainingExampleSchema.parse(v1Example())).toEqual(v1Example());
  });

  it('accepts and keeps the attribution fields', () => {
    expect(trainingExampleSchema.parse({ ...v1Example(), ...servedClick })).toEqual({ ...v1Example(), ...servedClick });
  });

  it.each(['view', 'cart', 'favorite', 'order', 'click'] as const)('accepts an interaction of kind %s without recommendation fields', (kind) => {
    expect(pathsOf({ ...v1Example(), kind })).toEqual([]);
  });

  it.each([
    [{ kind: 'purchase' }, 'kind'],
    [{ tenant: 'Acme Corp' }, 'tenant'],
    [{ position: 0 }, 'position'],
    [{ position: 1.5 }, 'position'],
    [{ sourceEventId: '  ' }, 'sourceEventId'],
    [{ featureTime: '2024-05-01T10:15:31Z' }, 'featureTime'],
  ])('rejects %j at %s', (overrides, path) => {
    expect(pathsOf({ ...v1Example(), ...overrides })).toContain(path);
  });

  it.each(['recommendationId', 'modelVersion', 'position'] as const)('requires %s on served outcomes', (field) => {
    for (const kind of ['served-click', 'served-purchase'] as const) {
      const { [field]: _omitted, ...rest } = { ...servedClick, kind };
      expect(pathsOf({ ...v1Example(), ...rest })).toEqual([field]);
    }
  });

  it('accepts featureTime equal to eventTime', () => {
    expect(pathsOf({ ...v1Example(), featureTime: v1Example().eventTime })).toEqual([]);
  });

  it('documents the new fields as optional in the JSON Schema', () => {
    const schema = topicPayloadJsonSchema('retail.training-examples.v1') as { required: string[]; properties: Record<string, unknown> };
    expect([...schema.required].sort()).toEqual(['eventTime', 'exampleId', 'featureTime', 'itemFeatures', 'label', 'sku', 'userFeatures', 'userId']);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['kind', 'tenant', 'sourceEventId', 'recommendationId', 'modelName', 'modelVersion', 'position', 'surface']),
    );
  });
});
