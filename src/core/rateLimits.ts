// The gateway's rate limits as a service: installation defaults (config), an admin's per-user
// overrides (user_limits, cached in memory and rebuilt after a change, so `admin limits set`
// applies to the next request without a restart), and the in-memory limiter they feed.
// This is the store that changes user_limits, so it is the one that publishes the change.
import { allUserLimits, saveUserLimits, type LimitChange } from '../db/limits.js';
import type { Db } from '../db/open.js';
import type { Changes } from './changes.js';
import { RateLimiter, type Admission, type Limits } from './rateLimiter.js';

export interface UserLimits {
  /** The user's own limits: every request of their VMs and keys counts. */
  user: Limits;
  /** Each of the user's API keys, on its own. */
  key: Limits;
}

export class RateLimits {
  readonly limiter = new RateLimiter();
  private byUser?: Map<number, UserLimits>;
  private building?: Promise<Map<number, UserLimits>>;
  private generation = 0;

  constructor(
    private readonly db: Db,
    readonly defaults: Readonly<UserLimits>,
    private readonly changes: Changes,
  ) {
    const invalidate = () => {
      this.generation++;
      this.byUser = undefined;
    };
    changes.on('limits', invalidate);
    changes.on('users', invalidate); // a removed user's overrides go with it
  }

  /** Admits one gateway request of a user, made with one of their API keys or from their VM. */
  async admit(userId: number, apiKeyId: number | undefined, now = Date.now()): Promise<Admission> {
    const limits = (this.byUser ?? (await this.map())).get(userId) ?? this.defaults;
    return this.limiter.admit(userId, limits.user, apiKeyId, limits.key, now);
  }

  async effective(userId: number): Promise<UserLimits> {
    return (await this.map()).get(userId) ?? this.defaults;
  }

  /** Changes a user's overrides and publishes it; running requests keep their slots. */
  async set(userId: number, change: LimitChange, reset: boolean, by: string): Promise<void> {
    await saveUserLimits(this.db, userId, change, reset, by);
    this.changes.emit('limits');
  }

  private map(): Promise<Map<number, UserLimits>> {
    if (this.byUser) return Promise.resolve(this.byUser);
    if (!this.building) {
      const generation = this.generation;
      this.building = allUserLimits(this.db).then(
        (rows) => {
          this.building = undefined;
          const d = this.defaults;
          const map = new Map<number, UserLimits>(
            rows.map((r) => [
              r.user_id,
              { user: { rpm: r.rpm ?? d.user.rpm, concurrent: r.concurrent ?? d.user.concurrent }, key: { rpm: r.key_rpm ?? d.key.rpm, concurrent: r.key_concurrent ?? d.key.concurrent } },
            ]),
          );
          if (generation === this.generation) this.byUser = map;
          return map;
        },
        (err) => {
          this.building = undefined;
          throw err;
        },
      );
    }
    return this.building;
  }
}
