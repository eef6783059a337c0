// Issue 11, limits: the in-memory limiter on its own, with a clock passed in. Its budget arithmetic
// (what the headers report), its memory bound (idle entries dropped), and its cost per request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter, type Admission } from '../../src/core/rateLimiter.js';
import { goDuration } from '../../src/gateway/rateLimit.js';

const L = (rpm: number, concurrent = 10) => ({ rpm, concurrent });
const BIG = L(1_000_000, 1_000_000);

function admitted(a: Admission): Extract<Admission, { ok: true }> {
  assert.ok(a.ok, `refused: ${JSON.stringify(a)}`);
  return a;
}

describe('issue 11 limits: the limiter', () => {
  it('issue 11 limits: a token bucket per minute: burst to the limit, then one per 60/rpm seconds', () => {
    const lim = new RateLimiter();
    const t = 1_000_000;
    for (let i = 0; i < 6; i++) admitted(lim.admit(1, L(6), undefined, BIG, t)).release();
    const refused = lim.admit(1, L(6), undefined, BIG, t);
    assert.ok(!refused.ok);
    assert.equal(refused.reason, 'requests');
    assert.equal(refused.retryAfterMs, 10_000, 'one token comes back every 10 s at 6/min');
    assert.deepEqual(refused.budget, { limit: 6, remaining: 0, resetMs: 60_000 });
    assert.ok(!lim.admit(1, L(6), undefined, BIG, t + 9_999).ok);
    const later = admitted(lim.admit(1, L(6), undefined, BIG, t + 10_000));
    assert.equal(later.budget.remaining, 0);
    assert.ok(admitted(lim.admit(2, L(6), undefined, BIG, t)), 'user 2 has a bucket of its own');
  });

  it('issue 11 limits: in-flight slots: refused at the limit, freed by release (once, however often called)', () => {
    const lim = new RateLimiter();
    const a = admitted(lim.admit(1, L(100, 2), 7, L(100, 1)));
    const refusedByKey = lim.admit(1, L(100, 2), 7, L(100, 1));
    assert.ok(!refusedByKey.ok && refusedByKey.reason === 'concurrent' && refusedByKey.scope === 'key');
    const b = admitted(lim.admit(1, L(100, 2), undefined, BIG)); // her VM still has a slot
    const refusedByUser = lim.admit(1, L(100, 2), undefined, BIG);
    assert.ok(!refusedByUser.ok && refusedByUser.scope === 'user' && refusedByUser.limit === 2);
    a.release();
    a.release();
    b.release();
    assert.equal(lim.usage('user', 1, L(100, 2)).inflight, 0);
    assert.equal(lim.usage('key', 7, L(100, 1)).inflight, 0);
    // Refusals cost nothing: 2 admitted of 100.
    assert.equal(lim.usage('user', 1, L(100, 2)).budget.remaining, 98);
  });

  it('issue 11 limits: memory stays bounded: idle callers are dropped, busy ones kept', () => {
    const lim = new RateLimiter();
    const t = 5_000_000;
    lim.sweep(t, true);
    const busy = admitted(lim.admit(0, L(600), 0, L(600), t));
    for (let id = 1; id <= 50_000; id++) admitted(lim.admit(id, L(600), id, L(600), t)).release();
    assert.equal(lim.size, 100_002);
    lim.admit(1, L(600), undefined, BIG, t + 59_000); // within the minute: no sweep yet
    assert.equal(lim.size, 100_002);
    lim.admit(1, L(600), undefined, BIG, t + 61_000); // a request after a minute sweeps
    assert.equal(lim.size, 3, 'only the caller in flight (user and key) and the one just admitted remain');
    busy.release();
  });

  it('issue 11 limits: O(1) per request, whatever the number of callers', () => {
    const lim = new RateLimiter();
    const per = (callers: number) => {
      const n = 200_000;
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        const a = lim.admit(i % callers, L(1_000_000, 1000), i % callers, L(1_000_000, 1000), 1000 + i);
        if (a.ok) a.release();
      }
      return ((performance.now() - start) * 1e6) / n; // ns per admit+release
    };
    per(10); // warm up
    const few = per(10);
    const many = per(100_000);
    // Measured ~70 ns (10 callers) and ~1.5 µs (100k callers: map inserts, cache misses and the
    // once-a-minute sweeps included). A scan over callers per request would be ~100× that.
    assert.ok(few < 5_000, `${few.toFixed(0)} ns per request with 10 callers`);
    assert.ok(many < 10_000, `${many.toFixed(0)} ns per request with 100k callers`);
  });

  it("issue 11 limits: durations in OpenAI's format", () => {
    assert.equal(goDuration(0), '0ms');
    assert.equal(goDuration(250), '250ms');
    assert.equal(goDuration(1000), '1s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(60_000), '1m0s');
    assert.equal(goDuration(360_000), '6m0s');
    assert.equal(goDuration(90_250), '1m30.25s');
    assert.equal(goDuration(3_600_000), '1h0m0s');
  });
});
