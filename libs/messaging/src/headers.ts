import type { IHeaders } from 'kafkajs';

/** Kafka header values arrive as Buffers (or arrays of them); services work with strings. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

/** Headers as base64, for dead-letter records that must keep the original bytes exactly. */
export function headersToBase64(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = (Buffer.isBuffer(last) ? last : Buffer.from(String(last))).toString('base64');
  }
  return out;
}
