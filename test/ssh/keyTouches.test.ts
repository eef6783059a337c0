// Which logins write their key's last_used_at: the first, and then one a second per key at most.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyTouches } from '../../src/ssh/keyTouches.js';

describe('issue 18: last_used_at writes at login', () => {
  it('a key is written at its first login, then at most once a second; each key on its own clock', () => {
    let now = 10_000;
    const touches = new KeyTouches(() => now);
    assert.equal(touches.due(1), true, 'first login');
    assert.equal(touches.due(1), false, 'same key, same instant');
    assert.equal(touches.due(2), true, 'another key');
    now += 999;
    assert.equal(touches.due(1), false, 'within the second');
    now += 1;
    assert.equal(touches.due(1), true, 'a second after the last write');
    assert.equal(touches.due(2), true);
  });

  it('remembers a bounded number of keys: a forgotten key is written again', () => {
    const touches = new KeyTouches(() => 0);
    for (let id = 0; id <= 10_000; id++) assert.equal(touches.due(id), true);
    assert.equal(touches.due(0), true, 'the oldest of 10,001 keys was forgotten');
    assert.equal(touches.due(10_000), false, 'the newest is remembered');
  });
});
