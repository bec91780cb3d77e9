import type { KafkaMessage } from 'kafkajs';
import { CONTRACT_ERROR_CODES, parseEvent, type ContractIssue, type StoreloopEvent } from '@storeloop/contracts';

/** An event that passed its contract, or why it did not. Never thrown: bad input is data here. */
export type Intake = { ok: true; event: StoreloopEvent } | { ok: false; code: string; issues: ContractIssue[] };

/** A raw-topic record and its intake; the record's exact bytes go to the DLQ when it is invalid. */
export interface RawIntake {
  intake: Intake;
  record: KafkaMessage;
}

export const INGEST_CODES = {
  MalformedRecord: 'INGEST.MALFORMED_RECORD',
  NotAnObject: 'INGEST.NOT_AN_OBJECT',
  SchemaInvalid: 'INGEST.SCHEMA_INVALID',
  UnknownEventType: 'INGEST.UNKNOWN_EVENT_TYPE',
  UnsupportedVersion: 'INGEST.UNSUPPORTED_VERSION',
} as const;

const FROM_CONTRACT: Record<string, string> = {
  [CONTRACT_ERROR_CODES.NotAnObject]: INGEST_CODES.NotAnObject,
  [CONTRACT_ERROR_CODES.SchemaInvalid]: INGEST_CODES.SchemaInvalid,
  [CONTRACT_ERROR_CODES.UnknownEventType]: INGEST_CODES.UnknownEventType,
  [CONTRACT_ERROR_CODES.UnsupportedVersion]: INGEST_CODES.UnsupportedVersion,
};

/** Validates and normalises one event (UTC time, trimmed ids, decimal money) against its contract. */
export function validateEvent(input: unknown): Intake {
  const result = parseEvent(input);
  if (result.ok) return result;
  return { ok: false, code: FROM_CONTRACT[result.code] ?? INGEST_CODES.SchemaInvalid, issues: result.issues };
}

export function malformed(message: string, path = ''): Intake {
  return { ok: false, code: INGEST_CODES.MalformedRecord, issues: [{ path, message }] };
}

export function describeIssues(intake: Extract<Intake, { ok: false }>): string {
  return intake.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes to text, refusing invalid UTF-8 rather than silently replacing it. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // RangeError too: absurd nesting exhausts the parser's stack; it is still just bad input.
    return { ok: false, message: (error as Error).message };
  }
}

const CE_PREFIX = 'ce_';

function headerText(value: unknown): string | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined || last === null) return undefined;
  return Buffer.isBuffer(last) ? decodeUtf8(last) : String(last);
}

/**
 * A record from the raw topic, in CloudEvents' Kafka protocol binding:
 * binary mode when it carries `ce_specversion` (attributes in `ce_*` headers,
 * the value is the data), structured mode otherwise (the value is the whole
 * event as JSON).
 */
export function decodeRawRecord(message: KafkaMessage): RawIntake {
  return { intake: intakeOfRecord(message), record: message };
}

function intakeOfRecord(message: KafkaMessage): Intake {
  if (!message.value || message.value.length === 0) return malformed('the record has no value');
  const text = decodeUtf8(message.value);
  if (text === undefined) return malformed('the value is not valid UTF-8');
  const parsed = parseJsonText(text);
  if (!parsed.ok) return malformed(`the value is not JSON: ${parsed.message}`);

  const headers = message.headers ?? {};
  if (headers[`${CE_PREFIX}specversion`] === undefined) return validateEvent(parsed.value);

  // Entries, not assignments: a `ce___proto__` header must become a plain (rejected) attribute.
  const attributes: [string, unknown][] = [['data', parsed.value]];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(CE_PREFIX)) continue;
    const text = headerText(value);
    if (text === undefined) return malformed(`header ${name} is not valid UTF-8`, name.slice(CE_PREFIX.length));
    attributes.push([name.slice(CE_PREFIX.length), text]);
  }
  const contentType = headerText(headers['content-type']);
  if (contentType) attributes.push(['datacontenttype', contentType]);
  return validateEvent(Object.fromEntries(attributes));
}
