import type { KafkaMessage } from 'kafkajs';
import type { ZodType } from 'zod';
import { StoreloopError } from '@storeloop/observability';
import { parseTopicPayload, type ParsedTopicPayloads, type TopicName } from '@storeloop/contracts';
import type { MessageDecoder } from './batch-consumer';

export const MALFORMED_RECORD = 'MESSAGING.MALFORMED_RECORD';
export const SCHEMA_INVALID = 'MESSAGING.SCHEMA_INVALID';

function parseJson(message: KafkaMessage, topic: string): unknown {
  if (!message.value || message.value.length === 0) {
    throw new StoreloopError(MALFORMED_RECORD, `empty value at ${topic}@${message.offset}`);
  }
  try {
    return JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    throw new StoreloopError(MALFORMED_RECORD, `value at ${topic}@${message.offset} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** JSON value validated by a zod schema; any failure is non-retriable (bad bytes stay bad). */
export function jsonDecoder<T>(schema: ZodType<T>): MessageDecoder<T> {
  return (message, topic) => {
    const parsed = schema.safeParse(parseJson(message, topic));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreloopError(SCHEMA_INVALID, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  };
}

/**
 * A record checked against its topic's contract: CloudEvents topics by event
 * type (and that the type belongs on the topic), other topics by their schema.
 * Failures carry the contract's stable code (CONTRACT.SCHEMA_INVALID, ...).
 */
export function contractDecoder<N extends TopicName>(topic: N): MessageDecoder<ParsedTopicPayloads[N]> {
  return (message, physicalTopic) => {
    const result = parseTopicPayload(topic, parseJson(message, physicalTopic));
    if (!result.ok) {
      const detail = result.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
      throw new StoreloopError(result.code, detail);
    }
    return result.value;
  };
}
