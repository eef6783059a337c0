// Queries on installation: facts about the installation as a whole, one row per name.
import type { Db } from './open.js';
import { nowIso } from './open.js';

export async function installationValue(db: Db, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('installation').select('value').where('name', '=', name).executeTakeFirst();
  return row?.value;
}

/** Stores `value` unless the name has one already (another instance may have stored it first); returns the stored one. */
export async function putInstallationValueOnce(db: Db, name: string, value: string): Promise<string> {
  await db.insertInto('installation').values({ name, value, created_at: nowIso() }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const stored = await installationValue(db, name);
  if (stored === undefined) throw new Error(`installation value ${name} vanished after it was stored`);
  return stored;
}

/** A few stored provider keys, to tell whether a key opens them (core/secretCheck.ts). */
export async function someSealedSecrets(db: Db, limit: number): Promise<{ integration_id: number; provider: string; sealed: string }[]> {
  return db.selectFrom('integration_secrets').select(['integration_id', 'provider', 'sealed']).orderBy('integration_id').limit(limit).execute();
}
