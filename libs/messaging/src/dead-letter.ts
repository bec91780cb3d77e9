import type { KafkaMessage, Message } from 'kafkajs';
import { headersToBase64 } from './headers';

/** Headers on every dead letter, so operators can filter without parsing the value. */
export const DEAD_LETTER_HEADERS = {
  code: 'dlq-code',
  reason: 'dlq-reason',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  origin: 'dlq-origin',
} as const;

const STABLE_CODE = /^[A-Z][A-Z0-9_]*(?:\.[A-Z][A-Z0-9_]*)+$/;
export const HANDLER_FAILED = 'CONSUMER.HANDLER_FAILED';

/**
 * The code and reason a dead letter carries. Codes that are not Storeloop's
 * dotted form (a Node `ECONNREFUSED`, say) become CONSUMER.HANDLER_FAILED with
 * the original code kept in the reason, so every DLQ record has a stable code.
 */
export function deadLetterCause(code: string, message: string): { code: string; reason: string } {
  const reason = message.trim() || 'failed without a message';
  return STABLE_CODE.test(code) ? { code, reason } : { code: HANDLER_FAILED, reason: `[${code}] ${reason}` };
}

export interface DeadLetterInput {
  message: KafkaMessage;
  sourceTopic: string;
  partition: number;
  consumerGroup: string;
  code: string;
  reason: string;
  retriable: boolean;
  attempts: number;
  /** Field-level problems, for contract failures. */
  issues?: { path: string; message: string }[];
}

/**
 * A dead letter keeps the original key as its key and the original value,
 * key and headers as base64 in the record, so the exact bytes can be replayed.
 */
export function buildDeadLetter(input: DeadLetterInput): Message {
  const { message } = input;
  const value = {
    code: input.code,
    reason: input.reason,
    retriable: input.retriable,
    issues: input.issues ?? [],
    sourceTopic: input.sourceTopic,
    partition: input.partition,
    offset: message.offset,
    key: message.key ? message.key.toString('base64') : null,
    value: message.value ? message.value.toString('base64') : null,
    headers: headersToBase64(message.headers),
    failedAt: new Date().toISOString(),
    attempts: input.attempts,
    consumerGroup: input.consumerGroup,
  };
  return {
    key: message.key ?? null,
    value: JSON.stringify(value),
    headers: {
      [DEAD_LETTER_HEADERS.code]: input.code,
      [DEAD_LETTER_HEADERS.reason]: input.reason.slice(0, 1000),
      [DEAD_LETTER_HEADERS.sourceTopic]: input.sourceTopic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(input.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
    },
  };
}

export interface RejectedItemInput {
  /** The item's bytes as the client sent them (re-serialised JSON for an item of a JSON array). */
  bytes: Buffer;
  code: string;
  reason: string;
  issues?: { path: string; message: string }[];
  /** Who sent it, e.g. `http:<api key id>`. */
  origin: string;
}

/** A dead letter for an item that never was a Kafka record (an HTTP batch item): no coordinates. */
export function buildRejectedItemDeadLetter(item: RejectedItemInput): Message {
  const value = {
    code: item.code,
    reason: item.reason,
    retriable: false,
    issues: item.issues ?? [],
    sourceTopic: null,
    partition: null,
    offset: null,
    key: null,
    value: item.bytes.toString('base64'),
    headers: {},
    failedAt: new Date().toISOString(),
    attempts: 1,
    consumerGroup: null,
  };
  return {
    key: null,
    value: JSON.stringify(value),
    headers: {
      [DEAD_LETTER_HEADERS.code]: item.code,
      [DEAD_LETTER_HEADERS.reason]: item.reason.slice(0, 1000),
      [DEAD_LETTER_HEADERS.origin]: item.origin,
    },
  };
}
