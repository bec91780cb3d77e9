"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.userErasureRequestedData = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
exports.userErasureRequestedData = zod_1.z.object({
    userId: (0, primitives_1.identifier)(),
    /** Operator or system that filed the request (CRM ticket owner, privacy portal). */
    requestedBy: (0, primitives_1.identifier)(),
    reason: zod_1.z.string().trim().min(1, 'must not be empty').max(1000),
});
