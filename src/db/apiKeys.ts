// Queries on API keys (hashes only; the key itself is never stored).
import { inByteOrder } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import type { ApiKeyRow } from './schema.js';

export async function listApiKeys(db: Db, userId: number): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy(inByteOrder(db, 'name')).execute();
}

export async function allApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().execute();
}

export async function findApiKey(db: Db, userId: number, name: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
}

export async function insertApiKey(
  db: Db,
  key: { userId: number; name: string; prefix: string; hash: string; integrations: number[] | null; models: string[] | null; expiresAt: string | null },
): Promise<ApiKeyRow> {
  return db
    .insertInto('api_keys')
    .values({
      user_id: key.userId,
      name: key.name,
      prefix: key.prefix,
      hash: key.hash,
      integrations: key.integrations && JSON.stringify(key.integrations),
      models: key.models && JSON.stringify(key.models),
      created_at: nowIso(),
      expires_at: key.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteApiKey(db: Db, userId: number, id: number): Promise<void> {
  await db.deleteFrom('api_keys').where('id', '=', id).where('user_id', '=', userId).execute();
}

export async function touchApiKey(db: Db, id: number, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}
