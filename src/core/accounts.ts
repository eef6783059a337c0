// Account creation, shared by SSH sign-up, the operator CLI and (later) admin commands.
import type { Db } from '../db/open.js';
import type { User } from '../db/schema.js';
import { findUserByName, insertUserWithKey } from '../db/users.js';
import { findKeyByFingerprint } from '../db/sshKeys.js';
import { GatehouseError } from '../errors.js';
import { createDefaultIntegrations } from './integrationStore.js';
import { checkEmail, checkUserName } from './names.js';
import type { PublicKey } from './publicKey.js';
import { isUniqueViolation } from '../db/dialect.js';

export interface NewAccount {
  name: string;
  email?: string | null;
  admin?: boolean;
  key: PublicKey;
}

/** Creates a user and its first key; the first account of an installation becomes admin. */
export async function createAccount(db: Db, account: NewAccount): Promise<User> {
  const name = checkUserName(account.name);
  const email = account.email ? checkEmail(account.email) : null;
  if (await findUserByName(db, name)) throw new GatehouseError('conflict', `user name "${name}" is taken`, { hint: 'choose another name' });
  if (await findKeyByFingerprint(db, account.key.fingerprint)) {
    throw new GatehouseError('conflict', `this key (${account.key.fingerprint}) already belongs to an account`);
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const user = await insertUserWithKey(trx, { name, email, admin: account.admin ?? false }, { name: defaultKeyName(account.key), publicKey: account.key.text, fingerprint: account.key.fingerprint });
      await createDefaultIntegrations(trx, user.id);
      return user;
    });
  } catch (cause) {
    // A concurrent sign-up can win the race between the checks above and the insert.
    if (isUniqueViolation(cause)) throw new GatehouseError('conflict', `user name "${name}" or this key is already registered`, { cause });
    throw cause;
  }
}

/** The key's comment when it makes a valid key name, else a name from its type. */
export function defaultKeyName(key: PublicKey): string {
  const fromComment = key.comment.trim().split(/\s+/)[0] ?? '';
  if (/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(fromComment)) return fromComment;
  return key.type.replace(/^ssh-|-sha2-nistp\d+$/g, '') + '-key';
}
