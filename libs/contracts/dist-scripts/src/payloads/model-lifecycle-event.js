"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.modelLifecycleEventSchema = exports.MODEL_STAGES = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
exports.MODEL_STAGES = ['trained', 'evaluated', 'promoted', 'rejected', 'rolled_back'];
/**
 * One step in a model version's life on `retail.models.v1`. The topic is
 * compacted by model name, so only the latest event per model survives; each
 * event therefore states the champion in force after it, and a restarted
 * inference service can load the champion even when the last event was a
 * rejected challenger.
 */
exports.modelLifecycleEventSchema = zod_1.z.object({
    modelName: (0, primitives_1.identifier)(),
    version: (0, primitives_1.identifier)(),
    stage: zod_1.z.enum(exports.MODEL_STAGES),
    /** The version serving as champion after this event; null until one is promoted. */
    championVersion: (0, primitives_1.identifier)().nullable(),
    metrics: (0, primitives_1.numericRecord)().default({}),
    artifactUri: (0, primitives_1.absoluteUri)(),
    /** TF.js backend that trained it: tensorflow (GPU or CPU), wasm or cpu. */
    backend: (0, primitives_1.identifier)(),
    at: (0, primitives_1.utcTimestamp)(),
    /** Why it was rejected or rolled back. */
    reason: zod_1.z.string().trim().min(1).optional(),
});
