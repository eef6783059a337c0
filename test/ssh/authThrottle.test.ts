// The per-address bookkeeping behind the SSH limits: which addresses count as one, the delay
// schedule of failed logins, and the bound on what is remembered. Pure functions on a given clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey } from '../../src/ssh/admission.js';
import { AuthThrottle } from '../../src/ssh/authThrottle.js';

describe('issue 11: SSH limit addresses', () => {
  it('an IPv4 address seen through a dual-stack socket is itself; an IPv6 address is its /64', () => {
    assert.equal(addressKey('127.0.0.7'), '127.0.0.7');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002::'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('::ffff:0:1.2.3.4'), '0:0:0:0::/64');
    assert.equal(addressKey(undefined), 'unknown');
  });
});

describe('issue 11: failed SSH login delays', () => {
  it('the free failures answer at once, then the delay doubles up to 8 times the first', () => {
    let now = 0;
    const throttle = new AuthThrottle({ freeFailures: 3, delayMs: 1000 }, () => now);
    const delays = Array.from({ length: 8 }, () => throttle.failure('192.0.2.1'));
    assert.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(throttle.failure('192.0.2.2'), 0, 'another address has its own record');
    assert.equal(throttle.failure('2001:db8:1:2::5'), 0);
    assert.equal(throttle.failure('2001:db8:1:2::6'), 0);
    assert.equal(throttle.failure('2001:db8:1:2::7'), 0);
    assert.equal(throttle.failure('2001:db8:1:2::8'), 1000, 'one /64 is one record');
    now += 3 * 60_000; // three failures forgiven
    assert.equal(throttle.failure('192.0.2.1'), 4000);
  });

  it('a stopped attack is forgiven within minutes, however long it ran', () => {
    let now = 0;
    const throttle = new AuthThrottle({ freeFailures: 5, delayMs: 1000 }, () => now);
    for (let i = 0; i < 100_000; i++) throttle.failure('192.0.2.1');
    now += 17 * 60_000;
    assert.equal(throttle.failure('192.0.2.1'), 0);
  });

  it('remembers a bounded number of addresses, forgetting the least recent', () => {
    const throttle = new AuthThrottle({ freeFailures: 1, delayMs: 1000 });
    throttle.failure('198.51.100.1');
    for (let i = 0; i < 20_000; i++) throttle.failure(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(throttle.size, 10_000);
    assert.equal(throttle.failure('198.51.100.1'), 0, 'the oldest record was forgotten');
  });
});
