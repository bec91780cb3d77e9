/**
 * Thrown when a metric or splitter gets inputs it cannot give a meaningful
 * answer for (length mismatch, k = 0, a label that is not 0/1...). The stable
 * `code` lets a training job report the failure across process boundaries.
 */
export class MlInputError extends Error {
  readonly code = 'ML.INVALID_INPUT';
  override readonly name = 'MlInputError';
}

export function requirePositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MlInputError(`${name} must be a positive integer, got ${value}`);
  }
}
