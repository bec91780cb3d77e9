import { z } from 'zod';

/**
 * Building blocks shared by every schema. Each one normalises what it accepts
 * (trimmed ids, UTC timestamps, decimal-string money) so that parsing an
 * already-parsed value returns it unchanged: `retail.events.v1` carries the
 * normalised form and consumers may parse it again safely.
 */

const MAX_IDENTIFIER_LENGTH = 256;

/** An identifier (user, SKU, store, order...): trimmed; empty after trimming fails. */
export const identifier = () =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(MAX_IDENTIFIER_LENGTH, `must be at most ${MAX_IDENTIFIER_LENGTH} characters`);

// JSON Schema's `format: date-time` is RFC 3339, which requires seconds; zod's
// ISO check makes them optional, so the refinement closes that gap.
const HAS_SECONDS = /T\d{2}:\d{2}:\d{2}/;

/**
 * An RFC 3339 timestamp with `Z` or a numeric offset, normalised to UTC
 * (`2024-05-01T10:00:00+02:00` parses to `2024-05-01T08:00:00.000Z`).
 * Sub-millisecond digits are dropped: JavaScript dates hold milliseconds.
 */
export const utcTimestamp = () =>
  z.iso
    .datetime({
      offset: true,
      abort: true,
      error: 'must be an RFC 3339 timestamp with a Z or ±hh:mm offset, e.g. 2024-05-01T10:00:00Z',
    })
    .refine((value) => HAS_SECONDS.test(value), 'must include seconds (RFC 3339)')
    .transform((value) => new Date(value).toISOString())
    .pipe(z.iso.datetime());

/** An absolute URI (`https://...`, `file:///...`, `s3://...`). */
export const absoluteUri = () => z.url({ error: 'must be an absolute URI' });

/** A calendar day, `YYYY-MM-DD` (replenishment periods). */
export const calendarDate = () => z.iso.date({ error: 'must be a calendar date, YYYY-MM-DD' });

export const nonNegativeInt = () => z.number().int().nonnegative();
export const positiveInt = () => z.number().int().positive();

/** ISO 4217 alphabetic code, upper case as the standard writes it. */
export const currencyCode = () => z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code, three upper-case letters');

export const DECIMAL_AMOUNT = /^-?\d+(\.\d{1,4})?$/;

/**
 * A decimal amount. Stored and emitted as a string so no price ever passes
 * through a binary float downstream; a JSON number is accepted on input as a
 * convenience for POS and web shops and converted with `String(n)`. A number
 * whose shortest form is not a plain decimal of at most 4 places (0.1 + 0.2,
 * 1e21) fails rather than being rounded.
 */
export const decimalAmount = () =>
  z
    .union([
      z.string().trim().regex(DECIMAL_AMOUNT, 'must be a decimal string such as "12.99" (at most 4 decimal places)'),
      z.number(),
    ])
    .transform((value) => (typeof value === 'number' ? String(value) : value))
    .pipe(z.string().regex(DECIMAL_AMOUNT, 'must be a decimal with at most 4 decimal places'));

export const money = () =>
  z.object({
    amount: decimalAmount(),
    currency: currencyCode(),
  });

export type Money = z.output<ReturnType<typeof money>>;

/** Where a shopper acted. `unknown` is the default for producers that predate the field. */
export const SALES_CHANNELS = ['web', 'app', 'pos', 'kiosk', 'call_center', 'marketplace', 'unknown'] as const;
export type SalesChannel = (typeof SALES_CHANNELS)[number];
export const salesChannel = () => z.enum(SALES_CHANNELS).default('unknown');

/** A map of numeric features or metrics; zod numbers reject NaN and ±Infinity, which JSON cannot carry. */
export const numericRecord = () => z.record(z.string().min(1), z.number());
