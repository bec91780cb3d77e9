/**
 * Stable bucketing for A/B splits: a user must land in the same arm on every
 * replica and after every restart, so the bucket comes from a cryptographic
 * hash of the id (the same in any language), never from Math.random or a
 * process-seeded hash.
 */
import { createHash } from 'node:crypto';

/** 2^52: the top 52 bits of the digest fill a double's mantissa exactly. */
const TWO_POW_52 = 2 ** 52;

/**
 * A uniform number in [0, 1) for `userId` under `salt` (one salt per
 * experiment, so splits of different experiments are independent):
 * the first 52 bits of sha256(utf8(salt) || 0x00 || utf8(userId)), divided by 2^52.
 * The NUL separator keeps ('ab', 'c') and ('a', 'bc') apart.
 */
export function stableBucket(userId: string, salt: string): number {
  const digest = createHash('sha256').update(salt, 'utf8').update('\u0000', 'utf8').update(userId, 'utf8').digest();
  // 32 high bits, then the next 20: together an integer below 2^52, exact in a double.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / TWO_POW_52;
}
