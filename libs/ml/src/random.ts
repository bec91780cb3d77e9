/**
 * Seeded randomness for reproducible experiments. Math.random cannot be
 * seeded, so splits and samplers take an explicit uint32 seed instead.
 */
import { MlInputError } from './errors';

/** A source of uniform floats in [0, 1). */
export type Random = () => number;

export function requireSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new MlInputError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state advanced by a
 * Weyl increment (0x6D2B79F5) and finished with an xorshift-multiply mix.
 * Period 2^32, passes gjrand's tests for this size; ample for shuffling and
 * sampling, not for cryptography. Returns floats in [0, 1) with 32 random bits.
 */
export function mulberry32(seed: number): Random {
  requireSeed(seed);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a over UTF-16 code units: a stable seed from a string key. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Fisher-Yates shuffle of `items` in place; every permutation is equally likely. */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const held = items[i];
    items[i] = items[j];
    items[j] = held;
  }
  return items;
}
