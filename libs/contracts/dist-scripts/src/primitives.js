"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.numericRecord = exports.salesChannel = exports.SALES_CHANNELS = exports.money = exports.decimalAmount = exports.DECIMAL_AMOUNT = exports.currencyCode = exports.positiveInt = exports.nonNegativeInt = exports.calendarDate = exports.absoluteUri = exports.utcTimestamp = exports.identifier = void 0;
const zod_1 = require("zod");
/**
 * Building blocks shared by every schema. Each one normalises what it accepts
 * (trimmed ids, UTC timestamps, decimal-string money) so that parsing an
 * already-parsed value returns it unchanged: `retail.events.v1` carries the
 * normalised form and consumers may parse it again safely.
 */
const MAX_IDENTIFIER_LENGTH = 256;
/** An identifier (user, SKU, store, order...): trimmed; empty after trimming fails. */
const identifier = () => zod_1.z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_IDENTIFIER_LENGTH, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`);
exports.identifier = identifier;
// JSON Schema's `format: date-time` is RFC 3339, which requires seconds; zod's
// ISO check makes them optional, so the refinement closes that gap.
const HAS_SECONDS = /T\d{2}:\d{2}:\d{2}/;
/**
 * An RFC 3339 timestamp with `Z` or a numeric offset, normalised to UTC
 * (`2024-05-01T10:00:00+02:00` parses to `2024-05-01T08:00:00.000Z`).
 * Sub-millisecond digits are dropped: JavaScript dates hold milliseconds.
 */
const utcTimestamp = () => zod_1.z.iso
    .datetime({
    offset: true,
    abort: true,
    error: 'must be an RFC 3339 timestamp with a Z or ±hh:mm offset, e.g. 2024-05-01T10:00:00Z',
})
    .refine((value) => HAS_SECONDS.test(value), 'must include seconds (RFC 3339)')
    .transform((value) => new Date(value).toISOString())
    .pipe(zod_1.z.iso.datetime());
exports.utcTimestamp = utcTimestamp;
/** An absolute URI (`https://...`, `file:///...`, `s3://...`). */
const absoluteUri = () => zod_1.z.url({ error: 'must be an absolute URI' });
exports.absoluteUri = absoluteUri;
/** A calendar day, `YYYY-MM-DD` (replenishment periods). */
const calendarDate = () => zod_1.z.iso.date({ error: 'must be a calendar date, YYYY-MM-DD' });
exports.calendarDate = calendarDate;
const nonNegativeInt = () => zod_1.z.number().int().nonnegative();
exports.nonNegativeInt = nonNegativeInt;
const positiveInt = () => zod_1.z.number().int().positive();
exports.positiveInt = positiveInt;
/** ISO 4217 alphabetic code, upper case as the standard writes it. */
const currencyCode = () => zod_1.z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code, three upper-case letters');
exports.currencyCode = currencyCode;
exports.DECIMAL_AMOUNT = /^-?\d+(\.\d{1,4})?$/;
/**
 * A decimal amount. Stored and emitted as a string so no price ever passes
 * through a binary float downstream; a JSON number is accepted on input as a
 * convenience for POS and web shops and converted with `String(n)`. A number
 * whose shortest form is not a plain decimal of at most 4 places (0.1 + 0.2,
 * 1e21) fails rather than being rounded.
 */
const decimalAmount = () => zod_1.z
    .union([
    zod_1.z.string().trim().regex(exports.DECIMAL_AMOUNT, 'must be a decimal string such as "12.99" (at most 4 decimal places)'),
    zod_1.z.number(),
])
    .transform((value) => (typeof value === 'number' ? String(value) : value))
    .pipe(zod_1.z.string().regex(exports.DECIMAL_AMOUNT, 'must be a decimal with at most 4 decimal places'));
exports.decimalAmount = decimalAmount;
const money = () => zod_1.z.object({
    amount: (0, exports.decimalAmount)(),
    currency: (0, exports.currencyCode)(),
});
exports.money = money;
/** Where a shopper acted. `unknown` is the default for producers that predate the field. */
exports.SALES_CHANNELS = ['web', 'app', 'pos', 'kiosk', 'call_center', 'marketplace', 'unknown'];
const salesChannel = () => zod_1.z.enum(exports.SALES_CHANNELS).default('unknown');
exports.salesChannel = salesChannel;
/** A map of numeric features or metrics; zod numbers reject NaN and ±Infinity, which JSON cannot carry. */
const numericRecord = () => zod_1.z.record(zod_1.z.string().min(1), zod_1.z.number());
exports.numericRecord = numericRecord;
