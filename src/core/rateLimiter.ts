// Per-user and per-API-key admission for the gateway, in memory: requests per minute as a token
// bucket (capacity = the per-minute limit, refilled continuously), plus a count of requests in
// flight. O(1) per request, no timers, no I/O; one caller's bucket never touches another's.
// Memory: an entry exists only for a user or key that called recently; an entry whose bucket has
// refilled and has nothing in flight is indistinguishable from a fresh one, so a sweep (at most
// once a minute, on the request path) drops it. Callers are authenticated before admission, so
// the entries are also bounded by the number of accounts and keys.

export interface Limits {
  /** Requests per minute. */
  rpm: number;
  /** Requests in flight at once (streams included, until the response ends). */
  concurrent: number;
}

/** What a caller's headers report: the bucket that is closest to its limit. */
export interface RequestBudget {
  limit: number;
  remaining: number;
  /** Until the bucket is full again (OpenAI's x-ratelimit-reset-requests). */
  resetMs: number;
}

export type Scope = 'user' | 'key';

export type Admission =
  | { ok: true; budget: RequestBudget; release: () => void }
  | { ok: false; reason: 'requests' | 'concurrent'; scope: Scope; limit: number; retryAfterMs: number; budget: RequestBudget };

interface Entry {
  tokens: number;
  /** The rpm the tokens were counted against: a changed limit starts a fresh bucket. */
  cap: number;
  at: number;
  inflight: number;
}

const MINUTE = 60_000;
const SWEEP_EVERY_MS = MINUTE;
/** A concurrency refusal cannot know when a slot frees: ask for a short wait. */
const CONCURRENT_RETRY_MS = 1_000;

export class RateLimiter {
  private readonly users = new Map<number, Entry>();
  private readonly keys = new Map<number, Entry>();
  private lastSweep = 0;

  /** Admits one request of `userId` (and of `keyId` when it came with an API key), or says why not. */
  admit(userId: number, user: Limits, keyId: number | undefined, key: Limits, now = Date.now()): Admission {
    this.sweep(now);
    const u = entry(this.users, userId, user.rpm, now);
    const k = keyId === undefined ? undefined : entry(this.keys, keyId, key.rpm, now);
    // Every check before any change: a refused request costs the caller nothing.
    if (u.inflight >= user.concurrent) return concurrentRefusal('user', user, u);
    if (k && k.inflight >= key.concurrent) return concurrentRefusal('key', key, k);
    if (u.tokens < 1) return requestRefusal('user', u);
    if (k && k.tokens < 1) return requestRefusal('key', k);
    u.tokens -= 1;
    u.inflight++;
    if (k) k.tokens -= 1, k.inflight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      u.inflight--;
      if (k) k.inflight--;
    };
    const ub = budgetOf(u);
    return { ok: true, budget: k && budgetOf(k).remaining < ub.remaining ? budgetOf(k) : ub, release };
  }

  /** Current use without admitting anything (for `admin limits show`). */
  usage(scope: Scope, id: number, limits: Limits, now = Date.now()): { inflight: number; budget: RequestBudget } {
    const map = scope === 'user' ? this.users : this.keys;
    const e = map.get(id);
    if (!e) return { inflight: 0, budget: { limit: limits.rpm, remaining: limits.rpm, resetMs: 0 } };
    refill(e, limits.rpm, now);
    return { inflight: e.inflight, budget: budgetOf(e) };
  }

  /** Entries held, for tests of the memory bound. */
  get size(): number {
    return this.users.size + this.keys.size;
  }

  /** Drops idle entries; `force` for tests, else at most once per SWEEP_EVERY_MS. */
  sweep(now = Date.now(), force = false): void {
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const map of [this.users, this.keys]) {
      for (const [id, e] of map) {
        if (e.inflight === 0 && e.tokens + ((now - e.at) * e.cap) / MINUTE >= e.cap) map.delete(id);
      }
    }
  }
}

function entry(map: Map<number, Entry>, id: number, rpm: number, now: number): Entry {
  let e = map.get(id);
  if (!e) {
    e = { tokens: rpm, cap: rpm, at: now, inflight: 0 };
    map.set(id, e);
  } else refill(e, rpm, now);
  return e;
}

function refill(e: Entry, rpm: number, now: number): void {
  if (e.cap !== rpm) {
    // An admin changed the limit: it applies from the next request, with a fresh (full) budget,
    // so the new number is what the caller gets, whatever they used under the old one.
    e.tokens = rpm;
    e.cap = rpm;
  }
  const elapsed = Math.max(0, now - e.at);
  e.tokens = Math.max(0, Math.min(rpm, e.tokens + (elapsed * rpm) / MINUTE));
  e.at = now;
}

function budgetOf(e: Entry): RequestBudget {
  return { limit: e.cap, remaining: Math.floor(e.tokens), resetMs: Math.ceil(((e.cap - e.tokens) * MINUTE) / e.cap) };
}

function requestRefusal(scope: Scope, e: Entry): Admission {
  const retryAfterMs = Math.ceil(((1 - e.tokens) * MINUTE) / e.cap);
  return { ok: false, reason: 'requests', scope, limit: e.cap, retryAfterMs, budget: budgetOf(e) };
}

function concurrentRefusal(scope: Scope, limits: Limits, e: Entry): Admission {
  return { ok: false, reason: 'concurrent', scope, limit: limits.concurrent, retryAfterMs: CONCURRENT_RETRY_MS, budget: budgetOf(e) };
}
