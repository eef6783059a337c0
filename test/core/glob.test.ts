// The one glob matcher (issue 11, point 1): shell-style * and ?, whole-string, linear in practice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch, modelAllowed } from '../../src/core/glob.js';

describe('globMatch', () => {
  const cases: [string, string, boolean][] = [
    ['claude-*', 'claude-sonnet-5-5', true],
    ['claude-*', 'gpt-5.5', false],
    ['gpt-5?', 'gpt-55', true],
    ['gpt-5?', 'gpt-5', false],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*.5', 'gpt-5.5', true],
    ['gpt.5', 'gpt-5', false], // "." is literal, not "any character"
    ['(a|b)', '(a|b)', true], // regex syntax is literal
    ['[ab]', 'a', false],
    ['openai/*', 'openai/gpt-5.5', true],
  ];
  for (const [pattern, value, expected] of cases) {
    it(`${JSON.stringify(pattern)} vs ${JSON.stringify(value)} → ${expected}`, () => assert.equal(globMatch(pattern, value), expected));
  }

  it('issue 11.1: a pathological pattern against a 40-a model id takes microseconds, not minutes', () => {
    const pattern = '*a'.repeat(23) + '*b';
    const started = performance.now();
    assert.equal(globMatch(pattern, 'a'.repeat(40) + 'c'), false);
    // The longest inputs the product accepts: a 128-character pattern and a 256-character id.
    assert.equal(globMatch(('*a'.repeat(64)).slice(0, 127) + 'b', 'a'.repeat(255) + 'c'), false);
    assert.ok(performance.now() - started < 20, `took ${performance.now() - started} ms`);
  });

  it('modelAllowed matches the bare id or the provider-prefixed one', () => {
    assert.ok(modelAllowed(['claude-*'], 'anthropic', 'claude-haiku-4-5'));
    assert.ok(modelAllowed(['anthropic/*'], 'anthropic', 'claude-haiku-4-5'));
    assert.ok(!modelAllowed(['openai/*'], 'anthropic', 'claude-haiku-4-5'));
    assert.ok(!modelAllowed([], 'anthropic', 'claude-haiku-4-5'));
  });
});
