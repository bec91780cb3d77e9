import { currencyCode, decimalAmount, identifier, money, utcTimestamp } from './primitives';

describe('utcTimestamp', () => {
  it.each([
    ['2024-05-01T10:15:30Z', '2024-05-01T10:15:30.000Z'],
    ['2024-05-01T12:15:30+02:00', '2024-05-01T10:15:30.000Z'],
    ['2024-05-01T05:45:30.5-04:30', '2024-05-01T10:15:30.500Z'],
    // JavaScript dates hold milliseconds: extra digits are dropped, not rounded up.
    ['2024-05-01T10:15:30.123456Z', '2024-05-01T10:15:30.123Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
  ])('normalises %s to %s', (input, expected) => {
    expect(utcTimestamp().parse(input)).toBe(expected);
  });

  it.each([
    '2024-13-45',
    '2024-02-30T10:00:00Z',
    'yesterday',
    '2024-05-01',
    '2024-05-01T10:15:30', // no offset: local time is ambiguous
    '2024-05-01T10:15Z', // RFC 3339 requires seconds
    '2024-05-01 10:15:30Z',
    '',
  ])('rejects %p', (input) => {
    expect(utcTimestamp().safeParse(input).success).toBe(false);
  });

  it('rejects a number of milliseconds', () => {
    expect(utcTimestamp().safeParse(1714558530000).success).toBe(false);
  });

  it('accepts its own output unchanged', () => {
    const once = utcTimestamp().parse('2024-05-01T12:15:30+02:00');
    expect(utcTimestamp().parse(once)).toBe(once);
  });
});

describe('identifier', () => {
  it('trims surrounding whitespace', () => {
    expect(identifier().parse('  user-1001\t')).toBe('user-1001');
  });

  it.each(['', '   ', '\n'])('rejects %p, empty after trimming', (input) => {
    expect(identifier().safeParse(input).success).toBe(false);
  });

  it('rejects identifiers longer than 256 characters', () => {
    expect(identifier().safeParse('x'.repeat(257)).success).toBe(false);
    expect(identifier().safeParse('x'.repeat(256)).success).toBe(true);
  });

  it('rejects numbers: ids are strings so leading zeros survive', () => {
    expect(identifier().safeParse(1001).success).toBe(false);
  });
});

describe('money', () => {
  it.each([
    ['19.99', '19.99'],
    ['19.990', '19.990'],
    [' 7 ', '7'],
    ['-5.25', '-5.25'],
    ['0.0001', '0.0001'],
    [12.5, '12.5'],
    [3, '3'],
    [-0.75, '-0.75'],
  ])('accepts amount %p as %p', (input, expected) => {
    expect(decimalAmount().parse(input)).toBe(expected);
  });

  it.each([
    '12.34567',
    '1e3',
    '12,50',
    '.5',
    '5.',
    '',
    'free',
    0.1 + 0.2, // 0.30000000000000004: rejected rather than silently rounded
    1e21, // String() gives 1e+21
    1.23456,
  ])('rejects amount %p', (input) => {
    expect(decimalAmount().safeParse(input).success).toBe(false);
  });

  it.each(['eur', 'EURO', 'EU', '978', ''])('rejects currency %p', (input) => {
    expect(currencyCode().safeParse(input).success).toBe(false);
  });

  it('parses a price and reports a bad currency at its path', () => {
    expect(money().parse({ amount: 4.5, currency: 'EUR' })).toEqual({ amount: '4.5', currency: 'EUR' });
    const result = money().safeParse({ amount: '4.50', currency: 'eur' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([['currency']]);
  });
});
