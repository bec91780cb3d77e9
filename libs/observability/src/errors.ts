/**
 * One error base for the platform. `instanceof` does not survive Kafka or HTTP,
 * so every error carries a stable `code` and whether retrying can help.
 */
export class StoreloopError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreloopError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Retriable unless the error says otherwise: unknown failures are usually transient I/O. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof StoreloopError) return error.retriable;
  if (error && typeof error === 'object' && 'retriable' in error) {
    return Boolean((error as { retriable: unknown }).retriable);
  }
  return true;
}

export function errorCode(error: unknown, fallback = 'INTERNAL.UNEXPECTED'): string {
  if (error instanceof StoreloopError) return error.code;
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  return fallback;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The error and its causes, outermost first, each once (client libraries wrap
 * the failure that mattered: kafkajs in KafkaJSNumberOfRetriesExceeded, ours
 * in a StoreloopError). Stops at `depth` links or a cycle.
 */
export function causeChain(error: unknown, depth = 10): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (let e = error; e && typeof e === 'object' && chain.length < depth && !chain.includes(e as Record<string, unknown>); e = (e as { cause?: unknown }).cause) {
    chain.push(e as Record<string, unknown>);
  }
  return chain;
}

/** Node's codes for a server certificate the client does not trust or that names another host. */
const TLS_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether an error code says the TLS handshake failed over the peer's certificate or the TLS library (retrying cannot help). */
export function isTlsFailureCode(code: unknown): code is string {
  return typeof code === 'string' && (TLS_CERT_CODES.has(code) || code.startsWith('ERR_SSL_'));
}
