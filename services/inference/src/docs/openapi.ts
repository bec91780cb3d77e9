import { INFERENCE_ERRORS } from '../http/params';

const problem = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: [INFERENCE_ERRORS.paramInvalid] }, message: { type: 'string' } },
  additionalProperties: true,
};

const problemResponse = (description: string, codes: string[]) => ({
  description: `${description} Codes: ${codes.join(', ')}.`,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });

const auth = (scope: string) => ({
  '401': problemResponse('No API key, or an unknown one.', ['AUTH.API_KEY_MISSING', 'AUTH.API_KEY_UNKNOWN']),
  '403': problemResponse(`The key lacks the ${scope} scope.`, ['AUTH.SCOPE_MISSING']),
  '429': problemResponse("Over the key's rate limit (see Retry-After).", ['HTTP.RATE_LIMITED']),
});

const badRequest = (codes: string[]) => ({ '400': problemResponse('Malformed parameters or body.', codes) });

const degradedHeader = {
  'Storeloop-Degraded': {
    description: 'Present on a degraded answer, naming why (`feature-store-unavailable`): the list was built from memory without the feature store.',
    schema: { type: 'string', enum: ['feature-store-unavailable'] },
  },
};

const featureStoreUnavailable = (what: string) => ({
  description: `${what} needs the user's features and the feature store (Redis) is down or slow: retry after \`Retry-After\` seconds. A dependency fault, not one of this service. Codes: ${INFERENCE_ERRORS.featureStoreUnavailable}.`,
  headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds (INFERENCE_REDIS_RETRY_MS, at least 1).' } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const query = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, schema, description });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });

const common = [
  query('k', 'Items wanted, 1 to INFERENCE_MAX_K (default INFERENCE_DEFAULT_K).', { type: 'integer', minimum: 1 }),
  query('store', 'Store the shopper buys in: items with no units there are left out (INFERENCE_EXCLUDE_OUT_OF_STOCK).'),
  query('exclude', 'Comma-separated SKUs to leave out of this answer.'),
  query('tenant', 'Tenant (one of INFERENCE_TENANTS; default the first).'),
  query('context', 'Where the list is shown (home, pdp, cart, email...); recorded as the impression surface.'),
];

const recommendedItem = {
  type: 'object',
  required: ['sku', 'score', 'position', 'reason', 'source'],
  properties: {
    sku: { type: 'string' },
    score: { type: 'number', description: "The scorer's calibrated probability for re-ranked items; the retrieval score otherwise." },
    position: { type: 'integer', minimum: 1 },
    reason: { type: 'string', examples: ['bought together with SKU-1', 'popular in Garden this week', 'similar to SKU-7 you viewed'] },
    source: { type: 'string', enum: ['embedding', 'co-purchased', 'co-viewed', 'popular'] },
  },
};

const recommendation = {
  type: 'object',
  required: ['recommendationId', 'tenant', 'userId', 'surface', 'modelName', 'modelVersion', 'arm', 'coldStart', 'items'],
  properties: {
    recommendationId: { type: 'string', description: 'Cite it in clicks and purchases (POST /v1/feedback).' },
    tenant: { type: 'string' },
    userId: { type: ['string', 'null'] },
    surface: { type: 'string' },
    store: { type: 'string' },
    modelName: { type: 'string' },
    modelVersion: { type: 'string', description: '"popularity" for a cold-start answer.' },
    arm: { type: 'string', enum: ['champion', 'challenger', 'cold-start'] },
    coldStart: { type: 'boolean', description: 'True when the user is unknown or has no usable history: the list is popularity.' },
    degraded: {
      type: 'boolean',
      description:
        'True when the feature store (Redis) could not be read within INFERENCE_REDIS_DEADLINE_MS: the list comes from memory (popularity of the last catalogue snapshot, the model\'s embeddings and the item neighbours) without the user\'s history and the rules that need it; with `store`, stock follows INFERENCE_UNKNOWN_STOCK. Also the Storeloop-Degraded header.',
    },
    degradedReason: { type: 'string', enum: ['FEATURE_STORE_UNAVAILABLE'], description: 'Why, when degraded.' },
    items: { type: 'array', items: { $ref: '#/components/schemas/RecommendedItem' } },
  },
};

/** OpenAPI 3.1 document of the inference API, served at /docs. */
export function inferenceOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storeloop inference',
      version: '1',
      description:
        'Recommendations, similar items, propensity and segments for storefront backends (API key with the "infer" scope), feedback on what was served, and model status (the "admin" scope). Every list answered to a user is logged as an impression on retail.feedback.v1.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Problem: problem, RecommendedItem: recommendedItem, Recommendation: recommendation, Feedback: FEEDBACK_SCHEMA },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/v1/users/{userId}/recommendations': {
        get: {
          summary: 'Recommendations for a user',
          description:
            'Candidates from the serving version\'s item embeddings (the user\'s last items), items bought or viewed together with them and popular items; purchased, excluded, inactive and out-of-stock items left out; re-ranked by the scorer; at most INFERENCE_MAX_PER_CATEGORY per category. An unknown user is not an error: the answer is popularity (in `category` or the user\'s favourite category), marked coldStart.',
          parameters: [path('userId', 'The shopper.'), ...common, query('category', 'Only items under this category path (levels joined by " > ").')],
          responses: { '200': { ...json({ $ref: '#/components/schemas/Recommendation' }, 'The list (`degraded: true` when built without the feature store).'), headers: degradedHeader }, ...badRequest([INFERENCE_ERRORS.paramInvalid, INFERENCE_ERRORS.tenantUnknown]), ...auth('infer') },
        },
      },
      '/v1/recommendations:batch': {
        post: {
          summary: 'Recommendations for up to INFERENCE_BATCH_MAX_USERS users (default 100), one Redis round trip',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['requests'],
                  properties: {
                    tenant: { type: 'string' },
                    k: { type: 'integer' },
                    context: { type: 'string' },
                    requests: {
                      type: 'array',
                      items: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' }, k: { type: 'integer' }, store: { type: 'string' }, category: { type: 'string' }, context: { type: 'string' } } },
                    },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              ...json({ type: 'object', properties: { results: { type: 'array', items: { $ref: '#/components/schemas/Recommendation' } } } }, 'One answer per request, in order (each `degraded: true` when built without the feature store).'),
              headers: degradedHeader,
            },
            ...badRequest([INFERENCE_ERRORS.bodyInvalid, INFERENCE_ERRORS.paramInvalid, INFERENCE_ERRORS.tenantUnknown]),
            ...auth('infer'),
          },
        },
      },
      '/v1/items/{itemId}/similar': {
        get: {
          summary: 'Items similar to an item',
          description: 'Nearest items in the item embeddings, then items bought and viewed together with it, then popular items of its category. With `userId` the answer is an impression and uses the user\'s A/B arm.',
          parameters: [path('itemId', 'The item (SKU).'), ...common, query('userId', 'The shopper looking, when known.')],
          responses: {
            '200': { ...json({ $ref: '#/components/schemas/Recommendation' }, 'The list (userId null without one; `degraded: true` when a feature store read for `userId` or `store` was skipped).'), headers: degradedHeader },
            '404': problemResponse('Neither the model nor the feature store knows the item.', [INFERENCE_ERRORS.itemUnknown]),
            ...badRequest([INFERENCE_ERRORS.paramInvalid, INFERENCE_ERRORS.tenantUnknown]),
            ...auth('infer'),
          },
        },
      },
      '/v1/propensity': {
        post: {
          summary: 'Purchase probabilities of users',
          description:
            "The scorer's calibrated probability of a positive outcome on `sku`, or without one on the best of the items the user would be recommended (that item is named). Unknown users get the probability of their features (all zero).",
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['users'], properties: { tenant: { type: 'string' }, users: { type: 'array', items: { type: 'string' } }, sku: { type: 'string' } } } } },
          },
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  modelName: { type: 'string' },
                  predictions: {
                    type: 'array',
                    items: { type: 'object', properties: { userId: { type: 'string' }, known: { type: 'boolean' }, probability: { type: ['number', 'null'] }, sku: { type: ['string', 'null'] }, modelVersion: { type: ['string', 'null'] } } },
                  },
                },
              },
              'One prediction per user, in order.',
            ),
            '503': {
              ...problemResponse('No version with a scorer is loaded yet, or the feature store is unavailable (with Retry-After).', [INFERENCE_ERRORS.noModel, INFERENCE_ERRORS.featureStoreUnavailable]),
              headers: featureStoreUnavailable('Propensity').headers,
            },
            ...badRequest([INFERENCE_ERRORS.bodyInvalid, INFERENCE_ERRORS.tenantUnknown]),
            ...auth('infer'),
          },
        },
      },
      '/v1/users/{userId}/segment': {
        get: {
          summary: "A user's consumer segment (RFM + k-means, written by the training service) and its profile",
          parameters: [path('userId', 'The shopper.'), query('tenant', 'Tenant.')],
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  userId: { type: 'string' },
                  tenant: { type: 'string' },
                  known: { type: 'boolean' },
                  segment: { type: ['object', 'null'], properties: { id: { type: 'string' }, version: { type: 'string' }, index: { type: 'integer' }, profile: { type: ['object', 'null'] } } },
                },
              },
              'The segment, or null when the user has none yet.',
            ),
            '503': featureStoreUnavailable('A segment'),
            ...badRequest([INFERENCE_ERRORS.paramInvalid, INFERENCE_ERRORS.tenantUnknown]),
            ...auth('infer'),
          },
        },
      },
      '/v1/feedback': {
        post: {
          summary: 'Clicks and purchases on served lists (to retail.feedback.v1)',
          description: 'Answered 202 once Kafka has the events or the local spool holds them on disk. Send `id` to make retries idempotent.',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Feedback' },
                    { type: 'object', required: ['events'], properties: { tenant: { type: 'string' }, events: { type: 'array', maxItems: 500, items: { $ref: '#/components/schemas/Feedback' } } } },
                  ],
                },
              },
            },
          },
          responses: {
            '202': json({ type: 'object', properties: { accepted: { type: 'integer' }, via: { type: 'string', enum: ['kafka', 'spooled'] }, ids: { type: 'array', items: { type: 'string' } } } }, 'Stored.'),
            '503': problemResponse('Neither Kafka nor the spool could take them; retry.', [INFERENCE_ERRORS.feedbackUnavailable]),
            ...badRequest([INFERENCE_ERRORS.bodyInvalid, INFERENCE_ERRORS.tenantUnknown]),
            ...auth('infer'),
          },
        },
      },
      '/v1/admin/models': {
        get: {
          summary: 'Versions serving, A/B split, online impressions / click-through / conversion per version, spool and catalogue',
          responses: { '200': json({ type: 'object' }, 'Status.'), ...auth('admin') },
        },
      },
      '/v1/admin/models/reload': { post: { summary: 'Re-read the champion pointer and challenger now', responses: { '200': json({ type: 'object' }, 'Status after.'), ...auth('admin') } } },
      '/v1/admin/catalog/refresh': {
        post: {
          summary: 'Reload the item catalogue from Redis now',
          responses: { '200': json({ type: 'object' }, 'Items per tenant.'), '503': featureStoreUnavailable('A catalogue reload (the previous snapshot keeps serving)'), ...auth('admin') },
        },
      },
      '/v1/admin/dashboard/series': {
        get: {
          summary: "Dashboard: events/s and consumer lag per DASHBOARD_TARGETS service (the targets' /metrics, scraped only while a page polls), and each target's scrape state",
          responses: { '200': json({ type: 'object' }, '`{ intervalMs, window, targets, events: [{ name, target, points: [[ms, value]] }], lag: [...] }`.'), ...auth('admin') },
        },
      },
      '/v1/admin/dashboard/models': {
        get: {
          summary: "Dashboard: model versions with holdout metrics and training curves (the training target's versions), the arm each serves here, online CTR / conversion",
          responses: { '200': json({ type: 'object' }, '`{ modelName, challengerShare, versions: [...], training: null | { code, message, target } }`.'), ...auth('admin') },
        },
      },
      '/v1/admin/dashboard/preview': {
        get: {
          summary: 'Dashboard: the list the storefront route would answer a user, not logged as an impression nor counted as served',
          parameters: [
            { ...query('user', 'The user id.'), required: true },
            query('k', 'Items wanted, 1 to INFERENCE_MAX_K.', { type: 'integer', minimum: 1 }),
            query('store', 'Store (stock rule).'),
            query('tenant', 'Tenant (one of INFERENCE_TENANTS).'),
          ],
          responses: { '200': json({ $ref: '#/components/schemas/Recommendation' }, 'The list, with `impressionLogged: false`.'), ...badRequest(['DASHBOARD.PARAM_INVALID']), ...auth('admin') },
        },
      },
      '/v1/admin/dashboard/replenishment/pairs': {
        get: {
          summary: "Dashboard: the SKU x store pairs the replenishment target reviews (its GET /v1/replenishment/pairs), most recently active first",
          responses: {
            '200': json({ type: 'object' }, '`{ pairs: [{ sku, store }] }`.'),
            '502': problemResponse('The replenishment service answered an error or another shape.', ['DASHBOARD.TARGET_UNAVAILABLE']),
            '503': problemResponse('The replenishment service did not answer, is not in DASHBOARD_TARGETS, or DASHBOARD_API_KEY is unset.', ['DASHBOARD.TARGET_UNAVAILABLE', 'DASHBOARD.TARGET_NOT_CONFIGURED', 'DASHBOARD.API_KEY_UNSET']),
            ...auth('admin'),
          },
        },
      },
      '/v1/admin/dashboard/replenishment': {
        get: {
          summary: "Dashboard: the replenishment target's simulation of the learned policy against base-stock for one SKU x store",
          parameters: [{ ...query('sku', 'SKU.'), required: true }, { ...query('store', 'Store.'), required: true }, query('days', 'Days replayed, 7 to 365 (default 56).', { type: 'integer', minimum: 7, maximum: 365 })],
          responses: {
            '200': json({ type: 'object' }, '`{ sku, store, days, policy: { name, version, promoted, outcome, baseline }, series: [{ day, date?, demand, learned: { onHand, order }, baseStock: { onHand, order } }], totals }`; `policy.promoted` false: the replenishment service replayed its newest trained policy, rejected on held-out days, as none is promoted.'),
            ...badRequest(['DASHBOARD.PARAM_INVALID', 'DASHBOARD.TARGET_REFUSED']),
            '404': problemResponse('The replenishment service knows nothing of the pair.', ['DASHBOARD.TARGET_REFUSED']),
            '502': problemResponse('The replenishment service answered an error or another shape.', ['DASHBOARD.TARGET_UNAVAILABLE']),
            '503': problemResponse('The replenishment service did not answer, is not in DASHBOARD_TARGETS, or DASHBOARD_API_KEY is unset.', ['DASHBOARD.TARGET_UNAVAILABLE', 'DASHBOARD.TARGET_NOT_CONFIGURED', 'DASHBOARD.API_KEY_UNSET']),
            ...auth('admin'),
          },
        },
      },
    },
  };
}

/** The feedback item schema, added to components (kept apart for readability). */
export const FEEDBACK_SCHEMA = {
  type: 'object',
  required: ['type', 'userId', 'recommendationId', 'sku'],
  properties: {
    type: { type: 'string', enum: ['click', 'purchase'] },
    tenant: { type: 'string', description: "The event's tenant; else the body's `tenant`, else `?tenant=`, else the first of INFERENCE_TENANTS." },
    id: { type: 'string', description: 'Idempotency key (the event id); random when absent.' },
    userId: { type: 'string' },
    recommendationId: { type: 'string' },
    sku: { type: 'string' },
    position: { type: 'integer', minimum: 1, description: '1-based position in the served list; required for clicks.' },
    quantity: { type: 'integer', minimum: 1, description: 'Purchases; default 1.' },
    orderId: { type: 'string' },
    sessionId: { type: 'string' },
    store: { type: 'string' },
    channel: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
  },
};
