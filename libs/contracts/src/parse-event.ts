import type { z } from 'zod';
import { cloudEventEnvelopeSchema } from './envelope';
import { CONTRACT_ERROR_CODES, type ContractErrorCode, type ContractFailure, type ContractIssue } from './errors';
import {
  EVENT_TYPES,
  isEventTypeName,
  isKnownEventFamily,
  splitEventType,
  supportedVersionsOf,
  type StoreloopEvent,
} from './event-types';

export type ParseEventResult = { ok: true; event: StoreloopEvent } | ContractFailure;

/** `['data', 'items', 0, 'quantity']` → `data.items.0.quantity`. */
export function issuesFromZodError(error: z.ZodError): ContractIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

export function contractFailure(code: ContractErrorCode, issues: ContractIssue[]): ContractFailure {
  return { ok: false, code, issues };
}

/**
 * A JSON object as `JSON.parse` makes it; arrays, Buffers, Maps and Dates are
 * not. The tag check, unlike a prototype check, holds across realms (vm
 * contexts, workers, jest's sandbox).
 */
export function isJsonObject(input: unknown): input is Record<string, unknown> {
  return Object.prototype.toString.call(input) === '[object Object]';
}

function describeValue(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? Object.prototype.toString.call(input) : `a ${typeof input}`;
}

/**
 * Validate and normalise one event of any known type. Never throws: a
 * consumer gets a typed event or a code and issues to dead-letter with.
 */
export function parseEvent(input: unknown): ParseEventResult {
  if (!isJsonObject(input)) {
    return contractFailure(CONTRACT_ERROR_CODES.NotAnObject, [
      { path: '', message: `expected a JSON object, received ${describeValue(input)}` },
    ]);
  }
  // JSON.parse makes "__proto__" an own key; copying it onto the parsed event
  // would set the event's prototype to attacker-chosen data.
  if (Object.prototype.hasOwnProperty.call(input, '__proto__')) {
    return contractFailure(CONTRACT_ERROR_CODES.SchemaInvalid, [{ path: '__proto__', message: 'is a reserved name' }]);
  }

  const { type } = input;
  if (typeof type !== 'string' || type.length === 0) {
    // No schema to pick yet: report every envelope problem at once, `type` included.
    const envelope = cloudEventEnvelopeSchema.safeParse(input);
    return contractFailure(
      CONTRACT_ERROR_CODES.SchemaInvalid,
      envelope.success ? [{ path: 'type', message: 'must be a non-empty string' }] : issuesFromZodError(envelope.error),
    );
  }

  if (!isEventTypeName(type)) {
    const { family, version } = splitEventType(type);
    if (isKnownEventFamily(family)) {
      const supported = supportedVersionsOf(family).map((v) => `v${v}`).join(', ');
      const problem = version === null ? 'missing version suffix' : `version v${version} is not supported`;
      return contractFailure(CONTRACT_ERROR_CODES.UnsupportedVersion, [
        { path: 'type', message: `${problem} for ${family}; supported: ${supported}` },
      ]);
    }
    return contractFailure(CONTRACT_ERROR_CODES.UnknownEventType, [{ path: 'type', message: `unknown event type "${type}"` }]);
  }

  const parsed = EVENT_TYPES[type].schema.safeParse(input);
  if (!parsed.success) return contractFailure(CONTRACT_ERROR_CODES.SchemaInvalid, issuesFromZodError(parsed.error));
  return { ok: true, event: parsed.data };
}
