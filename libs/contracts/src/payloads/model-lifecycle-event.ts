import { z } from 'zod';
import { absoluteUri, identifier, numericRecord, utcTimestamp } from '../primitives';

export const MODEL_STAGES = ['trained', 'evaluated', 'promoted', 'rejected', 'rolled_back'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];

/**
 * One step in a model version's life on `retail.models.v1`. The topic is
 * compacted by model name, so only the latest event per model survives; each
 * event therefore states the champion in force after it, and a restarted
 * inference service can load the champion even when the last event was a
 * rejected challenger.
 */
export const modelLifecycleEventSchema = z.object({
  modelName: identifier(),
  version: identifier(),
  stage: z.enum(MODEL_STAGES),
  /** The version serving as champion after this event; null until one is promoted. */
  championVersion: identifier().nullable(),
  metrics: numericRecord().default({}),
  artifactUri: absoluteUri(),
  /** TF.js backend that trained it: tensorflow (GPU or CPU), wasm or cpu. */
  backend: identifier(),
  at: utcTimestamp(),
  /** Why it was rejected or rolled back. */
  reason: z.string().trim().min(1).optional(),
});

export type ModelLifecycleEvent = z.output<typeof modelLifecycleEventSchema>;
