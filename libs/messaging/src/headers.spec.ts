import { decodeHeaders, headersToBase64 } from './headers';

const NON_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0xc3]);

describe('decodeHeaders', () => {
  it('turns Buffer and string values into strings', () => {
    expect(decodeHeaders({ traceparent: Buffer.from('00-abc'), 'content-type': 'application/json' })).toEqual({
      traceparent: '00-abc',
      'content-type': 'application/json',
    });
  });

  it('keeps the last value of a repeated header', () => {
    expect(decodeHeaders({ retry: [Buffer.from('1'), '2', Buffer.from('3')] })).toEqual({ retry: '3' });
  });

  it('skips undefined values and empty arrays, and accepts missing headers', () => {
    expect(decodeHeaders({ a: undefined, b: [], c: 'x' })).toEqual({ c: 'x' });
    expect(decodeHeaders(undefined)).toEqual({});
  });

  it('decodes UTF-8 text', () => {
    expect(decodeHeaders({ note: Buffer.from('Größe ✓', 'utf8') })).toEqual({ note: 'Größe ✓' });
  });
});

describe('headersToBase64', () => {
  it('keeps the exact bytes of Buffer values, even when they are not UTF-8', () => {
    const encoded = headersToBase64({ blob: NON_UTF8 });
    expect(Buffer.from(encoded.blob, 'base64').equals(NON_UTF8)).toBe(true);
  });

  it('encodes string values as UTF-8 and uses the last value of arrays', () => {
    const encoded = headersToBase64({ note: 'Größe', repeated: ['first', Buffer.from('last')], gone: undefined });
    expect(Object.keys(encoded).sort()).toEqual(['note', 'repeated']);
    expect(Buffer.from(encoded.note, 'base64').toString('utf8')).toBe('Größe');
    expect(Buffer.from(encoded.repeated, 'base64').toString('utf8')).toBe('last');
  });

  it('returns an empty object for missing headers', () => {
    expect(headersToBase64(undefined)).toEqual({});
  });
});
