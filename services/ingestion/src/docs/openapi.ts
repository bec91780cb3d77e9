import { EVENT_TYPE_NAMES, eventJsonSchema } from '@storeloop/contracts';
import type { IngestSettings } from '../config';

const problem = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: ['INGEST.BODY_MALFORMED'] }, message: { type: 'string' } },
  additionalProperties: true,
};

function problemResponse(description: string, codes: string[]) {
  return { description: `${description} Codes: ${codes.join(', ')}.`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

/**
 * The OpenAPI 3.1 document of the ingestion API, built from the same zod
 * schemas that validate requests (via their JSON Schema export), so the
 * document cannot drift from what is enforced.
 */
export function ingestionOpenApi(settings: IngestSettings): Record<string, unknown> {
  const eventSchemas = Object.fromEntries(EVENT_TYPE_NAMES.map((type) => [type, eventJsonSchema(type, { io: 'input' })]));
  const anyEvent = { oneOf: EVENT_TYPE_NAMES.map((type) => ({ $ref: `#/components/schemas/${encodeURIComponent(type)}` })) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storeloop ingestion',
      version: '1',
      description:
        'Retail events (CloudEvents 1.0, structured JSON) in batches. An event id already seen within the dedup window is counted as a duplicate and not written again.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: problem,
        ...Object.fromEntries(Object.entries(eventSchemas).map(([type, schema]) => [encodeURIComponent(type), schema])),
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/v1/events': {
        post: {
          summary: 'Ingest a batch of events',
          description: `Up to ${settings.INGEST_MAX_EVENTS} events and ${settings.INGEST_MAX_BYTES} bytes. Answered 202 only after Kafka acknowledged every accepted event (acks=all). Needs the "ingest" scope.`,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'array', items: anyEvent, maxItems: settings.INGEST_MAX_EVENTS } },
              'application/x-ndjson': { schema: { type: 'string', description: 'one event (JSON object) per line' } },
            },
          },
          responses: {
            '202': {
              description: 'Per-event result; valid events of a partly bad batch are accepted.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['accepted', 'duplicates', 'rejected'],
                    properties: {
                      accepted: { type: 'integer' },
                      duplicates: { type: 'integer' },
                      rejected: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['index', 'code', 'path', 'message'],
                          properties: { index: { type: 'integer' }, code: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } },
                        },
                      },
                    },
                  },
                },
              },
            },
            '400': problemResponse('Malformed body (with the parse position), empty batch, or not an array.', ['INGEST.BODY_MALFORMED', 'INGEST.BODY_NOT_ARRAY', 'INGEST.BODY_EMPTY']),
            '401': problemResponse('No API key, or an unknown one.', ['AUTH.API_KEY_MISSING', 'AUTH.API_KEY_UNKNOWN']),
            '403': problemResponse('The key lacks the ingest scope.', ['AUTH.SCOPE_MISSING']),
            '413': problemResponse('Too many bytes or events.', ['INGEST.BODY_TOO_LARGE', 'INGEST.TOO_MANY_EVENTS']),
            '415': problemResponse('Unsupported Content-Type.', ['INGEST.UNSUPPORTED_MEDIA_TYPE']),
            '429': problemResponse('Over the key rate limit; see Retry-After.', ['RATE_LIMITED']),
            '503': problemResponse('Kafka did not acknowledge; retry after Retry-After.', ['INGEST.KAFKA_UNAVAILABLE']),
          },
        },
      },
    },
  };
}
