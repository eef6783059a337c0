// Public-key authentication. A key is trusted only on the attempt whose signature verified:
// a bare "would you accept this key?" query is answered but never sets the identity.
// Every attempt that fails (or logs in a stranger where sign-up is closed) is a failure for the
// address's record, and its answer waits as long as the record says (authThrottle.ts).
import type { AuthContext, PublicKeyAuthContext } from 'ssh2';
import { checkKeyBlob, fingerprintOf } from '../core/publicKey.js';
import type { Db } from '../db/open.js';
import { findKeyByFingerprint } from '../db/sshKeys.js';
import type { Metrics } from '../ops/metrics.js';
import type { AuthThrottle } from './authThrottle.js';
import { verifySignature } from './keyObjects.js';

export interface Identity {
  fingerprint: string;
  /** "type base64" of the verified key, for sign-up. */
  publicKeyText: string;
  /** Set when the key belongs to an account; absent for a stranger (sign-up or refusal follows). */
  account?: { userId: number; keyId: number };
  /** A stranger who signs up on this connection calls it: from then on it counts as logged in. */
  signedUp?: () => void;
}

type Verdict = { kind: 'verified'; identity: Identity } | { kind: 'query' } | { kind: 'refused' };

/** What one connection's attempts share: who is asking, and whether its free "none" probe is spent. */
export interface AuthAttempts {
  ip: string | undefined;
  signupOpen: boolean;
  throttle: AuthThrottle;
  /** Counts refused attempts (gatehouse_ssh_logins_total{outcome="refused"}); logins are counted at 'ready'. */
  metrics: Metrics;
  noneSeen?: boolean;
}

/** Answers one authentication attempt; `onVerified` runs before accepting, since ssh2 may emit 'ready' inside accept(). */
export async function authenticate(db: Db, ctx: AuthContext, attempts: AuthAttempts, onVerified: (identity: Identity) => void): Promise<void> {
  const verdict = await judge(db, ctx);
  // RFC 4252 clients open with a "none" request to learn the methods: the first one is no failure.
  const probe = ctx.method === 'none' && !attempts.noneSeen;
  if (ctx.method === 'none') attempts.noneSeen = true;
  const closedToStranger = verdict.kind === 'verified' && !verdict.identity.account && !attempts.signupOpen;
  if ((verdict.kind === 'refused' && !probe) || closedToStranger) {
    attempts.metrics.sshLogin('refused');
    const wait = attempts.throttle.failure(attempts.ip);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  if (verdict.kind === 'refused') return void ctx.reject(['publickey']);
  if (verdict.kind === 'query') return void ctx.accept();
  // A stranger is let in even where sign-up is closed: the session tells them so, instead of a bare "Permission denied".
  onVerified(verdict.identity);
  ctx.accept();
}

async function judge(db: Db, ctx: AuthContext): Promise<Verdict> {
  if (ctx.method !== 'publickey') return { kind: 'refused' };
  const pk = ctx as PublicKeyAuthContext;
  let type: string;
  try {
    type = checkKeyBlob(pk.key.data);
  } catch {
    return { kind: 'refused' };
  }
  if (!pk.signature || !pk.blob) return { kind: 'query' }; // the client will now sign
  const text = `${type} ${pk.key.data.toString('base64')}`;
  if (!verifySignature(text, pk.blob, pk.signature, pk.hashAlgo)) return { kind: 'refused' };
  const fingerprint = fingerprintOf(pk.key.data);
  const row = await findKeyByFingerprint(db, fingerprint);
  return { kind: 'verified', identity: { fingerprint, publicKeyText: text, account: row ? { userId: row.user_id, keyId: row.id } : undefined } };
}
