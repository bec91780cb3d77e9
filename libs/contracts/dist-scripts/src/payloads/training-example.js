"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.trainingExampleSchema = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
/**
 * A labelled (user, item) pair with features as they were before the label's
 * event. `featureTime <= eventTime` is what point-in-time correctness means
 * here: a feature computed after the outcome leaks the label.
 */
exports.trainingExampleSchema = zod_1.z
    .object({
    exampleId: (0, primitives_1.identifier)(),
    userId: (0, primitives_1.identifier)(),
    sku: (0, primitives_1.identifier)(),
    label: zod_1.z.number(),
    eventTime: (0, primitives_1.utcTimestamp)(),
    featureTime: (0, primitives_1.utcTimestamp)(),
    userFeatures: (0, primitives_1.numericRecord)(),
    itemFeatures: (0, primitives_1.numericRecord)(),
})
    .superRefine((example, ctx) => {
    if (Date.parse(example.featureTime) > Date.parse(example.eventTime)) {
        ctx.addIssue({ code: 'custom', path: ['featureTime'], message: 'must not be later than eventTime (feature leakage)' });
    }
});
