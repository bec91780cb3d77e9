import { TOPICS, topicPayloadJsonSchema } from '@storeloop/contracts';

const problem = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', examples: ['REPLENISHMENT.INVALID_PATH_PARAM'] }, message: { type: 'string' } },
  additionalProperties: true,
};

function problemResponse(description: string, codes: string[]) {
  return { description: `${description} Codes: ${codes.join(', ')}.`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });

const policyOrder = {
  type: 'object',
  required: ['policy', 'policyVersion', 'quantity'],
  properties: { policy: { type: 'string' }, policyVersion: { type: 'string' }, quantity: { type: 'integer', minimum: 0 } },
};

const decision = {
  type: 'object',
  required: ['sku', 'store', 'period', 'decidedAt', 'state', 'forecast', 'classical', 'learned', 'acting', 'quantity'],
  properties: {
    sku: { type: 'string' },
    store: { type: 'string' },
    period: { type: 'string', format: 'date', description: 'UTC day the decision is for (the order forPeriod).' },
    decidedAt: { type: 'string', format: 'date-time' },
    state: {
      type: 'object',
      description: 'Stock per the feature store; pipeline: units arriving in 1, 2, ... days as the policies saw them.',
      properties: {
        onHand: { type: 'integer' },
        onOrder: { type: 'integer' },
        pipeline: { type: 'array', items: { type: 'number' } },
        inventoryPosition: { type: 'number' },
      },
    },
    forecast: {
      type: 'object',
      description: 'Daily demand: rolling mean and standard deviation over the forecast window.',
      properties: { mean: { type: 'number' }, std: { type: 'number' }, historyDays: { type: 'integer' } },
    },
    classical: policyOrder,
    learned: { oneOf: [policyOrder, { type: 'null' }] },
    learnedError: { type: 'string' },
    acting: { enum: ['learned', 'classical'] },
    quantity: { type: 'integer', minimum: 0, description: "The acting policy's order; 0 is not published." },
    order: {
      oneOf: [
        {
          type: 'object',
          properties: {
            orderId: { type: 'string' },
            quantity: { type: 'integer' },
            policy: { type: 'string' },
            policyVersion: { type: 'string' },
            state: { enum: ['pending', 'published'] },
            publishedAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        { type: 'null' },
      ],
    },
  },
};

const score = { type: 'object', properties: { cost: { type: 'number' }, fillRate: { type: 'number' } } };
const trainingRun = {
  type: 'object',
  required: ['version', 'outcome', 'startedAt', 'finishedAt'],
  properties: {
    version: { type: 'string' },
    outcome: { enum: ['promoted', 'rejected', 'failed'] },
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    trainSeconds: { type: 'number' },
    series: { type: 'integer' },
    testDays: { type: 'integer' },
    learned: score,
    classical: score,
    reason: { type: 'string' },
    artifactUri: { type: 'string', description: 'Where the artifact is stored (file:// or s3://).' },
  },
};

const policyDay = {
  type: 'object',
  required: ['onHand', 'order'],
  properties: {
    onHand: { type: 'number', description: 'Units on hand at the end of the day, after its demand.' },
    order: { type: 'integer', minimum: 0, description: 'Units ordered at the start of the day, on the shelf leadTimeDays later.' },
  },
};

const simulation = {
  type: 'object',
  required: ['sku', 'store', 'days', 'policy', 'leadTimeDays', 'costs', 'initialOnHand', 'series', 'totals'],
  properties: {
    sku: { type: 'string' },
    store: { type: 'string' },
    days: { type: 'integer', description: 'Days replayed: the days asked for, or the whole history since the first sale when shorter.' },
    policy: {
      type: 'object',
      required: ['name', 'version', 'promoted', 'outcome', 'baseline'],
      description:
        'The learned policy replayed (version asked for, else the promoted one, else the newest trained), and the base-stock policy tuned in the same run, which it corrects (for the serving policy, the baseline of the published orders).',
      properties: {
        name: { type: 'string' },
        version: { type: 'string', description: 'The training run (GET /v1/policies).' },
        promoted: { type: 'boolean', description: 'false: the run was rejected (it did not beat its tuned base-stock on held-out days) and its policy never placed an order.' },
        outcome: { enum: ['promoted', 'rejected'], description: "The run's outcome." },
        baseline: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
      },
    },
    leadTimeDays: { type: 'integer' },
    costs: { type: 'object', description: 'Per unit: holding per day left on hand, penalty per unit of demand lost.', properties: { holding: { type: 'number' }, penalty: { type: 'number' } } },
    initialOnHand: { type: 'number', description: 'Stock both runs start from: the base-stock level of the forecast on the first day.' },
    series: {
      type: 'array',
      maxItems: 365,
      items: {
        type: 'object',
        required: ['day', 'demand', 'learned', 'baseStock'],
        properties: {
          day: { type: 'integer', minimum: 1 },
          date: { type: 'string', format: 'date' },
          demand: { type: 'number', description: 'Units sold that day per the feature store (the observed demand).' },
          learned: policyDay,
          baseStock: policyDay,
        },
      },
    },
    totals: {
      type: 'object',
      properties: {
        learned: {
          type: 'object',
          properties: { ...score.properties, fallbackDays: { type: 'integer', description: 'Days the learned answer was unusable and the base-stock order stood in, as in the service.' } },
        },
        baseStock: score,
      },
    },
  },
};

const pairParams = [
  { name: 'sku', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } },
  { name: 'store', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } },
];

const auth = {
  '401': problemResponse('No API key, or an unknown one.', ['AUTH.API_KEY_MISSING', 'AUTH.API_KEY_UNKNOWN']),
  '403': problemResponse('The key lacks the scope.', ['AUTH.SCOPE_MISSING']),
  '429': problemResponse('Over the key rate limit; see Retry-After.', ['RATE_LIMITED']),
};

/** The OpenAPI 3.1 document of the replenishment API; the order schema comes from the contract itself. */
export function replenishmentOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Storeloop replenishment',
      version: '1',
      description:
        'Replenishment decisions per SKU and store: the classical forecast base-stock order and the learned policy order, and the one placed on retail.replenishment.v1 (at most one per SKU, store and UTC day).',
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: problem,
        Decision: decision,
        TrainingRun: trainingRun,
        PairSimulation: simulation,
        ReplenishmentOrder: topicPayloadJsonSchema(TOPICS.replenishment.name, { io: 'output' }),
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: {
      '/v1/replenishment/{sku}/{store}': {
        get: {
          summary: 'The latest decision for a SKU in a store',
          description: 'Needs the "infer" scope.',
          parameters: pairParams,
          responses: {
            '200': { description: 'The latest decision, with the order placed for its period if any.', content: json('Decision') },
            '400': problemResponse('A path parameter is empty, too long or has surrounding whitespace.', ['REPLENISHMENT.INVALID_PATH_PARAM']),
            '404': problemResponse('No review has decided for this pair yet.', ['REPLENISHMENT.NO_DECISION']),
            ...auth,
          },
        },
      },
      '/v1/replenishment/{sku}/{store}/review': {
        post: {
          summary: 'Review a SKU in a store now',
          description:
            'Decides with the current policies and publishes the order when positive, unless the period already has one (then that decision is returned). Needs the "admin" scope.',
          parameters: pairParams,
          responses: {
            '200': { description: 'The decision.', content: json('Decision') },
            '400': problemResponse('A path parameter is empty, too long or has surrounding whitespace.', ['REPLENISHMENT.INVALID_PATH_PARAM']),
            '404': problemResponse('The feature store holds nothing for this pair.', ['REPLENISHMENT.UNKNOWN_PAIR']),
            '503': problemResponse(
              'The feature store has not applied every event seen for the pair yet, or Kafka did not acknowledge the order; retry after Retry-After (the period still gets one order).',
              ['REPLENISHMENT.FEATURES_BEHIND', 'REPLENISHMENT.UNAVAILABLE'],
            ),
            ...auth,
          },
        },
      },
      '/v1/replenishment/pairs': {
        get: {
          summary: 'The SKU x store pairs the service reviews, most recent event first',
          description: 'Needs the "infer" scope.',
          parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }],
          responses: {
            '200': {
              description: 'At most limit pairs.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      limit: { type: 'integer' },
                      pairs: { type: 'array', items: { type: 'object', required: ['sku', 'store'], properties: { sku: { type: 'string' }, store: { type: 'string' } } } },
                    },
                  },
                },
              },
            },
            '400': problemResponse('limit is not an integer from 1 to 1000.', ['REPLENISHMENT.INVALID_QUERY_PARAM']),
            ...auth,
          },
        },
      },
      '/v1/replenishment/{sku}/{store}/simulation': {
        get: {
          summary: 'Replay a learned policy and the base-stock policy on the recent demand of a SKU in a store',
          description:
            'Runs the single-stage lost-sales simulator over the last `days` completed days of observed demand (feature store), once per policy, from the same stock, at the service lead time and costs. The learned policy is training run `version` (promoted or rejected) when given, else the promoted one, else the newest run that stored one (then `policy.promoted` is false). Deterministic. Needs the "infer" scope.',
          parameters: [
            ...pairParams,
            { name: 'days', in: 'query', required: false, schema: { type: 'integer', minimum: 7, maximum: 365, default: 56 } },
            { name: 'version', in: 'query', required: false, description: 'A training run that stored a policy (GET /v1/policies).', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            '200': { description: 'Both runs, day by day, and their totals.', content: json('PairSimulation') },
            '400': problemResponse('A bad path parameter, days not an integer from 7 to 365, or version not a positive integer.', ['REPLENISHMENT.INVALID_PATH_PARAM', 'REPLENISHMENT.INVALID_QUERY_PARAM']),
            '404': problemResponse('The feature store holds no completed day of sales for this pair, or no kept run of that version stored a policy.', [
              'REPLENISHMENT.UNKNOWN_PAIR',
              'REPLENISHMENT.UNKNOWN_POLICY_VERSION',
            ]),
            '503': problemResponse('No training run has stored a learned policy yet, or the chosen one could not be loaded from the artifact store.', [
              'REPLENISHMENT.NO_LEARNED_POLICY',
              'REPLENISHMENT.POLICY_LOAD_FAILED',
            ]),
            ...auth,
          },
        },
      },
      '/v1/policies': {
        get: {
          summary: 'Policy versions and evaluation costs',
          description: 'The acting policy, the classical and learned versions, the promoted training run and the last runs with their held-out costs. Needs the "infer" scope.',
          responses: {
            '200': {
              description: 'Policies.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      acting: { enum: ['learned', 'classical'] },
                      classical: { type: 'object', properties: { policy: { type: 'string' }, policyVersion: { type: 'string' } } },
                      learned: { oneOf: [{ type: 'object', properties: { policy: { type: 'string' }, policyVersion: { type: 'string' } } }, { type: 'null' }] },
                      forecastWindowDays: { type: 'integer' },
                      promoted: { oneOf: [{ $ref: '#/components/schemas/TrainingRun' }, { type: 'null' }] },
                      runs: { type: 'array', items: { $ref: '#/components/schemas/TrainingRun' } },
                      trainingInProgress: { type: 'boolean' },
                    },
                  },
                },
              },
            },
            ...auth,
          },
        },
      },
      '/v1/policies/train': {
        post: {
          summary: 'Train the learned policy now',
          description: 'Runs one training (bounded by REPLENISHMENT_TRAIN_BUDGET_MS) and answers with the run. Needs the "admin" scope.',
          responses: {
            '200': { description: 'The run, or outcome "skipped" with the reason.', content: json('TrainingRun') },
            '409': problemResponse('A run is already in progress here.', ['REPLENISHMENT.TRAINING_BUSY']),
            ...auth,
          },
        },
      },
    },
  };
}
