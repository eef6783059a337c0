// Public-key authentication. A key is trusted only on the attempt whose signature verified:
// a bare "would you accept this key?" query is answered but never sets the identity.
import type { AuthContext, PublicKeyAuthContext } from 'ssh2';
import { checkKeyBlob, fingerprintOf } from '../core/publicKey.js';
import type { Db } from '../db/open.js';
import { findKeyByFingerprint } from '../db/sshKeys.js';
import { verifySignature } from './keyObjects.js';

export interface Identity {
  fingerprint: string;
  /** "type base64" of the verified key, for sign-up. */
  publicKeyText: string;
  /** Set when the key belongs to an account; absent for a stranger (sign-up or refusal follows). */
  account?: { userId: number; keyId: number };
}

/** Answers one authentication attempt; `onVerified` runs before accepting, since ssh2 may emit 'ready' inside accept(). */
export async function authenticate(db: Db, ctx: AuthContext, onVerified: (identity: Identity) => void): Promise<void> {
  if (ctx.method !== 'publickey') {
    ctx.reject(['publickey']);
    return;
  }
  const pk = ctx as PublicKeyAuthContext;
  let type: string;
  try {
    type = checkKeyBlob(pk.key.data);
  } catch {
    pk.reject(['publickey']);
    return;
  }
  if (!pk.signature || !pk.blob) {
    pk.accept(); // only a query; the client will now sign
    return;
  }
  const text = `${type} ${pk.key.data.toString('base64')}`;
  if (!verifySignature(text, pk.blob, pk.signature, pk.hashAlgo)) {
    pk.reject(['publickey']);
    return;
  }
  const fingerprint = fingerprintOf(pk.key.data);
  const row = await findKeyByFingerprint(db, fingerprint);
  onVerified({ fingerprint, publicKeyText: text, account: row ? { userId: row.user_id, keyId: row.id } : undefined });
  pk.accept();
}
