import { modelLifecycleEventSchema } from '@storeloop/contracts';
import { artifactMetadataSchema, championPointerSchema } from '@storeloop/ml';
import { z } from 'zod';

const problem = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: ['TRAINING.VERSION_NOT_FOUND'] }, message: { type: 'string' } },
  additionalProperties: true,
};

const problemResponse = (description: string, codes: string[]) => ({
  description: `${description} Codes: ${codes.join(', ')}.`,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const auth = {
  '401': problemResponse('No API key, or an unknown one.', ['AUTH.API_KEY_MISSING', 'AUTH.API_KEY_UNKNOWN']),
  '403': problemResponse('The key lacks the admin scope.', ['AUTH.SCOPE_MISSING']),
  '404': problemResponse('This service does not train that model.', ['TRAINING.MODEL_NOT_FOUND']),
};

/** `details.training` of a scorer version (model/scorer.ts `ScorerTrainingSummary`): the dashboard plots `curve`. */
const scorerTraining = {
  type: 'object',
  required: ['epochs', 'bestEpoch', 'validationLoss', 'curve'],
  properties: {
    epochs: { type: 'integer', minimum: 1, description: 'Epochs trained (early stopping may end before TRAINING_MAX_EPOCHS).' },
    bestEpoch: { type: 'integer', minimum: 1, description: 'The epoch whose weights the artifact holds.' },
    validationLoss: { type: 'number', description: 'Validation cross-entropy at bestEpoch.' },
    curve: {
      type: 'array',
      maxItems: 1000,
      description: 'One point per epoch trained, in order (absent on versions trained before this field existed).',
      items: {
        type: 'object',
        required: ['epoch', 'loss', 'validationLoss'],
        properties: {
          epoch: { type: 'integer', minimum: 1 },
          loss: { type: 'number', description: 'Mean training loss of the epoch (binary cross-entropy, plus the L2 term when configured).' },
          validationLoss: { type: 'number', description: 'Validation binary cross-entropy after the epoch.' },
        },
      },
    },
  },
};

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const eventAnswer = json({ type: 'object', properties: { event: { $ref: '#/components/schemas/ModelLifecycleEvent' } } }, 'The lifecycle event published on retail.models.v1.');
const nameParam = [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Model name (TRAINING_MODEL_NAME).' }];

/** OpenAPI 3.1 document of the training admin API; schemas come from the zod schemas that validate the same data. */
export function trainingOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storeloop training',
      version: '1',
      description: 'Model versions, champion pointer and lifecycle actions. Every route needs an API key with the "admin" scope.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: problem,
        ModelLifecycleEvent: z.toJSONSchema(modelLifecycleEventSchema, { io: 'output' }),
        ArtifactMetadata: z.toJSONSchema(artifactMetadataSchema, { io: 'output' }),
        ChampionPointer: z.toJSONSchema(championPointerSchema, { io: 'output' }),
        ScorerTraining: scorerTraining,
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/v1/models': {
        get: {
          summary: 'Models with their champion pointer and number of versions',
          responses: { '200': json({ type: 'object' }, 'Models.'), ...auth },
        },
      },
      '/v1/models/{name}/versions': {
        get: {
          summary: 'Versions of a model, newest first, with metadata (data window, metrics, backend, git revision, parent)',
          parameters: nameParam,
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  champion: { oneOf: [{ $ref: '#/components/schemas/ChampionPointer' }, { type: 'null' }] },
                  versions: {
                    type: 'array',
                    items: {
                      allOf: [
                        { $ref: '#/components/schemas/ArtifactMetadata' },
                        { type: 'object', properties: { details: { type: 'object', properties: { training: { $ref: '#/components/schemas/ScorerTraining' } } } } },
                      ],
                    },
                  },
                },
              },
              'Versions.',
            ),
            ...auth,
          },
        },
      },
      '/v1/models/{name}/promote': {
        post: {
          summary: 'Make a version the champion by hand',
          parameters: nameParam,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['version'], properties: { version: { type: 'string' }, reason: { type: 'string' } } } } },
          },
          responses: {
            '200': eventAnswer,
            '400': problemResponse('Bad body.', ['TRAINING.BODY_INVALID']),
            ...auth,
            '409': problemResponse('Already the champion.', ['TRAINING.ALREADY_CHAMPION']),
          },
        },
      },
      '/v1/models/{name}/rollback': {
        post: {
          summary: 'Restore the champion before the current one',
          parameters: nameParam,
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } },
          responses: { '200': eventAnswer, ...auth, '409': problemResponse('Nothing to roll back to.', ['TRAINING.NO_CHAMPION', 'TRAINING.NO_PREVIOUS_CHAMPION']) },
        },
      },
      '/v1/models/{name}/train': {
        post: {
          summary: 'Train now on the current window; answers when the run has ended',
          parameters: nameParam,
          responses: { '200': json({ type: 'object' }, 'Run summary: version, outcome, decision, holdout metrics.'), ...auth, '409': problemResponse('Window too small.', ['TRAINING.NOT_ENOUGH_EXAMPLES']) },
        },
      },
      '/v1/training/status': {
        get: { summary: 'Window size, new examples, last run, drift input, backend, champion', responses: { '200': json({ type: 'object' }, 'Status.'), ...auth } },
      },
    },
  };
}
