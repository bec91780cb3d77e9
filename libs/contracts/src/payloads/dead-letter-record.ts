import { z } from 'zod';
import { identifier, nonNegativeInt, positiveInt, utcTimestamp } from '../primitives';

/**
 * What `retail.events.dlq.v1` carries: the original bytes (base64, so any
 * encoding survives JSON) with enough context to replay or discard them.
 * Kafka coordinates are null when the record came over HTTP (`POST /v1/events`).
 */
export const deadLetterRecordSchema = z.object({
  reason: z.string().trim().min(1, 'must not be empty'),
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+$/, 'must be a stable error code such as CONTRACT.SCHEMA_INVALID'),
  retriable: z.boolean(),
  /** Field-level problems, for contract failures. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).default([]),
  sourceTopic: identifier().nullable(),
  partition: nonNegativeInt().nullable(),
  // Kafka offsets are int64; kafkajs hands them over as decimal strings.
  offset: z.string().regex(/^\d+$/, 'must be a decimal offset').nullable(),
  key: z.base64().nullable(),
  /** null for a tombstone. */
  value: z.base64().nullable(),
  headers: z.record(z.string(), z.base64()).default({}),
  failedAt: utcTimestamp(),
  attempts: positiveInt(),
  consumerGroup: identifier().nullable(),
});

export type DeadLetterRecord = z.output<typeof deadLetterRecordSchema>;
