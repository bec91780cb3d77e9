import { createHash } from 'node:crypto';
import { stableBucket } from './stable-hash';

describe('stableBucket', () => {
  it('gives fixed values: the same bucket in every process, on every restart, in every release', () => {
    // Changing these moves users between A/B arms mid-experiment: only ever on purpose.
    expect(stableBucket('user-1', 'exp-a')).toBe(0.048124772507996294);
    expect(stableBucket('user-2', 'exp-a')).toBe(0.835427557288331);
    expect(stableBucket('user-1', 'exp-b')).toBe(0.5994904165700798);
    expect(stableBucket('', '')).toBe(0.4304816492364816);
  });

  it('is the first 52 bits of sha256(salt NUL userId), so other languages can compute it', () => {
    const hex = createHash('sha256').update('exp-a\u0000user-1', 'utf8').digest('hex');
    expect(stableBucket('user-1', 'exp-a')).toBe(parseInt(hex.slice(0, 13), 16) / 2 ** 52);
  });

  it('keeps salt and id apart', () => {
    expect(stableBucket('c', 'ab')).not.toBe(stableBucket('bc', 'a'));
  });

  it('spreads ids uniformly over [0, 1)', () => {
    const n = 100_000;
    const deciles = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < n; i += 1) {
      const b = stableBucket(`user-${i}`, 'exp-a');
      if (b >= 0 && b < 1) deciles[Math.floor(b * 10)] += 1;
      else outside += 1;
    }
    expect(outside).toBe(0);
    // Binomial sd of a share at 0.1 over 100,000 ids is ~0.00095: ±0.01 is a ten-sigma band.
    for (const count of deciles) expect(Math.abs(count / n - 0.1)).toBeLessThan(0.01);
  });
});
