"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.issuesFromZodError = issuesFromZodError;
exports.contractFailure = contractFailure;
exports.isJsonObject = isJsonObject;
exports.parseEvent = parseEvent;
const envelope_1 = require("./envelope");
const errors_1 = require("./errors");
const event_types_1 = require("./event-types");
/** `['data', 'items', 0, 'quantity']` → `data.items.0.quantity`. */
function issuesFromZodError(error) {
    return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
function contractFailure(code, issues) {
    return { ok: false, code, issues };
}
/**
 * A JSON object as `JSON.parse` makes it; arrays, Buffers, Maps and Dates are
 * not. The tag check, unlike a prototype check, holds across realms (vm
 * contexts, workers, jest's sandbox).
 */
function isJsonObject(input) {
    return Object.prototype.toString.call(input) === '[object Object]';
}
function describeValue(input) {
    if (input === null)
        return 'null';
    if (Array.isArray(input))
        return 'an array';
    return typeof input === 'object' ? Object.prototype.toString.call(input) : `a ${typeof input}`;
}
/**
 * Validate and normalise one event of any known type. Never throws: a
 * consumer gets a typed event or a code and issues to dead-letter with.
 */
function parseEvent(input) {
    if (!isJsonObject(input)) {
        return contractFailure(errors_1.CONTRACT_ERROR_CODES.NotAnObject, [
            { path: '', message: `expected a JSON object, received ${describeValue(input)}` },
        ]);
    }
    const { type } = input;
    if (typeof type !== 'string' || type.length === 0) {
        // No schema to pick yet: report every envelope problem at once, `type` included.
        const envelope = envelope_1.cloudEventEnvelopeSchema.safeParse(input);
        return contractFailure(errors_1.CONTRACT_ERROR_CODES.SchemaInvalid, envelope.success ? [{ path: 'type', message: 'must be a non-empty string' }] : issuesFromZodError(envelope.error));
    }
    if (!(0, event_types_1.isEventTypeName)(type)) {
        const { family, version } = (0, event_types_1.splitEventType)(type);
        if ((0, event_types_1.isKnownEventFamily)(family)) {
            const supported = (0, event_types_1.supportedVersionsOf)(family).map((v) => `v${v}`).join(', ');
            const problem = version === null ? 'missing version suffix' : `version v${version} is not supported`;
            return contractFailure(errors_1.CONTRACT_ERROR_CODES.UnsupportedVersion, [
                { path: 'type', message: `${problem} for ${family}; supported: ${supported}` },
            ]);
        }
        return contractFailure(errors_1.CONTRACT_ERROR_CODES.UnknownEventType, [{ path: 'type', message: `unknown event type "${type}"` }]);
    }
    const parsed = event_types_1.EVENT_TYPES[type].schema.safeParse(input);
    if (!parsed.success)
        return contractFailure(errors_1.CONTRACT_ERROR_CODES.SchemaInvalid, issuesFromZodError(parsed.error));
    return { ok: true, event: parsed.data };
}
