"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.CONTRACT_ERROR_CODES = void 0;
/**
 * Stable error codes for contract violations. Codes, not classes, because a
 * rejection crosses Kafka and HTTP (DLQ records, 400 bodies) where `instanceof`
 * does not survive. Services wrap these in their own error base.
 */
exports.CONTRACT_ERROR_CODES = {
    /** The value is not a JSON object (null, array, string, number...). */
    NotAnObject: 'CONTRACT.NOT_AN_OBJECT',
    /** The object fails the envelope or the data schema of its event type. */
    SchemaInvalid: 'CONTRACT.SCHEMA_INVALID',
    /** `type` names no event family this contract knows. */
    UnknownEventType: 'CONTRACT.UNKNOWN_EVENT_TYPE',
    /** The event family is known but not at this version (e.g. `.v9`, or no `.vN` suffix). */
    UnsupportedVersion: 'CONTRACT.UNSUPPORTED_VERSION',
    /** A valid event read from, or bound for, a topic that does not carry its type. */
    WrongTopic: 'CONTRACT.WRONG_TOPIC',
};
