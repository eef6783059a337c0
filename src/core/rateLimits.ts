// The gateway's rate limits as a service: installation defaults (config), an admin's per-user
// overrides (user_limits, cached in memory and rebuilt after a change, so `admin limits set`
// applies to the next request without a restart), and the in-memory limiter they feed.
// Writing user_limits publishes the change by itself (db/changePublisher.ts, and on PostgreSQL
// the change feed tells every other instance).
import { allUserLimits, saveUserLimits, type LimitChange } from '../db/limits.js';
import type { Db } from '../db/open.js';
import type { Changes } from './changes.js';
import { RebuiltOnChange } from './rebuiltOnChange.js';
import { RateLimiter, type Admission, type Limits } from './rateLimiter.js';

export interface UserLimits {
  /** The user's own limits: every request of their VMs and keys counts. */
  user: Limits;
  /** Each of the user's API keys, on its own. */
  key: Limits;
}

export class RateLimits {
  readonly limiter = new RateLimiter();
  /** Per-user overrides merged over the defaults; a user removed takes their overrides along. */
  private readonly byUser: RebuiltOnChange<Map<number, UserLimits>>;

  constructor(
    private readonly db: Db,
    readonly defaults: Readonly<UserLimits>,
    changes: Changes,
  ) {
    this.byUser = new RebuiltOnChange(() => overrides(db, defaults), changes, ['limits', 'users']);
  }

  /** Admits one gateway request of a user, made with one of their API keys or from their VM. */
  async admit(userId: number, apiKeyId: number | undefined, now = Date.now()): Promise<Admission> {
    const limits = (this.byUser.cached ?? (await this.byUser.get())).get(userId) ?? this.defaults;
    return this.limiter.admit(userId, limits.user, apiKeyId, limits.key, now);
  }

  async effective(userId: number): Promise<UserLimits> {
    return (await this.byUser.get()).get(userId) ?? this.defaults;
  }

  /** Changes a user's overrides (the write publishes 'limits'); running requests keep their slots. */
  async set(userId: number, change: LimitChange, reset: boolean, by: string): Promise<void> {
    await saveUserLimits(this.db, userId, change, reset, by);
  }
}

async function overrides(db: Db, d: Readonly<UserLimits>): Promise<Map<number, UserLimits>> {
  const rows = await allUserLimits(db);
  return new Map(
    rows.map((r) => [
      r.user_id,
      { user: { rpm: r.rpm ?? d.user.rpm, concurrent: r.concurrent ?? d.user.concurrent }, key: { rpm: r.key_rpm ?? d.key.rpm, concurrent: r.key_concurrent ?? d.key.concurrent } },
    ]),
  );
}
