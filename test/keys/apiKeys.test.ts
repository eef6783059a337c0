// Issue #6, the pure rules behind API keys: their format, --expires parsing against a fixed
// clock, and which request headers carry a gatehouse key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_KEY_PATTERN, displayPrefix, generateApiKey, parseExpiry, presentedKey } from '../../src/core/apiKeys.js';

describe('API key format (issue #6)', () => {
  it('gk_ + 40 base62 characters from the whole alphabet, never repeated', () => {
    const keys = Array.from({ length: 2000 }, generateApiKey);
    for (const k of keys) assert.match(k, /^gk_[A-Za-z0-9]{40}$/);
    assert.equal(new Set(keys).size, keys.length);
    const seen = new Set(keys.flatMap((k) => [...k.slice(3)]));
    assert.equal(seen.size, 62, 'every base62 character occurs');
    assert.equal(displayPrefix(keys[0]), keys[0].slice(0, 9));
    assert.ok(API_KEY_PATTERN.test(keys[0]) && !API_KEY_PATTERN.test(`${keys[0]}x`) && !API_KEY_PATTERN.test(keys[0].slice(0, 42)));
  });
});

describe('parseExpiry (issue #6)', () => {
  const now = new Date('2026-06-15T10:00:00.000Z');

  it('relative durations, dates (end of that day, UTC) and never', () => {
    assert.equal(parseExpiry('30d', now), '2026-07-15T10:00:00.000Z');
    assert.equal(parseExpiry('12h', now), '2026-06-15T22:00:00.000Z');
    assert.equal(parseExpiry('1m', now), '2026-06-15T10:01:00.000Z');
    assert.equal(parseExpiry('2w', now), '2026-06-29T10:00:00.000Z');
    assert.equal(parseExpiry(' 7D ', now), '2026-06-22T10:00:00.000Z');
    assert.equal(parseExpiry('2027-01-31', now), '2027-01-31T23:59:59.999Z');
    assert.equal(parseExpiry('2026-06-15', now), '2026-06-15T23:59:59.999Z', 'today still has time left');
    assert.equal(parseExpiry('never', now), null);
    assert.equal(parseExpiry('Never', now), null);
  });

  it('refuses the past, zero, impossible dates and anything else, saying what works', () => {
    const refused: [string, RegExp][] = [
      ['2026-06-14', /is in the past/],
      ['0d', /must be in the future/],
      ['0m', /must be in the future/],
      ['2027-02-30', /invalid date/],
      ['2027-13-01', /invalid date/],
      ['-5d', /invalid --expires "-5d": use 30d, 12h, a date like 2027-01-31, or never/],
      ['30', /invalid --expires/],
      ['30s', /invalid --expires/],
      ['1.5d', /invalid --expires/],
      ['123456d', /invalid --expires/],
      ['2027-01-31T00:00:00Z', /invalid --expires/],
      ['', /invalid --expires/],
    ];
    for (const [text, message] of refused) assert.throws(() => parseExpiry(text, now), (err: Error) => message.test(err.message), text);
  });
});

describe('presentedKey: where a request carries a gatehouse key (issue #6)', () => {
  const key = generateApiKey();

  it('Authorization: Bearer (any case), x-api-key and x-goog-api-key', () => {
    assert.equal(presentedKey({ authorization: `Bearer ${key}` }), key);
    assert.equal(presentedKey({ authorization: `bearer ${key}` }), key);
    assert.equal(presentedKey({ authorization: `BEARER   ${key} ` }), key);
    assert.equal(presentedKey({ 'x-api-key': key }), key);
    assert.equal(presentedKey({ 'x-goog-api-key': key }), key);
    // A VM's SDK sends a dummy in one header: the key in another still counts.
    assert.equal(presentedKey({ authorization: 'Bearer sk-dummy', 'x-api-key': key }), key);
  });

  it('anything that is not gk_-shaped is no key at all (the caller may be a VM); malformed gk_ values are', () => {
    for (const headers of [{}, { authorization: 'Bearer sk-dummy' }, { authorization: 'Bearer' }, { authorization: '' }, { authorization: `Basic ${key}` }, { 'x-api-key': 'sk-ant-dummy' }, { 'x-goog-api-key': 'AIza-dummy' }, { cookie: key }]) {
      assert.equal(presentedKey(headers), undefined, JSON.stringify(headers));
    }
    // Present but malformed: returned, so the gateway refuses it rather than trying the address.
    assert.equal(presentedKey({ authorization: 'Bearer gk_short' }), 'gk_short');
    assert.equal(presentedKey({ 'x-api-key': 'gk_' }), 'gk_');
  });
});
