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
