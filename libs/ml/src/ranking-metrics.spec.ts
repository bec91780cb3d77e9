import { MlInputError } from './errors';
import {
  averagePrecisionAtK,
  evaluateRanking,
  hitRateAtK,
  meanAveragePrecision,
  ndcgAtK,
  precisionAtK,
  RankingCase,
  recallAtK,
} from './ranking-metrics';

const set = (...items: string[]): ReadonlySet<string> => new Set(items);

// log2 discounts used below: 1/log2(2) = 1, 1/log2(3) = 0.6309297536,
// 1/log2(4) = 0.5, 1/log2(5) = 0.4306765581.

describe('single-user ranking metrics', () => {
  // ranked a b c | d e, relevant {a, c, f}, k = 3: hits at ranks 1 and 3.
  const ranked = ['a', 'b', 'c', 'd', 'e'];
  const relevant = set('a', 'c', 'f');

  it('hit rate is 1 when any top-k item is relevant, 0 otherwise', () => {
    expect(hitRateAtK(ranked, relevant, 3)).toBe(1);
    // top 2 = a b: a is relevant
    expect(hitRateAtK(ranked, relevant, 2)).toBe(1);
    expect(hitRateAtK(['b', 'd', 'e'], relevant, 3)).toBe(0);
  });

  it('precision divides the hits by k', () => {
    // 2 hits / k = 3
    expect(precisionAtK(ranked, relevant, 3)).toBeCloseTo(2 / 3, 12);
    // top 2 = a b: 1 hit / 2
    expect(precisionAtK(ranked, relevant, 2)).toBe(0.5);
  });

  it('recall divides the hits by |relevant|', () => {
    // 2 hits / |{a, c, f}| = 3
    expect(recallAtK(ranked, relevant, 3)).toBeCloseTo(2 / 3, 12);
    // top 1 = a: 1 / 3
    expect(recallAtK(ranked, relevant, 1)).toBeCloseTo(1 / 3, 12);
  });

  it('nDCG uses a log2 discount and the ideal DCG of min(k, |relevant|) hits', () => {
    // DCG = 1 + 0.5 = 1.5; IDCG (3 hits) = 1 + 0.6309297536 + 0.5 = 2.1309297536
    // nDCG = 1.5 / 2.1309297536 = 0.7039180890
    expect(ndcgAtK(ranked, relevant, 3)).toBeCloseTo(0.703918089, 9);

    // ranked x a y c, relevant {a, c, f, g, h}, k = 4: hits at ranks 2 and 4.
    // DCG = 0.6309297536 + 0.4306765581 = 1.0616063117
    // IDCG (min(4, 5) = 4 hits) = 1 + 0.6309297536 + 0.5 + 0.4306765581 = 2.5616063117
    // nDCG = 1.0616063117 / 2.5616063117 = 0.4144299250
    expect(ndcgAtK(['x', 'a', 'y', 'c'], set('a', 'c', 'f', 'g', 'h'), 4)).toBeCloseTo(0.414429925, 9);
  });

  it('average precision divides by min(k, |relevant|) by default, or by |relevant|', () => {
    // hits at ranks 1 and 3: precision 1/1 and 2/3, sum 5/3; min(3, 3) = 3 -> 5/9
    expect(averagePrecisionAtK(ranked, relevant, 3)).toBeCloseTo(5 / 9, 12);
    expect(averagePrecisionAtK(ranked, relevant, 3, 'relevant')).toBeCloseTo(5 / 9, 12);

    // hits at ranks 2 and 4 of x a y c: 1/2 + 2/4 = 1; min(4, 5) = 4 -> 0.25; |relevant| = 5 -> 0.2
    const many = set('a', 'c', 'f', 'g', 'h');
    expect(averagePrecisionAtK(['x', 'a', 'y', 'c'], many, 4)).toBeCloseTo(0.25, 12);
    expect(averagePrecisionAtK(['x', 'a', 'y', 'c'], many, 4, 'relevant')).toBeCloseTo(0.2, 12);
  });

  it('a perfect ranking scores 1 on nDCG, precision, recall and AP', () => {
    const perfect = ['a', 'b', 'c', 'x'];
    const rel = set('a', 'b', 'c');
    expect(ndcgAtK(perfect, rel, 3)).toBeCloseTo(1, 12);
    expect(precisionAtK(perfect, rel, 3)).toBe(1);
    expect(recallAtK(perfect, rel, 3)).toBe(1);
    expect(averagePrecisionAtK(perfect, rel, 3)).toBeCloseTo(1, 12);
    // ideal DCG only counts min(k, |relevant|) = 3 positions, so k = 10 is still perfect for nDCG
    expect(ndcgAtK(perfect, rel, 10)).toBeCloseTo(1, 12);
  });

  it('more relevant items than k: a full top k is still ideal for nDCG and AP@k, not for recall', () => {
    const rel = set('a', 'b', 'c', 'd');
    // IDCG over min(2, 4) = 2 positions = DCG of a b
    expect(ndcgAtK(['a', 'b'], rel, 2)).toBeCloseTo(1, 12);
    // (1/1 + 2/2) / min(2, 4) = 1; / |relevant| = 2 / 4 = 0.5
    expect(averagePrecisionAtK(['a', 'b'], rel, 2)).toBeCloseTo(1, 12);
    expect(averagePrecisionAtK(['a', 'b'], rel, 2, 'relevant')).toBeCloseTo(0.5, 12);
    // 2 / 4
    expect(recallAtK(['a', 'b'], rel, 2)).toBe(0.5);
  });

  it('k larger than the ranked list: precision still divides by k', () => {
    const short = ['a', 'b'];
    const rel = set('b');
    // 1 hit / k = 5
    expect(precisionAtK(short, rel, 5)).toBe(0.2);
    expect(recallAtK(short, rel, 5)).toBe(1);
    expect(hitRateAtK(short, rel, 5)).toBe(1);
    // DCG = 1/log2(3) = 0.6309297536; IDCG over min(5, 1) = 1 position = 1
    expect(ndcgAtK(short, rel, 5)).toBeCloseTo(0.6309297536, 9);
    // precision at rank 2 = 1/2, divided by min(5, 1) = 1
    expect(averagePrecisionAtK(short, rel, 5)).toBe(0.5);
  });

  it('an empty ranked list scores 0 everywhere', () => {
    const rel = set('a');
    expect(hitRateAtK([], rel, 3)).toBe(0);
    expect(precisionAtK([], rel, 3)).toBe(0);
    expect(recallAtK([], rel, 3)).toBe(0);
    expect(ndcgAtK([], rel, 3)).toBe(0);
    expect(averagePrecisionAtK([], rel, 3)).toBe(0);
  });

  it('empty relevant set: hit rate and precision are 0, the normalised metrics throw', () => {
    const none = set();
    expect(hitRateAtK(ranked, none, 3)).toBe(0);
    expect(precisionAtK(ranked, none, 3)).toBe(0);
    expect(() => recallAtK(ranked, none, 3)).toThrow(/relevant set is empty/);
    expect(() => ndcgAtK(ranked, none, 3)).toThrow(MlInputError);
    expect(() => averagePrecisionAtK(ranked, none, 3)).toThrow(MlInputError);
  });

  it('rejects k that is not a positive integer', () => {
    for (const k of [0, -1, 1.5, Number.NaN]) {
      expect(() => precisionAtK(ranked, relevant, k)).toThrow(/k must be a positive integer/);
    }
  });

  it('rejects an item repeated within the top k, but not beyond it', () => {
    expect(() => ndcgAtK(['a', 'a'], relevant, 2)).toThrow(/repeats item 'a'/);
    expect(precisionAtK(['a', 'b', 'a'], relevant, 2)).toBe(0.5);
  });
});

describe('evaluateRanking / meanAveragePrecision', () => {
  const k = 3;
  const perUser = new Map<string, RankingCase>([
    // hit 1, P 2/3, R 2/3, nDCG 0.7039180890, AP 5/9 with either divisor
    ['u1', { ranked: ['a', 'b', 'c'], relevant: set('a', 'c', 'f') }],
    // no hit: all 0
    ['u2', { ranked: ['x', 'y', 'z'], relevant: set('q') }],
    // no relevant items: skipped
    ['u3', { ranked: ['m'], relevant: set() }],
    // nothing recommended: a miss on every metric
    ['u4', { ranked: [], relevant: set('a') }],
    // hits at 1, 2, 3 of 5 relevant: hit 1, P 1, R 3/5, nDCG 1 (ideal over min(3, 5) = 3),
    // AP sum 3 -> 3/3 = 1 (min-k) or 3/5 = 0.6 (|relevant|)
    ['u5', { ranked: ['a', 'b', 'c'], relevant: set('a', 'b', 'c', 'd', 'e') }],
  ]);

  it('averages over the users with relevant items', () => {
    const report = evaluateRanking(perUser, k);
    expect(report.users).toBe(4);
    // (1 + 0 + 0 + 1) / 4
    expect(report.hitRate).toBe(0.5);
    // (2/3 + 0 + 0 + 1) / 4 = 5/12
    expect(report.precision).toBeCloseTo(5 / 12, 12);
    // (2/3 + 0 + 0 + 3/5) / 4 = (19/15) / 4 = 19/60
    expect(report.recall).toBeCloseTo(19 / 60, 12);
    // (0.7039180890 + 0 + 0 + 1) / 4 = 0.4259795223
    expect(report.ndcg).toBeCloseTo(0.4259795223, 9);
    // (5/9 + 0 + 0 + 3/5) / 4 = (52/45) / 4 = 13/45
    expect(report.map).toBeCloseTo(13 / 45, 12);
    // (5/9 + 0 + 0 + 1) / 4 = (14/9) / 4 = 7/18
    expect(report.mapAtK).toBeCloseTo(7 / 18, 12);
  });

  it('meanAveragePrecision defaults to the |relevant| divisor (Recommenders `map`)', () => {
    expect(meanAveragePrecision(perUser, k)).toBeCloseTo(13 / 45, 12);
    expect(meanAveragePrecision(perUser, k, 'min-k-relevant')).toBeCloseTo(7 / 18, 12);
  });

  it('throws when no user has a relevant item', () => {
    const empty = new Map<string, RankingCase>([['u', { ranked: ['a'], relevant: set() }]]);
    expect(() => evaluateRanking(empty, k)).toThrow(/no user among 1 has a relevant item/);
    expect(() => meanAveragePrecision(new Map(), k)).toThrow(MlInputError);
  });

  it('rejects a bad k even when no user could be scored', () => {
    expect(() => evaluateRanking(perUser, 0)).toThrow(/k must be a positive integer/);
  });
});
