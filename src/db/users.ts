// Queries on users. Creating the first account makes it admin, atomically.
import { takeTurn } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import { reusedQuery } from './reusedQuery.js';
import type { User } from './schema.js';
import { TEAM_ACCOUNT_PREFIX } from './teams.js';

/** People only: a team's hidden account ("team:NAME", migration 0014) is never found by name. */
export async function findUserByName(db: Db, name: string): Promise<User | undefined> {
  if (name.startsWith(TEAM_ACCOUNT_PREFIX)) return undefined;
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A person by user name or, when the text holds an "@", by email (the first account with it). */
export async function findUserByNameOrEmail(db: Db, text: string): Promise<User | undefined> {
  if (!text.includes('@')) return findUserByName(db, text);
  return db.selectFrom('users').selectAll().where('email', '=', text).where('name', 'not like', `${TEAM_ACCOUNT_PREFIX}%`).orderBy('id').limit(1).executeTakeFirst();
}

/** Run on every SSH session: built once (reusedQuery.ts). */
const userById = reusedQuery((db, id: number) => db.selectFrom('users').selectAll().where('id', '=', id));

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  return (await userById(db, id))[0];
}

/** People only, never a team's hidden account. */
export async function listUsers(db: Db): Promise<(User & { key_count: number; vm_count: number })[]> {
  return db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) => [
      eb.selectFrom('ssh_keys').select(eb.fn.countAll<number>().as('n')).whereRef('ssh_keys.user_id', '=', 'users.id').as('key_count'),
      eb.selectFrom('vms').select(eb.fn.countAll<number>().as('n')).whereRef('vms.user_id', '=', 'users.id').as('vm_count'),
    ])
    .where('users.name', 'not like', `${TEAM_ACCOUNT_PREFIX}%`)
    .orderBy('users.id')
    .execute() as Promise<(User & { key_count: number; vm_count: number })[]>;
}

/**
 * Inserts a user with its first key; the first user ever becomes admin. Call inside a transaction:
 * first sign-ups take turns from the check to the commit, so two at once (two sessions, two
 * instances) never both find the table empty.
 */
export async function insertUserWithKey(
  db: Db,
  user: { name: string; email: string | null; admin: boolean },
  key: { name: string; publicKey: string; fingerprint: string },
): Promise<User> {
  const anyUser = () => db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  let existing = await anyUser();
  // Only while the table looks empty do sign-ups take turns, and look again once it is their turn.
  if (!existing) {
    await takeTurn(db, 'firstAdmin');
    existing = await anyUser();
  }
  const created = nowIso();
  const row = await db
    .insertInto('users')
    .values({ name: user.name, email: user.email, is_admin: user.admin || !existing ? 1 : 0, created_at: created })
    .returningAll()
    .executeTakeFirstOrThrow();
  await db
    .insertInto('ssh_keys')
    .values({ user_id: row.id, name: key.name, public_key: key.publicKey, fingerprint: key.fingerprint, created_at: created })
    .execute();
  return row;
}
