/**
 * Seeded randomness. The same mulberry32 generator as @storeloop/ml (Tommy
 * Ettinger, public domain), kept here so the simulators do not load the ML
 * library (and TF.js) just to draw demand.
 */
import { SupplyChainInputError } from './errors';

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

/** mulberry32: 32-bit state, Weyl increment and xorshift-multiply output; period 2^32. */
export function mulberry32(seed: number): Random {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SupplyChainInputError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
