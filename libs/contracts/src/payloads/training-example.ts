import { z } from 'zod';
import { cloudEventEnvelopeSchema } from '../envelope';
import { identifier, numericRecord, positiveInt, utcTimestamp } from '../primitives';

/**
 * What an example's label stands for. Interactions (`view` ... `click`) are
 * implicit positives, label 1. `served-click` and `served-purchase` join a
 * served recommendation with its outcome inside an attribution window: label
 * 1 when the item was clicked or bought, 0 when the window closed without it.
 */
export const TRAINING_EXAMPLE_KINDS = ['view', 'cart', 'favorite', 'order', 'click', 'served-click', 'served-purchase'] as const;
export type TrainingExampleKind = (typeof TRAINING_EXAMPLE_KINDS)[number];

const SERVED_KINDS: ReadonlySet<TrainingExampleKind> = new Set(['served-click', 'served-purchase']);

/**
 * A labelled (user, item) pair with features as they were before the label's
 * event. `featureTime <= eventTime` is what point-in-time correctness means
 * here: a feature computed after the outcome leaks the label.
 *
 * Fields after `itemFeatures` came later and are optional, so examples from
 * older producers stay valid.
 */
export const trainingExampleSchema = z
  .object({
    exampleId: identifier().describe('Deterministic: the same outcome always gives the same id, so consumers deduplicate on it.'),
    userId: identifier(),
    sku: identifier(),
    label: z.number(),
    eventTime: utcTimestamp(),
    featureTime: utcTimestamp(),
    userFeatures: numericRecord(),
    itemFeatures: numericRecord(),
    kind: z.enum(TRAINING_EXAMPLE_KINDS).optional().describe('What the label stands for; absent in examples from older producers.'),
    // The envelope's own tenant rule, without its default: absent means unknown here.
    tenant: cloudEventEnvelopeSchema.shape.tenant.unwrap().optional().describe('The retailer: the tenant of the events behind the example.'),
    sourceEventId: identifier().optional().describe('Id of the CloudEvent that produced the label; absent for negatives (a closed window).'),
    recommendationId: identifier().optional().describe('The served recommendation the outcome is attributed to.'),
    modelName: identifier().optional(),
    modelVersion: identifier().optional().describe('Version of the model that served the recommendation.'),
    position: positiveInt().optional().describe('1-based rank of the item in the served list.'),
    surface: identifier().optional().describe('Where the recommendation was shown: home, pdp, cart, email...'),
  })
  .superRefine((example, ctx) => {
    if (Date.parse(example.featureTime) > Date.parse(example.eventTime)) {
      ctx.addIssue({ code: 'custom', path: ['featureTime'], message: 'must not be later than eventTime (feature leakage)' });
    }
    // A served outcome is only usable (counterfactual evaluation, position bias) with what was served.
    if (example.kind !== undefined && SERVED_KINDS.has(example.kind)) {
      for (const field of ['recommendationId', 'modelVersion', 'position'] as const) {
        if (example[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required when kind is ${example.kind}` });
      }
    }
  });

export type TrainingExample = z.output<typeof trainingExampleSchema>;
