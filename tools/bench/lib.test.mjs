// Unit tests of the bench helpers that shape result files: `node --test tools/bench/`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shellQuote } from './lib.mjs';

describe('shellQuote (the command recorded in each result file)', () => {
  it('leaves plain arguments alone and single-quotes the rest', () => {
    assert.equal(shellQuote('--rates'), '--rates');
    assert.equal(shellQuote('500,1000'), '500,1000');
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
  });
});
