// Queries on web sign-in (migration 0015): one-time links and the sessions they start. Callers
// pass SHA-256 hashes only; neither a token nor a session id ever reaches this file.
import type { Db } from './open.js';
import type { User } from './schema.js';

/** At most this many expired rows go per prune: a backlog is cleared a slice at a time, never in one long statement. */
const PRUNE_BATCH = 100;

export async function insertWebLink(db: Db, link: { tokenHash: string; userId: number; createdAt: string; expiresAt: string }): Promise<void> {
  await db.insertInto('web_links').values({ token_hash: link.tokenHash, user_id: link.userId, created_at: link.createdAt, expires_at: link.expiresAt }).execute();
}

/**
 * Marks the link used and returns its user, in one statement: of two requests racing with the
 * same token, exactly one changes the row. Undefined when it is unknown, used or expired.
 */
export async function consumeWebLink(db: Db, tokenHash: string, now: string): Promise<number | undefined> {
  const row = await db
    .updateTable('web_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id;
}

/** Why a link was refused, for the page that says so (read after consumeWebLink found nothing). */
export async function webLinkState(db: Db, tokenHash: string): Promise<{ used_at: string | null; expires_at: string } | undefined> {
  return db.selectFrom('web_links').select(['used_at', 'expires_at']).where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function insertWebSession(db: Db, s: { sessionHash: string; userId: number; csrf: string; createdAt: string; expiresAt: string }): Promise<void> {
  await db.insertInto('web_sessions').values({ session_hash: s.sessionHash, user_id: s.userId, csrf: s.csrf, created_at: s.createdAt, expires_at: s.expiresAt }).execute();
}

/** The session's user, unless the session is unknown or expired (its user deleted: the row is gone too). */
export async function findWebSession(db: Db, sessionHash: string, now: string): Promise<{ user: User; csrf: string; expiresAt: string } | undefined> {
  const row = await db
    .selectFrom('web_sessions')
    .innerJoin('users', 'users.id', 'web_sessions.user_id')
    .selectAll('users')
    .select(['web_sessions.csrf as session_csrf', 'web_sessions.expires_at as session_expires_at'])
    .where('web_sessions.session_hash', '=', sessionHash)
    .where('web_sessions.expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  const { session_csrf: csrf, session_expires_at: expiresAt, ...user } = row;
  return { user, csrf, expiresAt };
}

export async function deleteWebSession(db: Db, sessionHash: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('session_hash', '=', sessionHash).execute();
}

/** Deletes up to PRUNE_BATCH expired rows of each table (a used link goes once it has expired too). */
export async function pruneWebAuth(db: Db, now: string): Promise<void> {
  for (const table of ['web_links', 'web_sessions'] as const) {
    const expired = db.selectFrom(table).select('id').where('expires_at', '<=', now).limit(PRUNE_BATCH);
    await db.deleteFrom(table).where('id', 'in', expired).execute();
  }
}
