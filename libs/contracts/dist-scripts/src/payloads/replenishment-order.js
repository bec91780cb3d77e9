"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.replenishmentOrderSchema = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
/** A proposed purchase for one SKU in one store and period, with the policy that chose it. */
exports.replenishmentOrderSchema = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    store: (0, primitives_1.identifier)(),
    quantity: (0, primitives_1.positiveInt)(),
    /** e.g. rl-ppo, base-stock, s-S: orders from competing policies stay comparable. */
    policy: (0, primitives_1.identifier)(),
    policyVersion: (0, primitives_1.identifier)(),
    forPeriod: (0, primitives_1.calendarDate)(),
    createdAt: (0, primitives_1.utcTimestamp)(),
});
