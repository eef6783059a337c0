// Queries on SSH keys. A fingerprint is unique across the installation: one key, one account.
import { takeTurn } from './dialect.js';
import type { Db } from './open.js';
import { nowIso } from './open.js';
import { reusedQuery } from './reusedQuery.js';
import type { SshKey } from './schema.js';

// Both run on every SSH connection (login, whoami): built once (reusedQuery.ts).
const keyByFingerprint = reusedQuery((db, fingerprint: string) => db.selectFrom('ssh_keys').selectAll().where('fingerprint', '=', fingerprint));
const keysOf = reusedQuery((db, userId: number) => db.selectFrom('ssh_keys').selectAll().where('user_id', '=', userId).orderBy('id'));

export async function findKeyByFingerprint(db: Db, fingerprint: string): Promise<SshKey | undefined> {
  return (await keyByFingerprint(db, fingerprint))[0];
}

export async function listKeys(db: Db, userId: number): Promise<SshKey[]> {
  return keysOf(db, userId);
}

export async function insertKey(db: Db, userId: number, key: { name: string; publicKey: string; fingerprint: string }): Promise<SshKey> {
  return db
    .insertInto('ssh_keys')
    .values({ user_id: userId, name: key.name, public_key: key.publicKey, fingerprint: key.fingerprint, created_at: nowIso() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Deletes a key unless it is the user's last one; returns false when it would have been the last.
 * Removals of one user's keys take turns: two at once must not each count the other's key.
 */
export async function deleteKeyUnlessLast(db: Db, userId: number, keyId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await takeTurn(trx, 'sshKeys', userId);
    const { n } = await trx
      .selectFrom('ssh_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    if (Number(n) <= 1) return false;
    await trx.deleteFrom('ssh_keys').where('id', '=', keyId).where('user_id', '=', userId).execute();
    return true;
  });
}

export async function renameKey(db: Db, userId: number, keyId: number, name: string): Promise<void> {
  await db.updateTable('ssh_keys').set({ name }).where('id', '=', keyId).where('user_id', '=', userId).execute();
}

export async function touchKey(db: Db, keyId: number): Promise<void> {
  await db.updateTable('ssh_keys').set({ last_used_at: nowIso() }).where('id', '=', keyId).execute();
}
