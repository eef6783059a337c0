// Queries on user_limits: an admin's per-user overrides of the installation's rate limits.
import { inByteOrder, takeTurn } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { UserLimitsRow } from './schema.js';

/** A changed override: a number sets it, null returns it to the default, undefined keeps it. */
export interface LimitChange {
  rpm?: number | null;
  concurrent?: number | null;
  keyRpm?: number | null;
  keyConcurrent?: number | null;
}

export async function allUserLimits(db: Db): Promise<(UserLimitsRow & { name: string })[]> {
  return db.selectFrom('user_limits').innerJoin('users', 'users.id', 'user_limits.user_id').selectAll('user_limits').select('users.name').orderBy(inByteOrder(db, 'users.name')).execute();
}

/**
 * Applies `change` on top of the user's current overrides (all cleared first with `reset`). Two
 * admins changing one user at once take turns, so neither change is lost (nor is the row inserted twice).
 */
export async function saveUserLimits(db: Db, userId: number, change: LimitChange, reset: boolean, by: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await takeTurn(tx, 'userLimits', userId);
    const old = reset ? undefined : await tx.selectFrom('user_limits').selectAll().where('user_id', '=', userId).executeTakeFirst();
    const row = {
      rpm: change.rpm === undefined ? (old?.rpm ?? null) : change.rpm,
      concurrent: change.concurrent === undefined ? (old?.concurrent ?? null) : change.concurrent,
      key_rpm: change.keyRpm === undefined ? (old?.key_rpm ?? null) : change.keyRpm,
      key_concurrent: change.keyConcurrent === undefined ? (old?.key_concurrent ?? null) : change.keyConcurrent,
    };
    await tx.deleteFrom('user_limits').where('user_id', '=', userId).execute();
    // A row of nulls is no override at all: the user is back on the defaults.
    if (Object.values(row).every((v) => v === null)) return;
    await tx.insertInto('user_limits').values({ user_id: userId, ...row, updated_by: by, updated_at: nowIso() }).execute();
  });
}

export async function findUserLimits(db: Db, userId: number): Promise<UserLimitsRow | undefined> {
  return db.selectFrom('user_limits').selectAll().where('user_id', '=', userId).executeTakeFirst();
}
