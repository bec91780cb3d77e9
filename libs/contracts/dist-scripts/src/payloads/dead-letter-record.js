"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.deadLetterRecordSchema = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
/**
 * What `retail.events.dlq.v1` carries: the original bytes (base64, so any
 * encoding survives JSON) with enough context to replay or discard them.
 * Kafka coordinates are null when the record came over HTTP (`POST /v1/events`).
 */
exports.deadLetterRecordSchema = zod_1.z.object({
    reason: zod_1.z.string().trim().min(1, 'must not be empty'),
    code: zod_1.z
        .string()
        .regex(/^[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+$/, 'must be a stable error code such as CONTRACT.SCHEMA_INVALID'),
    retriable: zod_1.z.boolean(),
    /** Field-level problems, for contract failures. */
    issues: zod_1.z.array(zod_1.z.object({ path: zod_1.z.string(), message: zod_1.z.string() })).default([]),
    sourceTopic: (0, primitives_1.identifier)().nullable(),
    partition: (0, primitives_1.nonNegativeInt)().nullable(),
    // Kafka offsets are int64; kafkajs hands them over as decimal strings.
    offset: zod_1.z.string().regex(/^\d+$/, 'must be a decimal offset').nullable(),
    key: zod_1.z.base64().nullable(),
    /** null for a tombstone. */
    value: zod_1.z.base64().nullable(),
    headers: zod_1.z.record(zod_1.z.string(), zod_1.z.base64()).default({}),
    failedAt: (0, primitives_1.utcTimestamp)(),
    attempts: (0, primitives_1.positiveInt)(),
    consumerGroup: (0, primitives_1.identifier)().nullable(),
});
