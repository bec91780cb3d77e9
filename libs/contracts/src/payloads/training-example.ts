import { z } from 'zod';
import { identifier, numericRecord, utcTimestamp } from '../primitives';

/**
 * A labelled (user, item) pair with features as they were before the label's
 * event. `featureTime <= eventTime` is what point-in-time correctness means
 * here: a feature computed after the outcome leaks the label.
 */
export const trainingExampleSchema = z
  .object({
    exampleId: identifier(),
    userId: identifier(),
    sku: identifier(),
    label: z.number(),
    eventTime: utcTimestamp(),
    featureTime: utcTimestamp(),
    userFeatures: numericRecord(),
    itemFeatures: numericRecord(),
  })
  .superRefine((example, ctx) => {
    if (Date.parse(example.featureTime) > Date.parse(example.eventTime)) {
      ctx.addIssue({ code: 'custom', path: ['featureTime'], message: 'must not be later than eventTime (feature leakage)' });
    }
  });

export type TrainingExample = z.output<typeof trainingExampleSchema>;
