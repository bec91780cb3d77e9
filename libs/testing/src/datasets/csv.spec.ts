import { parseCsvLine } from './csv';

describe('parseCsvLine', () => {
  it('splits plain fields, keeping empty ones', () => {
    expect(parseCsvLine('d_9,2011-02-06,,,1')).toEqual(['d_9', '2011-02-06', '', '', '1']);
    expect(parseCsvLine('')).toEqual(['']);
    expect(parseCsvLine('a,')).toEqual(['a', '']);
  });

  it('keeps commas and spaces inside quoted fields', () => {
    expect(parseCsvLine('1,"Cinco De Mayo, observed",Cultural')).toEqual(['1', 'Cinco De Mayo, observed', 'Cultural']);
  });

  it('unescapes doubled quotes and accepts empty quoted fields', () => {
    expect(parseCsvLine('"say ""hi""","",x')).toEqual(['say "hi"', '', 'x']);
    expect(parseCsvLine('x,"a"')).toEqual(['x', 'a']);
    expect(parseCsvLine('"a",')).toEqual(['a', '']);
  });

  it('rejects an unterminated quote (a field spanning lines)', () => {
    expect(() => parseCsvLine('a,"open')).toThrow(/unterminated quoted field/);
  });

  it('rejects text after a closing quote and quotes inside an unquoted field', () => {
    expect(() => parseCsvLine('"a"b,c')).toThrow(/unexpected 'b' after a quoted field/);
    expect(() => parseCsvLine('a,b"c"')).toThrow(/stray quote/);
  });
});
