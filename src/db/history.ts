// Per-user command history for the interactive prompt, trimmed to the newest HISTORY_LIMIT lines.
import type { Db } from './open.js';
import { nowIso } from './open.js';

export const HISTORY_LIMIT = 500;

/** Newest first, as node:readline wants it. */
export async function loadHistory(db: Db, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('command_history')
    .select('line')
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .limit(HISTORY_LIMIT)
    .execute();
  return rows.map((r) => r.line);
}

export async function appendHistory(db: Db, userId: number, line: string): Promise<void> {
  await db.insertInto('command_history').values({ user_id: userId, line, created_at: nowIso() }).execute();
  // Trim lazily: delete what falls beyond the limit for this user.
  const cutoff = await db
    .selectFrom('command_history')
    .select('id')
    .where('user_id', '=', userId)
    .orderBy('id', 'desc')
    .offset(HISTORY_LIMIT)
    .limit(1)
    .executeTakeFirst();
  if (cutoff) await db.deleteFrom('command_history').where('user_id', '=', userId).where('id', '<=', cutoff.id).execute();
}
