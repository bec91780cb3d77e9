"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.cloudEventEnvelopeSchema = exports.EVENT_TYPE_PATTERN = exports.DEFAULT_TENANT = exports.CLOUDEVENTS_JSON_CONTENT_TYPE = exports.DEFAULT_DATA_CONTENT_TYPE = exports.CLOUDEVENTS_SPEC_VERSION = void 0;
exports.cloudEventSchema = cloudEventSchema;
const zod_1 = require("zod");
const primitives_1 = require("./primitives");
/**
 * CloudEvents 1.0 envelope, structured mode: the whole event, attributes and
 * `data`, is one JSON object in the Kafka value or the HTTP body.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */
exports.CLOUDEVENTS_SPEC_VERSION = '1.0';
exports.DEFAULT_DATA_CONTENT_TYPE = 'application/json';
/** Content type of a structured-mode CloudEvent on the wire (Kafka header or HTTP). */
exports.CLOUDEVENTS_JSON_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';
/** Tenant given to events whose producer does not send one (single-tenant installs). */
exports.DEFAULT_TENANT = 'default';
/** `com.storeloop.<family>.v<N>`, e.g. `com.storeloop.product.viewed.v1`. */
exports.EVENT_TYPE_PATTERN = /^com\.storeloop(?:\.[a-z0-9-]+)+\.v[1-9]\d*$/;
// Tenants prefix Redis keys and metric labels, so keep them to a safe slug.
const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const JSON_MEDIA_TYPE_PATTERN = /^application\/(?:[\w.-]+\+)?json(?:\s*;.*)?$/i;
const EXTENSION_NAME_PATTERN = /^[a-z0-9]+$/;
const NO_WHITESPACE = /^\S+$/;
function isUriReference(value) {
    try {
        // A relative reference resolves against any base; only malformed text throws.
        new URL(value, 'https://source.storeloop.invalid/');
        return true;
    }
    catch {
        return false;
    }
}
/** Attributes defined by CloudEvents or by Storeloop; any other top-level member is an extension. */
const KNOWN_ATTRIBUTES = new Set([
    'id',
    'source',
    'specversion',
    'type',
    'time',
    'subject',
    'datacontenttype',
    'dataschema',
    'data',
    'tenant',
    'correlationid',
    'causationid',
    'traceparent',
    'tracestate',
]);
const envelopeShape = {
    id: (0, primitives_1.identifier)().describe('Unique per source (CloudEvents); consumers deduplicate on it.'),
    source: zod_1.z
        .string()
        .min(1, 'must not be empty')
        .regex(NO_WHITESPACE, 'must be a URI-reference without whitespace')
        .refine(isUriReference, 'must be a URI-reference')
        .meta({
        format: 'uri-reference',
        description: 'URI-reference naming the producing system, e.g. /web-shop or urn:storeloop:pos:store-17.',
    }),
    specversion: zod_1.z.literal(exports.CLOUDEVENTS_SPEC_VERSION),
    time: (0, primitives_1.utcTimestamp)().describe('When the occurrence happened (RFC 3339); normalised to UTC.'),
    subject: zod_1.z.string().trim().min(1, 'must not be empty').optional(),
    datacontenttype: zod_1.z
        .string()
        .regex(JSON_MEDIA_TYPE_PATTERN, 'must be a JSON media type; structured events carry JSON data')
        .default(exports.DEFAULT_DATA_CONTENT_TYPE),
    dataschema: (0, primitives_1.absoluteUri)().optional().describe('URI of the schema `data` adheres to.'),
    tenant: zod_1.z
        .string()
        .regex(TENANT_PATTERN, 'must be a lower-case slug: letters, digits, - or _, at most 63 characters')
        .default(exports.DEFAULT_TENANT)
        .describe(`Storeloop extension attribute: the retailer the event belongs to; "${exports.DEFAULT_TENANT}" when absent.`),
    correlationid: (0, primitives_1.identifier)().optional().describe('Storeloop extension attribute: the business flow this event is part of.'),
    causationid: (0, primitives_1.identifier)().optional().describe('Storeloop extension attribute: id of the event that caused this one.'),
    traceparent: zod_1.z
        .string()
        .regex(TRACEPARENT_PATTERN, 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)')
        .optional()
        .describe('CloudEvents distributed-tracing extension (W3C Trace Context).'),
    tracestate: zod_1.z.string().max(512).optional(),
};
/**
 * Extensions are kept (CloudEvents asks intermediaries to forward them) but
 * must follow the spec: lower-case alphanumeric names and scalar values.
 */
function checkExtensionAttributes(event, ctx) {
    for (const [name, value] of Object.entries(event)) {
        if (KNOWN_ATTRIBUTES.has(name))
            continue;
        if (name === 'data_base64') {
            ctx.addIssue({ code: 'custom', path: [name], message: 'binary data is not accepted; send JSON in `data`' });
        }
        else if (!EXTENSION_NAME_PATTERN.test(name)) {
            ctx.addIssue({
                code: 'custom',
                path: [name],
                message: 'extension attribute names must be lower-case letters or digits (CloudEvents 1.0); event fields belong in `data`',
            });
        }
        else if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
            ctx.addIssue({ code: 'custom', path: [name], message: 'extension attribute values must be strings, numbers or booleans' });
        }
    }
}
/** The schema of one event type: the envelope with `type` fixed and `data` given. */
function cloudEventSchema(type, data) {
    return zod_1.z.looseObject({ ...envelopeShape, type: zod_1.z.literal(type), data }).superRefine(checkExtensionAttributes);
}
/** The envelope alone, for any type string; `data` is left for the type's own schema. */
exports.cloudEventEnvelopeSchema = zod_1.z
    .looseObject({ ...envelopeShape, type: zod_1.z.string().min(1, 'must not be empty'), data: zod_1.z.unknown() })
    .superRefine(checkExtensionAttributes);
