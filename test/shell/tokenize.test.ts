// tokenize: POSIX-shell quoting without a shell behind it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenize } from '../../src/shell/tokenize.js';
import { GatehouseError } from '../../src/errors.js';

describe('tokenize', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    assert.deepEqual(tokenize(`  new --comment 'two words' --tag "a b" c\\ d  `), ['new', '--comment', 'two words', '--tag', 'a b', 'c d']);
  });

  it('keeps $X, globs and an empty quoted word literally', () => {
    assert.deepEqual(tokenize(`ls $HOME dev* ''`), ['ls', '$HOME', 'dev*', '']);
  });

  it('refuses shell operators instead of interpreting them', () => {
    for (const line of ['ls | cat', 'ls; rm x', 'ls > f', 'ls && rm x']) {
      assert.throws(() => tokenize(line), (err: unknown) => err instanceof GatehouseError && err.code === 'usage' && /shell operator/.test(err.message), line);
    }
  });

  it('refuses an unterminated quote', () => {
    assert.throws(() => tokenize(`comment vm 'oops`), /unterminated/);
  });

  it('refuses an oversized line', () => {
    assert.throws(() => tokenize('x'.repeat(70_000)), /too long/);
  });

  it('an empty or blank line has no words', () => {
    assert.deepEqual(tokenize(''), []);
    assert.deepEqual(tokenize('   '), []);
  });
});
