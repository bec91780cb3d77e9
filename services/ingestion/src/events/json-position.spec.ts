import { jsonErrorPosition } from './json-position';

describe('jsonErrorPosition', () => {
  it.each([
    '[]',
    '{}',
    ' [ {"a" : [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}, {} ] ',
    '"just a string"',
    '0',
  ])('finds no error in valid JSON %p', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(jsonErrorPosition(text)).toBeUndefined();
  });

  it.each([
    ['[{"a":1},,]', 9],
    ['[{"a":', 6],
    ['{"a":tru}', 5],
    ['[1 2]', 3],
    ['{"a":1,}', 7],
    ['{a:1}', 1],
    ['[1]x', 3],
    ['"\\q"', 1],
    ['[01]', 2],
  ])('points at the first error of %p', (text, position) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorPosition(text)).toBe(position);
  });

  it('copes with deep nesting without recursion', () => {
    const text = '['.repeat(300_000) + ']'.repeat(299_999) + ',';
    expect(jsonErrorPosition(text)).toBe(text.length);
  });
});
