"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.orderPlacedData = exports.orderLine = void 0;
const zod_1 = require("zod");
const primitives_1 = require("../primitives");
const shopper_1 = require("./shopper");
exports.orderLine = zod_1.z.object({
    sku: (0, primitives_1.identifier)(),
    quantity: (0, primitives_1.positiveInt)(),
    unitPrice: (0, primitives_1.money)(),
});
exports.orderPlacedData = zod_1.z
    .object({
    ...shopper_1.shopperContext,
    orderId: (0, primitives_1.identifier)(),
    items: zod_1.z.array(exports.orderLine).min(1, 'an order has at least one line'),
})
    // One order, one currency: revenue features add line amounts without conversion.
    .superRefine((order, ctx) => {
    const currency = order.items[0]?.unitPrice.currency;
    order.items.forEach((line, index) => {
        if (line.unitPrice.currency !== currency) {
            ctx.addIssue({
                code: 'custom',
                path: ['items', index, 'unitPrice', 'currency'],
                message: `all lines of an order share one currency (line 0 is ${currency})`,
            });
        }
    });
});
