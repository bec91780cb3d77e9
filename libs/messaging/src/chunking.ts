import type { Message } from 'kafkajs';

/**
 * Kafka refuses a record batch over the topic's max.message.bytes (1 MiB by
 * default), and kafkajs puts all of a call's records for one partition into
 * one batch. Sending in slices of at most this many bytes keeps every batch
 * under the limit, whatever the size of the caller's list.
 */
export const MAX_PRODUCE_CHUNK_BYTES = 512 * 1024;

function sizeOf(value: Message['value'] | Message['key']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function recordSize(message: Message): number {
  let size = sizeOf(message.value) + sizeOf(message.key) + 64;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    size += name.length + (Array.isArray(value) ? value.reduce((n, v) => n + sizeOf(v), 0) : sizeOf(value as Buffer | string));
  }
  return size;
}

/** Splits messages, in order, into slices of at most `maxBytes` (a larger single record stands alone). */
export function chunkByBytes(messages: Message[], maxBytes = MAX_PRODUCE_CHUNK_BYTES): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = recordSize(message);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
