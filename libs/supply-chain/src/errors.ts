/** Raised for invalid simulator, policy or training inputs; the message names the offending value. */
export class SupplyChainInputError extends Error {
  readonly code = 'SUPPLY_CHAIN.INVALID_INPUT';
  override readonly name = 'SupplyChainInputError';
}

export function requirePositiveInteger(name: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new SupplyChainInputError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
}

export function requireNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new SupplyChainInputError(`${name} must be a finite non-negative number, got ${value}`);
  }
}
